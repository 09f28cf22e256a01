"""p95 of every page the UI links to and every inbox action, on a million replies, while a writer inserts replies.

Builds (or reuses) the file with `listener demo`'s bulk path, then runs a real `datasette` process
with dashboards/ on it and times each page over HTTP while a thread inserts a reply every few
milliseconds (small transactions, like the harvester). The same pages are then timed on a copy
of the file without this issue's indexes and rollup (reply_daily replaced by an equivalent view),
and the ratio printed. Pages that hit Datasette's 3 s SQL limit on the copy count as 3 s.

    .venv/bin/python benchmarks/pages.py --db /tmp/bench-1m.db --replies 1000000 --requests 60
"""

import argparse
import os
import re
import datetime
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from listener.db import copy_database  # noqa: E402
from listener.serve import REPO_DASHBOARDS, datasette_settings  # noqa: E402

OUR_INDEXES = ["replies_thread", "replies_publication_created", "replies_sentiment", "replies_channel",
               "replies_week_compound", "replies_needs_attention", "replies_created", "replies_compound", "replies_language_created"]


def pages(name):
    q = urllib.parse.urlencode
    chart_filters = q({"question": "customer-effort"})
    out = {
        "overview dashboard": "/-/dashboards/overview",
        "overview, filtered": "/-/dashboards/overview?" + chart_filters,
        "replies table + facet": f"/{name}/replies",
        "replies search": f"/{name}/replies?_search=refund",
        "answers (threaded)": f"/{name}/answers?question=customer-effort&channel=&page=2",
        "needs attention": f"/{name}/needs_attention?question=",
        "most negative this week": f"/{name}/most_negative_this_week?question=&week=",
        "mentions a word": f"/{name}/mentions?word=refund&question=",
        "coverage": f"/{name}/coverage",
        "sentiment trend": f"/{name}/sentiment_trend?question=",
        "replies by question": f"/{name}/replies_by_question",
    }
    out.update(inbox_pages())
    out.update(week_view_pages(name))
    import yaml
    from datasette_dashboards import replace_opts_in_query

    meta = yaml.safe_load((REPO_DASHBOARDS / "metadata.yaml").read_text())
    for slug, chart in meta["plugins"]["datasette-dashboards"]["overview"]["charts"].items():
        if "query" in chart:
            sql = replace_opts_in_query(chart["query"], {"question": "customer-effort"})
            out[f"chart {slug}"] = f"/{name}.json?" + q({"sql": sql, "question": "customer-effort",
                                                         "_shape": "objects"})
    return out


def inbox_pages():
    q = urllib.parse.urlencode
    week_ago = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 7 * 86400))
    return {
        "inbox (newest open)": "/-/inbox",
        "inbox, most negative": "/-/inbox?order=negative",
        "inbox, question+negative": "/-/inbox?" + q({"question": "customer-effort", "sentiment": "negative"}),
        "inbox, channel+language": "/-/inbox?" + q({"channel": "reddit", "language": "en"}),
        "inbox, handled": "/-/inbox?status=handled",
        "inbox, last 7 days, page 3": "/-/inbox?" + q({"from": week_ago, "page": 3}),
        "inbox thread": "/-/inbox/thread/1",
    }


def measure_actions(base, n):
    """p95 and median of each inbox action (POST with the page's CSRF token), as the local editor."""
    with urllib.request.urlopen(base + "/-/inbox?order=negative", timeout=60) as response:
        html = response.read().decode()
        cookie = response.headers["set-cookie"].split(";", 1)[0]
    token = re.search(r'name="csrftoken" value="([^"]+)"', html).group(1)
    replies = re.findall(r'data-id="(\d+)"', html)
    actions = {"action: label": "label:negative", "action: handled": "status:handled",
               "action: assign": "assign", "action: note": "note", "action: undo": "undo"}
    results = {}
    for title, do in actions.items():
        times = []
        for i in range(n):
            form = {"csrftoken": token, "reply_id": replies[i % len(replies)], "do": do, "assign": "sam",
                    "note": "called back"}
            request = urllib.request.Request(base + "/-/inbox/act", data=urllib.parse.urlencode(form).encode(),
                                             headers={"cookie": cookie, "accept": "application/json"})
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    response.read()
            except urllib.error.HTTPError as exc:
                exc.read()  # e.g. nothing left to undo: still a full round trip
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        results[title] = times[max(0, int(round(0.95 * len(times))) - 1)], statistics.median(times)
    return results


def week_view_pages(name):
    """The question pages and readable tables (issue 14, week vs week); the panel is a chart above."""
    today = datetime.date.today()
    last_monday = today - datetime.timedelta(days=today.weekday() + 7)
    return {
        "question page": "/-/question/customer-effort",
        "question page, last week": f"/-/question/customer-effort?week={last_monday}",
        "question page, no replies": "/-/question/recommend",
        "questions list": "/-/question",
        "column help": "/-/columns",
        "questions table (words)": f"/{name}/questions",
        "reply link (to its row)": "/-/reply/1",
    }


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_datasette(db_path):
    port = free_port()
    args = [sys.executable, "-m", "datasette", "serve", str(db_path), "--metadata",
            str(REPO_DASHBOARDS / "metadata.yaml"), "--plugins-dir", str(REPO_DASHBOARDS / "plugins"),
            "--template-dir", str(REPO_DASHBOARDS / "templates"),
            "--host", "127.0.0.1", "--port", str(port), *datasette_settings()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISTENER_")}  # no logins: the local editor acts
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=1).read()
            return proc, base
        except OSError:
            time.sleep(0.1)
    raise SystemExit("datasette did not start")


class Writer(threading.Thread):
    """Inserts one reply every `pause` seconds, each in its own transaction, until stopped."""

    def __init__(self, db_path, pause=0.005):
        super().__init__(daemon=True)
        self.db_path, self.pause, self.stop, self.written = db_path, pause, threading.Event(), 0

    def run(self):
        conn = sqlite3.connect(self.db_path, isolation_level=None, timeout=30)
        conn.execute("PRAGMA busy_timeout = 30000")
        pub, channel, root = conn.execute("SELECT id, channel, remote_id FROM publications ORDER BY id").fetchone()
        while not self.stop.is_set():
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO replies (publication_id, channel, remote_id, parent_remote_id, author, text, created_at, "
                "first_seen_at, last_seen_at, neg, neu, pos, compound, label) "
                "VALUES (?, ?, ?, ?, 'bench', 'a refund, finally', ?, ?, ?, 0, 1, 0, 0, 'neutral')",
                [pub, channel, f"bench-{time.time_ns()}", root, stamp, stamp, stamp])
            conn.execute("COMMIT")
            self.written += 1
            time.sleep(self.pause)


def measure(base, url, n):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(base + url, timeout=60) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            exc.read()  # 400 = SQL interrupted at the time limit: counts at its full time
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[max(0, int(round(0.95 * len(times))) - 1)], statistics.median(times)


def remove_database(path):
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def strip(copy):
    """The same file without this issue's indexes and rollup: reply_daily becomes a view over replies."""
    conn = sqlite3.connect(copy, isolation_level=None)
    for index in OUR_INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {index}")
    for trigger in ("reply_daily_insert", "reply_daily_update", "reply_daily_delete"):
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    conn.execute("DROP TABLE IF EXISTS reply_daily")
    conn.execute(
        "CREATE VIEW reply_daily AS SELECT r.publication_id, substr(coalesce(r.created_at, r.first_seen_at), 1, 10) "
        "AS day, coalesce(r.label_override, r.label, 'unscored') AS sentiment, p.question_id, r.channel, "
        "date(substr(coalesce(r.created_at, r.first_seen_at), 1, 10), 'weekday 0', '-6 days') AS week, "
        "count(*) AS replies FROM replies r JOIN publications p ON p.id = r.publication_id "
        "WHERE r.deleted_at IS NULL GROUP BY 1, 2, 3")
    conn.close()


def run_pages(db_path, n, label):
    proc, base = start_datasette(db_path)
    writer = Writer(str(db_path))
    writer.start()
    try:
        results = {}
        for title, url in pages(Path(db_path).stem).items():
            measure(base, url, 1)  # warm up
            results[title] = measure(base, url, n)
            print(f"  {label:<8} {title:<28} p95 {results[title][0]:8.1f} ms", flush=True)
        for title, timing in measure_actions(base, n).items():
            results[title] = timing
            print(f"  {label:<8} {title:<28} p95 {timing[0]:8.1f} ms", flush=True)
        return results, writer.written
    finally:
        writer.stop.set()
        writer.join()
        proc.terminate()
        proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="/tmp/listener-bench-1m.db")
    parser.add_argument("--replies", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=60, help="requests per page (indexed file)")
    parser.add_argument("--bare-requests", type=int, default=5, help="requests per page on the stripped copy")
    args = parser.parse_args()
    db_path = Path(args.db)
    if not db_path.exists():
        from listener.demo import run_demo

        print(f"building {db_path} with {args.replies} replies (demo bulk path)...", flush=True)
        run_demo(db_path, replies=args.replies, posts_dir=REPO / "posts", echo=lambda *a: None)
    count = sqlite3.connect(db_path).execute("SELECT count(*) FROM replies").fetchone()[0]
    print(f"{db_path}: {count} replies")
    fast, written = run_pages(db_path, args.requests, "indexed")
    bare_path = db_path.with_name(db_path.stem + "-bare.db")
    remove_database(bare_path)  # a stale WAL beside the target would corrupt the copy
    copy_database(db_path, bare_path)
    strip(bare_path)
    slow, written_bare = run_pages(bare_path, args.bare_requests, "bare")
    print(f"\nwriter inserted {written} + {written_bare} replies during the runs\n")
    print(f"{'page':<28} {'p95 ms':>9} {'median':>8} {'bare p95':>10} {'ratio':>8}  under 150 ms")
    for title, (p95, median) in fast.items():
        bare = slow[title][0]
        print(f"{title:<28} {p95:9.1f} {median:8.1f} {bare:10.1f} {bare / p95:7.1f}x  {'yes' if p95 < 150 else 'NO'}")
    remove_database(bare_path)


if __name__ == "__main__":
    main()
