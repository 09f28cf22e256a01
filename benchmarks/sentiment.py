"""Benchmark listener.sentiment against stock vaderSentiment 3.3.2, in one run.

    .venv/bin/python benchmarks/sentiment.py            # full run (~1 minute)
    .venv/bin/python benchmarks/sentiment.py --quick    # skips stock on 135k chars

Measures, as ratios against stock measured in the same process:
  * throughput on the 4,200 VADER ground-truth tweets          (target >= 1.5x)
  * one 26,000-character text                                   (target >= 20x)
  * one 135,000-character text                                  (target >= 50x)
and "ingest": score + store 100,000 replies in a real SQLite file, executemany in one
transaction per batch (target >= 10,000 replies/s on one core).
Long texts are tweets of the corpus concatenated (only tweets that no domain override
touches, so that stock and ours must also agree on them). Exits 1 if a target is missed.
"""
from __future__ import annotations

import argparse
import itertools
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: E402

from listener.sentiment import (  # noqa: E402
    SCORER_VERSION,
    label_for,
    matched_overrides,
    polarity_scores,
    score_many,
)

TWEETS = REPO.parent / "shared" / "data" / "vader-tweets" / "tweets_GroundTruth.txt"


def load_tweets() -> list[str]:
    texts = []
    for line in TWEETS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            texts.append(line.split("\t", 2)[2])
    return texts


def long_text(texts: list[str], length: int) -> str:
    """Tweets joined with spaces, cut at a word boundary near ``length`` chars."""
    out, size = [], 0
    for t in itertools.cycle(texts):
        out.append(t)
        size += len(t) + 1
        if size >= length:
            break
    text = " ".join(out)[:length]
    return text[: text.rfind(" ")] if " " in text[length // 2 :] else text


def best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def ingest(texts: list[str], n: int, batch: int, db_path: str, scorer) -> float:
    """Score n replies (cycling through texts) and store them; returns seconds."""
    conn = sqlite3.connect(db_path)
    conn.execute(
        "CREATE TABLE replies (id INTEGER PRIMARY KEY, text TEXT NOT NULL, "
        "neg REAL, neu REAL, pos REAL, compound REAL, label TEXT, scorer_version TEXT)"
    )
    conn.commit()
    source = itertools.islice(itertools.cycle(texts), n)
    t0 = time.perf_counter()
    next_id = 1
    while True:
        chunk = list(itertools.islice(source, batch))
        if not chunk:
            break
        rows = []
        for text, s in zip(chunk, scorer(chunk)):
            c = s["compound"]
            rows.append(
                (next_id, text, s["neg"], s["neu"], s["pos"], c, label_for(c), SCORER_VERSION)
            )
            next_id += 1
        with conn:  # one transaction per batch
            conn.executemany("INSERT INTO replies VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    elapsed = time.perf_counter() - t0
    (count,) = conn.execute("SELECT count(*) FROM replies").fetchone()
    conn.close()
    assert count == n, count
    return elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="don't time stock on 135k chars")
    ap.add_argument("--replies", type=int, default=100_000, help="replies to ingest")
    ap.add_argument("--batch", type=int, default=5_000, help="rows per transaction")
    args = ap.parse_args(argv)

    if not TWEETS.is_file():
        print(f"missing {TWEETS}", file=sys.stderr)
        return 2
    stock = SentimentIntensityAnalyzer()
    tweets = load_tweets()
    plain = [t for t in tweets if not matched_overrides(t)]
    polarity_scores("warm up")  # load the lexicons outside the timings
    print(f"scorer {SCORER_VERSION}; {len(tweets)} tweets ({len(tweets) - len(plain)} "
          f"touched by overrides); python {sys.version.split()[0]}")

    rows: list[tuple[str, str, str, str, str, bool | None]] = []

    # 1. corpus throughput
    t_stock = best_of(lambda: [stock.polarity_scores(t) for t in tweets], 3)
    t_ours = best_of(lambda: score_many(tweets), 5)
    n = len(tweets)
    ratio = t_stock / t_ours
    rows.append(("4,200 tweets", f"{n / t_stock:,.0f} texts/s", f"{n / t_ours:,.0f} texts/s",
                 f"{ratio:.1f}x", ">= 1.5x", ratio >= 1.5))

    # 2./3. long texts
    for length, target, stock_repeat in ((26_000, 20, 3), (135_000, 50, 1)):
        text = long_text(plain, length)
        assert not matched_overrides(text)
        ours_result = polarity_scores(text)
        t_o = best_of(lambda: polarity_scores(text), 10)
        label = f"{len(text):,}-char text"
        if length == 135_000 and args.quick:
            rows.append((label, "skipped (--quick)", f"{t_o * 1000:.1f} ms", "-",
                         f">= {target}x", None))
            continue
        t0 = time.perf_counter()
        stock_result = stock.polarity_scores(text)
        t_s = time.perf_counter() - t0
        if stock_repeat > 1:
            t_s = min(t_s, best_of(lambda: stock.polarity_scores(text), stock_repeat - 1))
        assert stock_result == ours_result, (stock_result, ours_result)
        ratio = t_s / t_o
        rows.append((label, f"{t_s * 1000:,.0f} ms", f"{t_o * 1000:.1f} ms", f"{ratio:,.0f}x",
                     f">= {target}x", ratio >= target))

    # 4. ingest into SQLite
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "replies.db")
        t_ing = ingest(tweets, args.replies, args.batch, db, score_many)
        size_mb = os.path.getsize(db) / 1e6
    per_s = args.replies / t_ing
    rows.append((f"ingest {args.replies:,} replies", "-",
                 f"{per_s:,.0f} replies/s ({t_ing:.2f} s, {size_mb:.0f} MB db)", "-",
                 ">= 10,000/s", per_s >= 10_000))

    header = ("measure", "stock vaderSentiment", "listener.sentiment", "speed-up",
              "target", "met")
    table = [header] + [r[:5] + ({True: "yes", False: "NO", None: "-"}[r[5]],) for r in rows]
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    print()
    for i, r in enumerate(table):
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    missed = [r[0] for r in rows if r[5] is False]
    print()
    print("all targets met" if not missed else f"targets missed: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
