"""A hostile corpus (tests/hostile_corpus.py) posted as replies through the fake platform, harvested
and scored, then shown: stored as received, escaped on every page in Chromium with no script run
and no console error, and with no raw control character in the digest's text or HTML.

One fake, one database, one `listener serve` and one browser for the whole module.
"""

import os
import re
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import write_question
from hostile_corpus import AUTHORS, CORPUS, PWN
from listener import digest as digest_mod
from listener import harvest, publish, questions
from listener.channels import open_channel
from listener.config import load_config
from listener.db import copy_database, open_db
from listener.demo import DEMO_SECRETS
from listener.fake import start_server, stop_server
from listener.mail import build_message
from listener.times import utcnow

CHROMIUM = "/usr/bin/chromium"
QUESTION_ID = f"q<img src=x onerror={PWN}>"
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
SURROGATE = re.compile("[\ud800-\udfff]")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """(db path, cfg): the corpus published, replied, harvested and scored."""
    folder = tmp_path_factory.mktemp("hostile")
    server = start_server(state_file=str(folder / "fake.json"))
    try:
        cfg = load_config(environ={}, overrides={
            "database.path": str(folder / "hostile.db"), "posts.dir": str(folder / "posts"),
            "x.base_url": server.base_url, "reddit.base_url": server.base_url + "/reddit",
            "reddit.auth_url": server.base_url + "/reddit", "reddit.subreddit": "listeningposts",
        })
        cfg.secret_overrides = DEMO_SECRETS
        now = utcnow()
        (folder / "posts").mkdir()
        write_question(folder / "posts", QUESTION_ID, text="What do you think of us? <b>honestly</b> & {{ 7*7 }}",
                       at=(now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"), status="approved",
                       approved_by="maria", reddit={"title": "What do you think of us?"})
        db = open_db(cfg["database"]["path"])
        questions.sync(db, cfg["posts"]["dir"], now, cfg)
        channels = {name: open_channel(name, cfg) for name in ("x", "reddit")}
        publish.plan(db, cfg, now)
        published = publish.publish_due(db, cfg, channels, now)
        assert len(published.published) == 2, published
        posts = dict(db.execute("SELECT channel, remote_id FROM publications").fetchall())
        for channel in ("x", "reddit"):
            mine = [(i, text) for i, text in enumerate(CORPUS) if (len(text) > 280) == (channel == "reddit")
                    or (channel == "x" and i % 2 and len(text) <= 280)]
            replies = [{"text": text, "author": AUTHORS[i % len(AUTHORS)]} for i, text in mine]
            post(server.base_url, {"channel": channel, "post_id": posts[channel], "replies": replies})
        harvest.make_all_due(db, now)
        harvest.harvest_due(db, cfg, channels, now, pages_per_run=10**6)
        db.conn.close()
        yield Path(cfg["database"]["path"]), cfg
    finally:
        stop_server(server)


def post(base_url, body):
    import json

    request = urllib.request.Request(base_url + "/_fake/replies", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def test_every_string_is_stored_as_received_and_scored(hostile):
    db_path, _ = hostile
    db = open_db(db_path)
    stored = [text for (text,) in db.execute("SELECT text FROM replies ORDER BY id")]
    assert sorted(stored) == sorted(SURROGATE.sub("\ufffd", text) for text in CORPUS)
    assert db.execute("SELECT count(*) FROM replies WHERE compound IS NULL").fetchone()[0] == 0


def own_copy(db_path, tmp_path):
    """The shared database stays as harvested: tests that relabel work on a copy."""
    copy = tmp_path / db_path.name
    copy_database(db_path, copy)
    return copy


def test_the_digest_text_and_html_show_no_control_characters_and_escape_markup(hostile, monkeypatch, tmp_path):
    db_path, cfg = hostile
    db = open_db(own_copy(db_path, tmp_path))
    # every reply becomes a quote: half marked negative, half positive, all quoted
    db.execute("UPDATE replies SET label_override = CASE id % 2 WHEN 0 THEN 'negative' ELSE 'positive' END")
    monkeypatch.setattr(digest_mod, "QUOTES_PER_SIDE", len(CORPUS))
    now = utcnow()
    period = digest_mod.period_of(now.date(), "UTC")
    built = digest_mod.build_digest(db, cfg, period)
    quoted = sum(len(q.negative) + len(q.positive) for q in built.questions)
    assert quoted > 120  # the corpus (duplicates and empty texts aside) reached the memo
    for name, body in (("text", built.text), ("html", built.html), ("subject", built.subject)):
        found = UNSAFE.search(body)
        assert not found, (name, body[max(0, found.start() - 80):found.end() + 40])
    assert "<img src=x" not in built.html and "<script>window" not in built.html and "<svg" not in built.html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in built.html
    assert "<script>window.__pwned=1</script>" in built.text  # plain text: shown as written
    message = build_message(dict(cfg, digest=dict(cfg["digest"], recipients=["cx@example.com"])), built,
                            "<id@listener>", now)
    raw = message.as_bytes()
    assert b"\x00" not in raw and b"\x1b" not in raw


def test_cli_preview_sends_no_escape_sequence_to_the_terminal(hostile, tmp_path):
    (tmp_path / "copy").mkdir()
    db_path = own_copy(hostile[0], tmp_path / "copy")
    db = open_db(db_path)
    db.execute("UPDATE replies SET label_override = CASE WHEN instr(text, char(27)) THEN 'negative' "
               "ELSE 'neutral' END")
    db.conn.close()
    week = digest_mod.period_of(utcnow().date(), "UTC").label
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISTENER_")}
    listener = str(Path(sys.executable).with_name("listener"))
    result = subprocess.run([listener, "digest", "--preview", "--week", week, "--db", str(db_path),
                             "--out", str(tmp_path / "preview.html")], capture_output=True, text=True, env=env,
                            timeout=120, errors="surrogateescape")
    assert result.returncode == 0, result.stderr
    assert "Most negative:" in result.stdout and "\ufffd[" in result.stdout  # the ESC shown as U+FFFD
    assert "\x1b" not in result.stdout + result.stderr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")
def test_every_page_that_shows_replies_escapes_them_in_chromium(hostile, tmp_path):
    from playwright.sync_api import sync_playwright

    db_path, _ = hostile
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISTENER_")}
    listener = str(Path(sys.executable).with_name("listener"))
    proc = subprocess.Popen([listener, "serve", "--db", str(db_path), "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    base, name = f"http://127.0.0.1:{port}", db_path.stem
    question = urllib.parse.quote(QUESTION_ID)
    pages = [
        "/-/dashboards/overview", f"/-/dashboards/overview?question={question}",
        f"/{name}/replies?_size=200", f"/{name}/replies?_search=awful", f"/{name}/replies/1",
        f"/{name}/questions", f"/{name}/publications",
        f"/{name}/needs_attention?question=", f"/{name}/mentions?word=script&question=",
        f"/{name}/most_negative_this_week?question=&week=", f"/{name}/answers?question={question}&channel=&page=",
    ]
    errors, foreign = [], []
    try:
        assert proc.stdout.readline()  # listening
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            page.on("console", lambda m: errors.append((page.url, m.text)) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append((page.url, str(e))))
            page.on("request", lambda r: foreign.append(r.url) if urllib.parse.urlsplit(r.url).hostname
                    not in ("127.0.0.1", None) and not r.url.startswith(("data:", "blob:")) else None)
            for path in pages:
                response = page.goto(base + path)
                assert response.status == 200, path
                page.wait_for_load_state("networkidle")
                if path.startswith("/-/dashboards"):
                    try:
                        page.wait_for_function("document.querySelectorAll('.vega-embed svg, .vega-embed canvas')"
                                               ".length >= 4", timeout=60000)
                    except Exception:
                        raise AssertionError((path, errors, page.inner_text("body")[:3000]))
                page.mouse.move(300, 300)
                page.mouse.move(600, 700)
                assert page.evaluate("window.__pwned") is None, path
                assert page.evaluate("document.querySelectorAll('img[src=x], svg[onload], iframe, object, embed')"
                                     ".length") == 0, path
            page.goto(base + "/-/dashboards/overview")
            page.wait_for_function("document.querySelectorAll('table td').length > 0", timeout=60000)
            body = page.inner_text("body")
            assert QUESTION_ID in body  # the question id is shown as text in the attention list
            browser.close()
    finally:
        proc.terminate()
        proc.wait(20)
    assert not errors, errors[:5]
    assert not foreign, foreign[:5]
