"""Crash safety: kill real `listener publish` / `listener harvest` processes with SIGKILL at random
moments, restart them, and count what was lost or duplicated (it must be 0 of each).

    python benchmarks/crash.py --cycles 300 --replies 3000
    python benchmarks/crash.py --channel mastodon --channel bluesky --cycles 60

Every registered channel takes part (X, Reddit, Mastodon, Bluesky), unless --channel narrows it.

The fake platform runs in this process on 127.0.0.1; the CLI is pointed at it with environment
variables. tests/test_crash.py runs the same cycles, fewer of them.

A killed `listener publish` may leave a publication in 'publishing'. The claim records the
process id; a claim whose process is gone is reconciled at once by the next run (see
publish.recover_stale_claims), so restarts need no clock tricks.
"""

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

LISTENER = str(Path(sys.executable).with_name("listener"))
QUESTIONS = 4
PER_CYCLE = 4
BAD = ("duplicate_posts", "posts_not_recorded", "recorded_not_posted", "stuck_publishing", "lost", "extra",
       "duplicated", "marked_deleted")


class Control:
    def __init__(self, base_url):
        self.base_url = base_url

    def post(self, path, body):
        request = urllib.request.Request(self.base_url + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())

    def posts(self):
        with urllib.request.urlopen(self.base_url + "/_fake/posts", timeout=120) as response:
            return json.loads(response.read())["posts"]


def cli_env(base_url, workdir, classes):
    """The CLI's environment: every channel at the fake, with its stand-in credentials."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LISTENER_", *(f"{name.upper()}_" for name in classes)))}
    for name, cls in classes.items():
        env.update({f"LISTENER_{name}_{key}".upper(): str(value) for key, value in cls.fake_settings(base_url).items()})
        env.update({cls.secrets[key]: value for key, value in cls.fake_secrets.items()})
        env[f"LISTENER_{name.upper()}_TIMEOUT"] = "3"
    env.update({"LISTENER_DATABASE_PATH": str(Path(workdir) / "listener.db"),
                "LISTENER_POSTS_DIR": str(Path(workdir) / "posts")})
    (Path(workdir) / "posts").mkdir(exist_ok=True)
    return env


def write_questions(posts_dir, count, channels, first=0):
    due = (datetime.now(timezone.utc) - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
    for i in range(first, first + count):
        text = f"Question {i}: how easy are we to do business with?"
        (Path(posts_dir) / f"q{i}.toml").write_text(
            f'text = "{text}"\nat = "{due}"\nstatus = "approved"\napproved_by = "maria"\n'
            f'channels = {json.dumps(list(channels))}\n', encoding="utf-8")


def run_cli(args, env):
    result = subprocess.run([LISTENER, *args], env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"listener {' '.join(args)} failed: {result.stdout}{result.stderr}")
    return result.stdout


def kill_after(args, env, delay):
    """Start `listener args`, SIGKILL it after `delay` seconds. True if it was still running."""
    proc = subprocess.Popen([LISTENER, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        return True


def crash_cycles(base_url, workdir, *, publish_cycles, harvest_cycles, replies, seed=0, delays=(0.35, 1.0),
                 publish_delays=(0.3, 1.1), channels=None, echo=lambda *_: None):
    """Run the kill/restart cycles on `channels` (default: every registered channel); returns a dict
    of counts (lost, duplicated, ... must be 0)."""
    from listener.channels import channel_classes

    classes = {name: cls for name, cls in channel_classes().items() if channels is None or name in channels}
    rng = random.Random(seed)
    control = Control(base_url)
    for cls in classes.values():
        for route in cls.fake_limit_routes:
            control.post("/_fake/limits", {"route": route, "limit": 10**7, "window": 900})
    env = cli_env(base_url, workdir, channel_classes())
    for name in channel_classes():
        env[f"LISTENER_{name.upper()}_ENABLED"] = "true" if name in classes else "false"
    env["LISTENER_HARVEST_PAGE_SIZE"] = "10"  # X: many pages per walk, so kills land mid-walk
    write_questions(env["LISTENER_POSTS_DIR"], QUESTIONS, classes)
    run_cli(["sync"], env)

    # every post answers 0.1 s late (well inside the timeout): kills land between claim and record
    for cls in classes.values():
        control.post("/_fake/faults", {"route": cls.fake_create_route, "kind": "slow", "delay": 0.1, "count": 10**6})
    killed = 0
    for cycle in range(publish_cycles):
        # new questions (one publication per channel each) every cycle, so each kill may land mid-publish
        write_questions(env["LISTENER_POSTS_DIR"], PER_CYCLE, classes, first=QUESTIONS + PER_CYCLE * cycle)
        run_cli(["sync"], env)
        killed += kill_after(["publish"], env, rng.uniform(*publish_delays))
    time.sleep(0.5)  # a request cut short by a kill may still be landing on the fake
    urllib.request.urlopen(urllib.request.Request(base_url + "/_fake/faults", method="DELETE"), timeout=60)
    run_cli(["publish"], env)  # a clean run reconciles whatever the kills left behind
    # a post delayed on a loaded machine may land after that run: its row is still 'unknown' (inside
    # the reconcile window), and the next run adopts it
    time.sleep(1.0)
    run_cli(["publish"], env)
    db_path = env["LISTENER_DATABASE_PATH"]
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT channel, state, remote_id FROM publications").fetchall()
    posts = control.posts()
    published = [(c, r) for c, s, r in rows if s == "published"]
    fake_posts = Counter((p["channel"], p["text"], p.get("title")) for p in posts)
    counts = {
        "publish_kills": killed,
        "publications": len(rows),
        "published": len(published),
        "duplicate_posts": sum(n - 1 for n in fake_posts.values()),
        # every post on the platform belongs to exactly one published row, and vice versa
        "posts_not_recorded": len({(p["channel"], p["id"]) for p in posts} - set(published)),
        "recorded_not_posted": len(set(published) - {(p["channel"], p["id"]) for p in posts}),
        "stuck_publishing": sum(1 for _, s, _ in rows if s == "publishing"),
    }
    echo(f"publish: {counts}")

    expected = set()
    for i, (channel, remote_id) in enumerate(published[:8]):  # replies under the first eight posts
        ids = control.post("/_fake/replies", {"channel": channel, "post_id": remote_id,
                                              "count": replies // min(8, len(published)), "seed": seed + i})["ids"]
        expected |= {(channel, rid) for rid in ids}
    harvest_killed = 0
    for cycle in range(harvest_cycles):
        harvest_killed += kill_after(["harvest", "--all"], env, rng.uniform(*delays))
        if cycle % 5 == 4:  # the platform moves on between crashes: late replies keep coming
            channel, remote_id = published[cycle % min(8, len(published))]
            ids = control.post("/_fake/replies", {"channel": channel, "post_id": remote_id, "count": 3,
                                                  "seed": 1000 + cycle})["ids"]
            expected |= {(channel, rid) for rid in ids}
    # Two clean runs: the first completes the walks the kills interrupted (a resumed walk covers the
    # replies that existed when it started), the second walks afresh and sees every later reply too,
    # as the next scheduled harvest would.
    env_final = dict(env, LISTENER_HARVEST_MAX_PAGES_PER_RUN="100000")
    run_cli(["harvest", "--all"], env_final)
    run_cli(["harvest", "--all"], env_final)
    stored = conn.execute("SELECT channel, remote_id FROM replies").fetchall()
    counts.update({
        "harvest_kills": harvest_killed,
        "replies_on_platform": len(expected),
        "replies_stored": len(stored),
        "lost": len(expected - set(stored)),
        "extra": len(set(stored) - expected),
        "duplicated": len(stored) - len(set(stored)),
        "marked_deleted": conn.execute("SELECT count(*) FROM replies WHERE deleted_at IS NOT NULL").fetchone()[0],
        "integrity": conn.execute("PRAGMA integrity_check").fetchone()[0],
    })
    conn.close()
    echo(f"harvest: {counts}")
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publish-cycles", type=int, default=40)
    parser.add_argument("--cycles", type=int, default=300, help="harvest kill/restart cycles")
    parser.add_argument("--replies", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--channel", action="append", help="only these channels (repeat; default: all)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from listener.fake import start_server, stop_server

    with tempfile.TemporaryDirectory() as workdir:
        server = start_server(state_file=str(Path(workdir) / "fake.json"))
        started = time.monotonic()
        try:
            counts = crash_cycles(server.base_url, workdir, publish_cycles=args.publish_cycles,
                                  harvest_cycles=args.cycles, replies=args.replies, seed=args.seed,
                                  channels=args.channel, echo=print)
        finally:
            stop_server(server)
    print(f"{args.publish_cycles} publish kills attempted, {args.cycles} harvest kills attempted "
          f"in {time.monotonic() - started:.0f} s")
    for key, value in counts.items():
        print(f"  {key:<22} {value}")
    bad = {k: counts[k] for k in BAD if counts[k]}
    if bad or counts["integrity"] != "ok":
        print(f"FAILED: {bad} integrity={counts['integrity']}")
        sys.exit(1)
    print("OK: 0 lost, 0 duplicated, 0 duplicate posts, integrity ok")


if __name__ == "__main__":
    main()
