"""Sustained harvesting under real rate-limit windows: our paced harvester vs naive tweepy loops.

    python benchmarks/harvest.py                      # 20 requests / 10 s, 120 s per variant
    python benchmarks/harvest.py --limit 60 --window 60 --seconds 180

The fake platform (in this process, 127.0.0.1) allows `limit` search requests per `window` seconds
and answers a further 5 % of requests 429 at random (seeded). Every variant harvests the same
posts (100 replies a page) with the same credentials for the same time, one after the other, each
with a fresh window. The theoretical maximum is limit / window requests * 100 replies.

Variants:
- listener: harvest.harvest_due in a loop (a worker's tick), pacing from the rate-limit headers,
  waiting for a reset only within its time budget, retrying a 429 its accounting did not predict.
- tweepy wait_on_rate_limit: the stock library's own pacing (sleeps until the reset on every 429,
  without bound: not allowed in a job, measured for comparison).
- tweepy naive retry: no pacing, on a 429 sleep 1 s and try again.

    python benchmarks/harvest.py --channels --replies 600   # every channel, whole threads

With --channels, every registered channel (X, Reddit, Mastodon, Bluesky, ...) publishes `posts`
posts through its real client, the fake adds `replies` replies to each (a third of them answers
to other replies, plus a chain deeper than any thread request reaches), its harvest route gets
`limit` requests per `window` with the random 429s, and the harvester walks until done: the
table shows requests, 429s earned beyond the injected ones, and replies lost or duplicated (0).
"""

import argparse
import json
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402
import tweepy  # noqa: E402

from listener import harvest, publish, questions  # noqa: E402
from listener.channels import open_channel  # noqa: E402
from listener.channels.x import TWEEPY_HOST, BaseURLAdapter, search_query  # noqa: E402
from listener.config import load_config  # noqa: E402
from listener.db import open_db  # noqa: E402
from listener.demo import DEMO_SECRETS  # noqa: E402
from listener.fake import start_server, stop_server  # noqa: E402
from listener.times import utcnow  # noqa: E402

PAGE = 100


def control(base_url, path, body=None, method="POST"):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def fresh_window(base_url, args):
    """Reset the fake's windows and counters, same random-429 sequence for every variant."""
    control(base_url, "/_fake/limits", {"route": "x.search", "limit": args.limit, "window": args.window})
    control(base_url, "/_fake/config", {"random_429": args.random_429, "seed": args.seed})
    return control(base_url, "/_fake/stats", method="GET")


def delta(base_url, before):
    after = control(base_url, "/_fake/stats", method="GET")
    requests_ = after["requests"].get("x.search", 0) - before["requests"].get("x.search", 0)
    limited = after["rate_limited"] - before["rate_limited"]
    injected = after.get("random_429", 0) - before.get("random_429", 0)
    return requests_, limited, injected


def setup(workdir, base_url, posts, replies):
    cfg = load_config(environ={}, overrides={
        "database.path": str(Path(workdir) / "bench.db"), "posts.dir": str(Path(workdir) / "posts"),
        "x.base_url": base_url, "reddit.enabled": False, "harvest.page_size": PAGE,
    })
    cfg.secret_overrides = DEMO_SECRETS
    Path(cfg["posts"]["dir"]).mkdir()
    due = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() - 120))
    for i in range(posts):
        (Path(cfg["posts"]["dir"]) / f"q{i}.toml").write_text(
            f'text = "Question {i}: how easy are we to do business with?"\nat = "{due}"\nchannels = ["x"]\n'
            'status = "approved"\napproved_by = "bench"\n', encoding="utf-8")
    db = open_db(cfg["database"]["path"])
    questions.sync(db, cfg["posts"]["dir"], utcnow())
    channels = {"x": open_channel("x", cfg)}
    publish.plan(db, cfg, utcnow())
    publish.publish_due(db, cfg, channels, utcnow())
    roots = [r[0] for r in db.execute("SELECT remote_id FROM publications WHERE state = 'published'")]
    for i, root in enumerate(roots):
        control(base_url, "/_fake/replies", {"channel": "x", "post_id": root, "count": replies, "seed": i,
                                             "spread_seconds": 6 * 3600})
    return cfg, db, channels, roots


def run_listener(cfg, db, channels, seconds):
    """The worker's loop: every tick harvests what is due within its time budget."""
    fetched = 0
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0.05:
        harvest.make_all_due(db, utcnow())  # keep every post due: a sustained load
        report = harvest.harvest_due(db, cfg, channels, utcnow(), time_budget=left, pages_per_run=10**6)
        fetched += report.fetched
    return fetched


def tweepy_client(base_url, wait_on_rate_limit):
    client = tweepy.Client(consumer_key=DEMO_SECRETS[("x", "api_key")],
                           consumer_secret=DEMO_SECRETS[("x", "api_secret")],
                           access_token=DEMO_SECRETS[("x", "access_token")],
                           access_token_secret=DEMO_SECRETS[("x", "access_token_secret")],
                           wait_on_rate_limit=wait_on_rate_limit)
    client.session.mount(TWEEPY_HOST, BaseURLAdapter(base_url, 30))  # only the host rewrite, as ours
    return client


def run_tweepy(base_url, roots, seconds, wait_on_rate_limit):
    """Walk every conversation again and again with tweepy's Paginator until time is up."""
    client = tweepy_client(base_url, wait_on_rate_limit)
    fetched = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for root in roots:
            token = None
            while time.monotonic() < end:
                try:
                    response = client.search_recent_tweets(
                        search_query([root]), max_results=PAGE, next_token=token, user_auth=True,
                        tweet_fields=["author_id", "created_at", "conversation_id", "referenced_tweets"])
                except tweepy.TooManyRequests:
                    time.sleep(1)
                    continue
                except requests.exceptions.RequestException:
                    continue
                fetched += len(response.data or [])
                token = response.meta.get("next_token")
                if not token:
                    break
    return fetched


def run_channels(args):
    """Whole-thread harvests on every registered channel under the same rate-limit window."""
    from listener.channels import channel_classes
    from listener.demo import fake_overrides

    print(f"{'channel':<10} {'posts':>5} {'on platform':>12} {'stored':>7} {'lost':>5} {'duplicated':>10} "
          f"{'requests':>9} {'429 beyond':>11} {'seconds':>8}")
    for name, cls in channel_classes().items():
        with tempfile.TemporaryDirectory() as workdir:
            server = start_server()
            try:
                base_url = server.base_url
                cfg = load_config(environ={}, overrides={
                    **fake_overrides(base_url), "database.path": str(Path(workdir) / "bench.db"),
                    "posts.dir": str(Path(workdir) / "posts"), "harvest.page_size": PAGE})
                cfg.secret_overrides = DEMO_SECRETS
                Path(cfg["posts"]["dir"]).mkdir()
                due = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() - 120))
                for i in range(args.posts):
                    (Path(cfg["posts"]["dir"]) / f"q{i}.toml").write_text(
                        f'text = "Question {i}: how easy are we to do business with?"\nat = "{due}"\n'
                        f'channels = ["{name}"]\nstatus = "approved"\napproved_by = "bench"\n', encoding="utf-8")
                db = open_db(cfg["database"]["path"])
                questions.sync(db, cfg["posts"]["dir"], utcnow(), cfg)
                channels = {name: open_channel(name, cfg)}
                publish.plan(db, cfg, utcnow())
                publish.publish_due(db, cfg, channels, utcnow())
                expected = set()
                chain = [{"text": f"level {d}", "author": f"deep_{d}", "parent": ["#", d - 1] if d else None}
                         for d in range(30)]
                for i, (root,) in enumerate(db.execute("SELECT remote_id FROM publications WHERE state = 'published'")):
                    expected |= set(control(base_url, "/_fake/replies", {
                        "channel": name, "post_id": root, "count": args.replies, "seed": i, "replies": chain,
                        "spread_seconds": 6 * 3600})["ids"])
                for route in cls.fake_limit_routes:
                    control(base_url, "/_fake/limits", {"route": route, "limit": args.limit, "window": args.window})
                before = fresh_window(base_url, args)
                started = time.monotonic()
                for _ in range(1000):  # runs until every walk is complete, as the worker's ticks would
                    harvest.make_all_due(db, utcnow())
                    harvest.harvest_due(db, cfg, channels, utcnow(), time_budget=30, pages_per_run=10**6)
                    if not db.execute("SELECT count(*) FROM publications WHERE harvest_cursor IS NOT NULL").fetchone()[0]:
                        break
                elapsed = time.monotonic() - started
                after = control(base_url, "/_fake/stats", method="GET")
                sent = sum(n for route, n in after["requests"].items() if route.startswith(name + "."))
                sent -= sum(n for route, n in before["requests"].items() if route.startswith(name + "."))
                beyond = (after["rate_limited"] - before["rate_limited"]) - \
                    (after.get("random_429", 0) - before.get("random_429", 0))
                stored = [r for (r,) in db.execute("SELECT remote_id FROM replies WHERE placeholder = 0")]
                print(f"{name:<10} {args.posts:>5} {len(expected):>12} {len(set(stored)):>7} "
                      f"{len(expected - set(stored)):>5} {len(stored) - len(set(stored)):>10} {sent:>9} "
                      f"{beyond:>11} {elapsed:>8.1f}")
            finally:
                stop_server(server)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", action="store_true", help="whole-thread harvests on every channel")
    parser.add_argument("--limit", type=int, default=20, help="search requests per window")
    parser.add_argument("--window", type=float, default=10.0, help="window length in seconds")
    parser.add_argument("--seconds", type=float, default=120.0, help="run time of each variant")
    parser.add_argument("--random-429", type=float, default=0.05)
    parser.add_argument("--posts", type=int, default=4)
    parser.add_argument("--replies", type=int, default=3000, help="replies per post")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.channels:
        return run_channels(args)
    max_per_min = args.limit / args.window * 60 * PAGE
    print(f"limit {args.limit} requests / {args.window:g} s, {args.random_429:.0%} random 429s, {PAGE} replies "
          f"a page, {args.seconds:g} s per variant; theoretical maximum {max_per_min:,.0f} replies/min")
    with tempfile.TemporaryDirectory() as workdir:
        server = start_server()
        try:
            base_url = server.base_url
            cfg, db, channels, roots = setup(workdir, base_url, args.posts, args.replies)
            variants = [
                ("listener (paced)", lambda: run_listener(cfg, db, channels, args.seconds)),
                ("tweepy wait_on_rate_limit", lambda: run_tweepy(base_url, roots, args.seconds, True)),
                ("tweepy naive retry (1 s)", lambda: run_tweepy(base_url, roots, args.seconds, False)),
            ]
            print(f"{'variant':<28} {'replies/min':>12} {'of max':>7} {'requests':>9} {'429 total':>10} "
                  f"{'injected':>9} {'429 beyond':>11}")
            for name, fn in variants:
                channels["x"].rate_limits.clear()
                db.execute("DELETE FROM rate_limits")
                before = fresh_window(base_url, args)
                started = time.monotonic()
                fetched = fn()
                elapsed = time.monotonic() - started
                sent, limited, injected = delta(base_url, before)
                per_min = fetched / elapsed * 60
                beyond = limited - injected
                print(f"{name:<28} {per_min:>12,.0f} {per_min / max_per_min:>7.1%} {sent:>9} {limited:>10} "
                      f"{injected:>9} {beyond:>5} ({beyond / max(sent, 1):.1%})")
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
