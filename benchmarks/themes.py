"""Themes against human complaint reasons, the TF-IDF + k-means baseline, speed and stability.

    .venv/bin/python benchmarks/themes.py [--quick]

Reads ../shared/data/cs-tweets/airline-tweets-dev.csv (CC BY-NC-SA: measured here, nothing from it
ships). For each airline's negative tweets with a complaint reason ("Can't Tell" dropped, and
again with it kept) prints NMI and ARI of our themes and of TF-IDF + k-means (k = the number of
reasons), and the share of tweets whose theme label names the thing their reason is about
(REASON_WORDS). Then the time and peak memory of 10,000 and 100,000 replies on one core, and how
many replies keep a theme of the same name when one more day of replies arrives.

    .venv/bin/python benchmarks/themes.py --brands

Themes beyond airlines: replies to invented brands written for this project (benchmarks/data/,
README there), the `topic` of each negative reply annotated by its author or by someone who never
saw our themes. Per file and sector (a question each) NMI, ARI, "named" (TOPIC_WORDS) and "other" of
the negative replies against `topic`, and pooled: the sectors of other-brands.tsv read while writing
the lexicon and the held-out ones, other-brands-blind.tsv (blind until lexicon-5), the X, Reddit
and Mastodon/Bluesky sets (blind until lexicon-7), the second wave (brands-x-2,
brands-reddit-fediverse: blind until lexicon-8), the third (brands-x-3,
brands-reddit-fediverse-2: measured blind with lexicon-7 and lexicon-8, then added here) and the
fourth (brands-x-4, brands-reddit-fediverse-3: measured blind before and after lexicon-9) and the
fifth (brands-x-5, brands-reddit-fediverse-4: measured blind before and after lexicon-10).

    .venv/bin/python benchmarks/themes.py --fixes [--quick]

A merge and its undo made in the browser (the question page's latest week shown at once, the other
weeks left stale) against the full recompute of every stored week that main did inside the POST,
for 20,000 replies in one week and 100,000 over ten (--quick: 2,000 in one week, 10,000 over two),
in the same run; then the stale weeks caught up (the worker's step) and compared with the full
recompute row by row. Replies drawn from the airline tweets as in the speed figures.

    .venv/bin/python benchmarks/themes.py --ceiling

What a supervised classifier reaches when it is given the human reasons: trained on the other three
airlines' labelled tweets (thousands), measured on the fourth; and the share of tweets for which any
aspect the lexicon matches is one whose label names the reason (a perfect choice among matches).
"""

import csv
import os
import random
import re
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

from listener.theme_groups import group_replies

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cs-tweets" / "airline-tweets-dev.csv"
BRANDS = Path(__file__).resolve().parent / "data" / "other-brands.tsv"
DATA_DIR = Path(__file__).resolve().parent / "data"
UNSEEN_SINCE_LEXICON_5 = (DATA_DIR / "other-brands-blind.tsv",)  # six more sectors, blind until lexicon-5 was final
# Three waves written while the lexicon changed, each measured before anyone choosing lexicon words read it;
# who read what: benchmarks/data/README.md.
UNSEEN = tuple(DATA_DIR / f"brands-{name}.tsv"
               for name in ("x", "reddit", "fediverse", "x-2", "reddit-fediverse", "x-3", "reddit-fediverse-2",
                            "x-4", "reddit-fediverse-3", "x-5", "reddit-fediverse-4"))
READ_SECTORS = ("telecom", "energy", "bank", "retail", "food", "courier")  # read reply by reply while writing
HELD_OUT_SECTORS = ("software", "rail", "hotel")  # only their totals were looked at

# A theme label "names the thing" a reason is about when one of its words starts with one of these
# (word-prefix match: "delay" counts "delays", "line" does not count "online"). Written from the
# reason names alone, before any score was looked at: each reason's thing and the words a person
# would use for it. Agents at desks and on the phone are customer service; what is about buying or
# changing a ticket (fees, fares, seats chosen when booking) is booking; the plane, its seats, food,
# wifi and crew make a flight bad.
REASON_WORDS = {
    "Late Flight": ["delay", "late", "wait", "tarmac", "connection"],
    "Cancelled Flight": ["cancel"],
    "Lost Luggage": ["bag", "luggage"],
    "Damaged Luggage": ["bag", "luggage", "damage"],
    "Customer Service Issue": ["customer service", "hold", "get through", "no answer", "agent", "phone",
                               "call", "response", "staff"],
    "Flight Attendant Complaints": ["attendant", "crew", "staff"],
    "Flight Booking Problems": ["booking", "reservation", "ticket", "website", "app", "online", "fee",
                                "charge", "fare", "seat", "upgrade", "rebook", "change"],
    "Bad Flight": ["seat", "food", "wifi", "comfort", "plane", "aircraft", "crew", "entertainment",
                   "mechanical"],
    "longlines": ["queue", "line", "wait", "counter", "check-in"],
}
# The same for the other brands' topics, fixed before measuring (topic "other" is left out, like
# "Can't Tell").
TOPIC_WORDS = {
    "billing": ["bill", "charge", "fee", "payment", "invoice", "overcharg", "direct debit"],
    "prices": ["price", "cost", "expensive", "increase", "fare"],
    "refunds": ["refund", "compensation", "money back", "reimburse"],
    "delivery": ["deliver", "courier", "parcel", "package", "order", "shipping"],
    "missing or damaged items": ["missing", "lost", "damage", "broken", "item"],
    "delays": ["delay", "late", "wait"],
    "cancellations": ["cancel"],
    "outage": ["outage", "down", "internet", "power", "connection", "signal", "maintenance"],
    "app and website": ["app", "website", "online", "login", "log in", "account", "password", "site",
                        "checkout", "bug", "update"],
    "customer service": ["customer service", "support", "hold", "get through", "response", "call",
                         "phone", "chat", "agent", "complaint"],
    "staff": ["staff", "driver", "engineer", "agent", "team", "crew", "attendant", "manager"],
    "appointments": ["appointment", "engineer", "visit", "no-show", "booking"],
    "quality": ["quality", "faulty", "broken", "wrong", "clean", "dirty", "food", "comfort", "room"],
    "contracts and subscriptions": ["contract", "subscription", "cancel", "renewal", "membership", "plan"],
}
_NAMES = {reason: re.compile("|".join(rf"\b{re.escape(w)}" for w in ws))
          for reason, ws in (REASON_WORDS | TOPIC_WORDS).items()}


def load(path=DATA):
    with open(path, newline="", encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if row["sentiment"] == "negative"]


def our_themes(texts):
    assigned = group_replies([(i, t, None) for i, t in enumerate(texts)])
    return [assigned[i][0] for i in range(len(texts))], [assigned[i][1] for i in range(len(texts))]


def baseline(texts, k, seed=0):
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer
    matrix = TfidfVectorizer(stop_words="english", min_df=2, ngram_range=(1, 2)).fit_transform(texts)
    return list(KMeans(n_clusters=k, n_init=5, random_state=seed).fit_predict(matrix))


def label_names_reason(label, reason):
    return reason in _NAMES and bool(_NAMES[reason].search(label.lower()))


def quality(rows, keep_cant_tell=False):
    from sklearn.metrics import adjusted_rand_score as ari
    from sklearn.metrics import normalized_mutual_info_score as nmi
    by_airline = defaultdict(list)
    for row in rows:
        if row["complaint_reason"] and (keep_cant_tell or row["complaint_reason"] != "Can't Tell"):
            by_airline[row["airline"]].append(row)
    print(f"\n## quality ({'with' if keep_cant_tell else 'without'} \"Can't Tell\")")
    print(f"{'airline':<12} {'n':>5} {'NMI':>6} {'ARI':>6} {'named':>6} {'other':>6} | {'base NMI':>8} {'base ARI':>8}")
    for airline, group in sorted(by_airline.items()):
        texts = [r["text"] for r in group]
        reasons = [r["complaint_reason"] for r in group]
        keys, labels = our_themes(texts)
        named = sum(label_names_reason(lab, rea) for lab, rea in zip(labels, reasons)) / len(group)
        other = sum(k == "other" for k in keys) / len(group)
        base = baseline(texts, len(set(reasons)))
        print(f"{airline:<12} {len(group):>5} {nmi(reasons, keys):6.3f} {ari(reasons, keys):6.3f} "
              f"{named:6.1%} {other:6.1%} | {nmi(reasons, base):8.3f} {ari(reasons, base):8.3f}")


def brands():
    """Our themes of each sector's negative replies against the annotated topics."""
    from sklearn.metrics import adjusted_rand_score as ari
    from sklearn.metrics import normalized_mutual_info_score as nmi
    found = {}  # (file, sector): (topics, keys, labels)
    for path in (BRANDS,) + UNSEEN_SINCE_LEXICON_5 + UNSEEN:
        with open(path, newline="", encoding="utf-8") as f:
            rows = [r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if r["label"] == "negative" and r["topic"] != "other"]
        for sector in dict.fromkeys(r["sector"] for r in rows):
            group = [r for r in rows if r["sector"] == sector]
            keys, labels = our_themes([r["text"] for r in group])
            found[path.stem, sector] = ([r["topic"] for r in group], keys, labels)
    print("\n## other brands (negative replies, topic \"other\" left out; a question per sector)")
    print(f"{'file / sector':<34} {'n':>5} {'NMI':>6} {'ARI':>6} {'named':>6} {'other':>6}")

    def pool(name, paths, sectors=None):
        return name, [k for k in found if k[0] in {p.stem for p in paths} and (sectors is None or k[1] in sectors)]

    pools = [(f"{stem} / {sector}", [(stem, sector)]) for stem, sector in found]
    pools += [pool("read (6 sectors)", (BRANDS,), READ_SECTORS), pool("held out (3 sectors)", (BRANDS,), HELD_OUT_SECTORS),
              pool("blind until lexicon-5 (6 sectors)", UNSEEN_SINCE_LEXICON_5)]
    pools += [pool(p.stem, (p,)) for p in UNSEEN] + [pool("brands-x, -reddit, -fediverse", UNSEEN[:3]),
                                                     pool("brands-x-2, -reddit-fediverse", UNSEEN[3:5]),
                                                     pool("brands-x-3, -reddit-fediverse-2", UNSEEN[5:7]),
                                                     pool("brands-x-4, -reddit-fediverse-3", UNSEEN[7:9]),
                                                     pool("brands-x-5, -reddit-fediverse-4", UNSEEN[9:])]
    for name, keys_of_pool in pools:
        topics, keys, labels = ([x for k in keys_of_pool for x in found[k][i]] for i in range(3))
        named = sum(label_names_reason(lab, top) for lab, top in zip(labels, topics)) / len(topics)
        other = sum(k == "other" for k in keys) / len(topics)
        print(f"{name:<34} {len(topics):>5} {nmi(topics, keys):6.3f} {ari(topics, keys):6.3f} {named:6.1%} {other:6.1%}")


def synthetic(rows, n, rng):
    """`n` replies drawn from the tweets, each with a few words swapped in so none repeat exactly."""
    texts = [r["text"] for r in rows]
    vocab = sorted({w for t in texts for w in t.split()})
    return [f"{rng.choice(texts)} {rng.choice(vocab)} {rng.choice(vocab)}" for _ in range(n)]


def speed(rows, sizes):
    print(f"\n## speed (one core; load average now {os.getloadavg()[0]:.1f})")
    rng = random.Random(1)
    for n in sizes:
        texts = synthetic(rows, n, rng)
        start = time.perf_counter()
        our_themes(texts)
        took = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{n:>7} replies: {took:6.2f} s, peak memory {peak:6.0f} MB (whole process)")


def stored_speed(rows, n):
    """The whole `compute_themes` for one question of `n` replies: read, group, store, in SQLite."""
    import tempfile
    from datetime import datetime, timezone

    from listener.db import open_db, transaction
    from listener.themes import Span, compute_themes

    texts = synthetic(rows, n, random.Random(3))
    with tempfile.TemporaryDirectory() as folder:
        db = open_db(Path(folder) / "bench.db")
        with transaction(db):
            db.execute("INSERT INTO questions (id, text, created_at, updated_at) VALUES ('q', '?', 'n', 'n')")
            db.execute("INSERT INTO publications (question_id, occurrence_at, channel, account, idempotency_key, "
                       "text, created_at, updated_at) VALUES ('q', 't', 'x', 'a', 'k', '?', 'n', 'n')")
            db.conn.executemany(
                "INSERT INTO replies (publication_id, channel, remote_id, text, created_at, first_seen_at, "
                "last_seen_at, label) VALUES (1, 'x', ?, ?, '2026-11-24T09:00:00Z', 'x', 'x', 'negative')",
                [(str(i), t) for i, t in enumerate(texts)])
        span = Span("2026-W48", "2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z", "2026-W47")
        start = time.perf_counter()
        compute_themes(db, "q", span, datetime(2026, 11, 27, tzinfo=timezone.utc))
        took = time.perf_counter() - start
        db.conn.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n:>7} replies, read + group + store in SQLite: {took:6.2f} s, peak memory {peak:6.0f} MB")


def fixes(rows, cases):
    """Merge and undo: the browser's path against the full recompute (main's, every week regrouped)."""
    import tempfile
    from datetime import datetime, timedelta, timezone

    from listener import inbox
    from listener.db import copy_database, open_db, transaction
    from listener.themes import Span, compute_themes, recompute_all_stale

    now = datetime(2026, 11, 27, tzinfo=timezone.utc)
    print(f"\n## theme fixes (load average now {os.getloadavg()[0]:.1f}; seconds)")
    print(f"{'replies':>8} {'weeks':>5} {'fix':<6} {'before: full':>12} {'full, cached':>12} {'browser':>8} "
          f"{'catch-up':>8}  same")
    for n, weeks in cases:
        texts = synthetic(rows, n, random.Random(3))
        mondays = [datetime.fromisocalendar(2026, 48 - w, 1).date() for w in reversed(range(weeks))]
        with tempfile.TemporaryDirectory() as folder:
            browser, full = Path(folder) / "browser.db", Path(folder) / "full.db"
            db = open_db(browser)
            with transaction(db):
                db.execute("INSERT INTO questions (id, text, created_at, updated_at) VALUES ('q', '?', 'n', 'n')")
                db.execute("INSERT INTO publications (question_id, occurrence_at, channel, account, "
                           "idempotency_key, text, created_at, updated_at) "
                           "VALUES ('q', 't', 'x', 'a', 'k', '?', 'n', 'n')")
                db.conn.executemany(
                    "INSERT INTO replies (publication_id, channel, remote_id, text, created_at, first_seen_at, "
                    "last_seen_at, label) VALUES (1, 'x', ?, ?, ?, 'x', 'x', 'negative')",
                    [(str(i), t, f"{mondays[i % weeks] + timedelta(days=1)}T09:00:00Z") for i, t in enumerate(texts)])
            spans = [Span(f"2026-W{48 - weeks + 1 + i:02d}", f"{m}T00:00:00Z", f"{m + timedelta(days=7)}T00:00:00Z",
                          f"2026-W{48 - weeks + i:02d}") for i, m in enumerate(mondays)]
            for span in spans:
                compute_themes(db, "q", span, now)
            copy_database(str(browser), str(full))
            other = open_db(full)
            week = spans[-1].key
            source, target = db.execute(f"SELECT id FROM themes WHERE period = '{week}' AND key != 'other' "
                                        "ORDER BY replies DESC LIMIT 2").fetchall()[::-1]
            steps = [("merge", lambda d, p: inbox.act_on_theme(d, "merge", source[0], target[0], "maria", now,
                                                                periods=p)),
                     ("undo", lambda d, p: inbox.undo(d, "maria", now, periods=p))]
            for name, do in steps:
                cached = Path(folder) / "cached.db"
                copy_database(str(full), str(cached))
                took_cached = timed(lambda: do(open_db(cached), None))
                other.execute("UPDATE theme_runs SET grouping = NULL")  # main had no cache: every week regroups
                took_full = timed(lambda: do(other, None))
                took_browser = timed(lambda: do(db, [week]))
                took_catch_up = timed(lambda: recompute_all_stale(db, now))
                same = snapshot(db) == snapshot(other)
                print(f"{n:>8} {weeks:>5} {name:<6} {took_full:>12.2f} {took_cached:>12.2f} {took_browser:>8.2f} "
                      f"{took_catch_up:>8.2f}  {'yes' if same else 'NO'}")
            db.conn.close()
            other.conn.close()


def timed(work):
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def snapshot(db):
    """What people see of a question's themes, without ids and times: equal after the same fixes."""
    themes = db.execute("SELECT question_id, period, key, label, language, replies, share, negative, neutral, "
                        "positive, unscored, change, previous_replies, quotes FROM themes ORDER BY 1, 2, 3").fetchall()
    members = db.execute("SELECT t.question_id, t.period, t.key, rt.reply_id FROM reply_themes rt "
                         "JOIN themes t ON t.id = rt.theme_id ORDER BY 1, 2, 3, 4").fetchall()
    return themes, members


def stability(rows, days=7):
    """Replies of `days - 1` days vs the same plus one more day: share keeping their theme label."""
    print("\n## stability (one more day of replies)")
    rng = random.Random(2)
    for airline in sorted({r["airline"] for r in rows}):
        texts = [r["text"] for r in rows if r["airline"] == airline]
        rng.shuffle(texts)
        cut = len(texts) * (days - 1) // days
        before = group_replies([(i, t, None) for i, t in enumerate(texts[:cut])])
        after = group_replies([(i, t, None) for i, t in enumerate(texts)])
        same = sum(before[i][1] == after[i][1] for i in before) / len(before)
        print(f"{airline:<12} {cut:>5} -> {len(texts):>5} replies: {same:6.1%} keep a theme of the same name")


def ceiling(rows):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import adjusted_rand_score as ari
    from sklearn.metrics import normalized_mutual_info_score as nmi
    from sklearn.pipeline import make_pipeline, make_union

    from listener.theme_groups import normalise
    from listener.theme_lexicon import FAMILY, LABELS, aspect_scores

    rows = [r for r in rows if r["complaint_reason"] and r["complaint_reason"] != "Can't Tell"]
    print("\n## ceiling (without \"Can't Tell\")")
    print("supervised: trained on the other airlines' tweets (train), measured on this one; matched: the share")
    print("for which an aspect the lexicon matches has a label naming the reason (a perfect choice among matches)")
    print(f"{'airline':<12} {'n':>5} {'train':>6} {'NMI':>6} {'ARI':>6} {'named':>6} | {'matched':>7}")
    for airline in sorted({r["airline"] for r in rows}):
        train = [r for r in rows if r["airline"] != airline]
        test = [r for r in rows if r["airline"] == airline]
        model = make_pipeline(
            make_union(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                       TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
            LogisticRegression(C=10, max_iter=2000))
        model.fit([r["text"] for r in train], [r["complaint_reason"] for r in train])
        predicted = model.predict([r["text"] for r in test])
        reasons = [r["complaint_reason"] for r in test]
        # the predicted reason is the theme's label: right, or a label that names the reason anyway
        named = sum(p == t or label_names_reason(p, t) for p, t in zip(predicted, reasons)) / len(test)
        matched = sum(any(label_names_reason(LABELS[FAMILY.get(k, k)], r["complaint_reason"])
                          for k in aspect_scores(normalise(r["text"]))) for r in test) / len(test)
        print(f"{airline:<12} {len(test):>5} {len(train):>6} {nmi(reasons, predicted):6.3f} "
              f"{ari(reasons, predicted):6.3f} {named:6.1%} | {matched:7.1%}")


def main(argv):
    if "--brands" in argv:
        return brands()
    if not DATA.exists():
        sys.exit(f"skipped: {DATA} is missing (the shared data folder sits beside the repository)")
    rows = load()
    if "--ceiling" in argv:
        return ceiling(rows)
    if "--fixes" in argv:
        return fixes(rows, [(2_000, 1), (10_000, 2)] if "--quick" in argv else [(20_000, 1), (100_000, 10)])
    quality(rows)
    quality(rows, keep_cant_tell=True)
    stability(rows)
    sizes = [10_000] if "--quick" in argv else [10_000, 100_000]
    speed(rows, sizes)
    for n in sizes:
        stored_speed(rows, n)


if __name__ == "__main__":
    main(sys.argv[1:])
