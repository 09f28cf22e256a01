"""Shared by test_dashboards.py and test_browser.py: a filled demo database with hostile replies."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from listener.db import open_db, transaction

REPO = Path(__file__).resolve().parent.parent
METADATA = yaml.safe_load((REPO / "dashboards" / "metadata.yaml").read_text(encoding="utf-8"))
HOSTILE = [
    '<img src=x onerror="window.__pwned=1"> terrible, awful, worst service',
    "<script>window.__pwned=1</script> terrible awful pwned",
    '<a href="javascript:window.__pwned=1">click</a> awful terrible pwned',
]


def run(coro):
    return asyncio.run(coro)


@contextlib.contextmanager
def serving(db_path, port, cwd, env=None, ready="/-/versions.json"):
    """`listener serve` on db_path in its own process group (its Datasette child stops with it); yields the base URL.

    `env` adds to this environment less every LISTENER_ variable.
    """
    full = {k: v for k, v in os.environ.items() if not k.startswith("LISTENER_")}
    full.update(env or {})
    listener = Path(sys.executable).with_name("listener")
    proc = subprocess.Popen([str(listener), "serve", "--db", str(db_path), "--port", str(port)], cwd=cwd, env=full,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + ready, timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError(proc.stdout.read1().decode())
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def add_hostile_replies(db_path):
    """Three negative, unreviewed replies whose text is markup, on the first publication."""
    db = open_db(db_path)
    pub_id, channel, root = db.execute(
        "SELECT id, channel, remote_id FROM publications WHERE state = 'published' ORDER BY id").fetchone()
    with transaction(db):
        for i, text in enumerate(HOSTILE):
            db.execute(
                "INSERT INTO replies (publication_id, channel, remote_id, parent_remote_id, depth, author, text, "
                "created_at, first_seen_at, last_seen_at, neg, neu, pos, compound, label) "
                "VALUES (?, ?, ?, ?, 1, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'x', 'x', 1, 0, 0, ?, 'negative')",
                [pub_id, channel, f"hostile{i}", root, '<b onmouseover="window.__pwned=1">evil</b>', text,
                 -0.999 + i / 1000])
    db.conn.close()


@pytest.fixture(scope="session")
def filled_db(tmp_path_factory):
    from listener.demo import run_demo

    path = tmp_path_factory.mktemp("ui") / "demo.db"
    run_demo(path, replies=300, posts_dir=REPO / "posts", echo=lambda *a: None)
    add_hostile_replies(path)
    return path


def canned_queries():
    return METADATA["databases"]["*"]["queries"]


def dashboard():
    return METADATA["plugins"]["datasette-dashboards"]["overview"]
