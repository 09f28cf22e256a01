"""The weekly digest: built from real rows, sent to a real SMTP server (aiosmtpd) on 127.0.0.1."""

from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import free_port
from click.testing import CliRunner

from listener import digest as digest_mod
from listener import mail
from listener.cli import cli
from listener.errors import ConfigError, DigestError
from listener.scoring import score_columns, set_label

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
W47 = "2026-W47"  # Monday 16 Nov 2026 - Sunday 22 Nov 2026
UTC = timezone.utc







@pytest.fixture
def dcfg(cfg, smtp):
    cfg["digest"].update(recipients=["cx-team@example.com", "boss@example.com"], sender="listener@example.com",
                         smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_timeout=5.0,
                         time_zone="America/New_York", weekday="monday", hour=8)
    cfg["serve"]["base_url"] = "http://datasette.example.com"
    return cfg


# ---------------------------------------------------------------- rows with chosen times


def add_question(db, qid, text, goal=None, status="approved"):
    db["questions"].insert({"id": qid, "text": text, "goal": goal, "status": status, "channels": '["x", "reddit"]',
                            "created_at": "2026-10-01T00:00:00Z", "updated_at": "2026-10-01T00:00:00Z"})


def add_publication(db, qid, channel, published_at="2026-11-02T14:00:00Z", reported=None, harvested=0):
    return db["publications"].insert({
        "question_id": qid, "occurrence_at": published_at, "channel": channel, "account": "brand",
        "state": "published", "idempotency_key": f"{qid}-{channel}-{published_at}", "text": "q",
        "remote_id": f"{qid}-{channel}", "url": f"https://example.com/{qid}/{channel}", "published_at": published_at,
        "reported_reply_count": reported, "harvested_reply_count": harvested,
        "created_at": published_at, "updated_at": published_at}).last_pk


def add_reply(db, cfg, pub_id, text, created_at, channel="x", **extra):
    n = db.execute("SELECT count(*) FROM replies").fetchone()[0] + 1
    row = {"publication_id": pub_id, "channel": channel, "remote_id": f"r{n}", "author": f"user{n}", "text": text,
           "url": f"https://x.com/user{n}/status/{n}", "created_at": created_at, "first_seen_at": created_at,
           "last_seen_at": created_at, **score_columns(text), **extra}
    return db["replies"].insert(row).last_pk


def week_of_replies(db, cfg):
    """Two questions: one with replies in W46 and W47, one with nothing recent."""
    add_question(db, "effort", "How easy are we to do business with?", goal="Find friction.")
    add_question(db, "quiet-one", "What should we stop doing?")
    x = add_publication(db, "effort", "x", reported=7, harvested=6)
    reddit = add_publication(db, "effort", "reddit", reported=3, harvested=3)
    add_publication(db, "quiet-one", "x")
    add_reply(db, cfg, x, "Love it, great support, thank you!", "2026-11-17T15:00:00Z")
    add_reply(db, cfg, x, "Terrible. The invoice portal is broken again, awful.", "2026-11-18T15:00:00Z")
    add_reply(db, cfg, x, "<script>alert(1)</script> this is horrible & bad", "2026-11-19T15:00:00Z")
    add_reply(db, cfg, reddit, "It was fine I guess.", "2026-11-20T15:00:00Z", channel="reddit")
    add_reply(db, cfg, reddit, "Wonderful people, excellent help.", "2026-11-21T15:00:00Z", channel="reddit")
    add_reply(db, cfg, x, "Okay.", "2026-11-10T15:00:00Z")                        # W46
    add_reply(db, cfg, x, "Great, good, nice.", "2026-11-11T15:00:00Z")            # W46
    return x, reddit


def send(db, cfg, week=W47, now="2026-11-23T14:00:00Z"):
    return mail.send_period(db, cfg, digest_mod.parse_week(week, cfg), parse(now))


def parse(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def parts(msg):
    return {part.get_content_type(): part for part in msg.walk()}


# ---------------------------------------------------------------- the message


def test_digest_arrives_as_text_and_html_with_the_chart_by_cid(db, dcfg, smtp):
    week_of_replies(db, dcfg)
    outcome = send(db, dcfg)
    assert outcome.status == "sent"
    [envelope] = smtp.envelopes
    assert sorted(envelope.rcpt_tos) == ["boss@example.com", "cx-team@example.com"]
    [msg] = smtp.messages()
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Subject"] == "Listening posts, week 47: 5 replies, 40% negative (+40)"
    assert msg["Message-ID"].startswith("<digest-2026-W47.") and msg["Message-ID"].endswith("@listener>")
    found = parts(msg)
    assert {"text/plain", "text/html", "multipart/related", "image/png"} <= set(found)
    text, html, png = found["text/plain"].get_content(), found["text/html"].get_content(), found["image/png"]
    assert png.get_content().startswith(b"\x89PNG\r\n\x1a\n")
    cid = png["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    # the memo: counts per channel, change, coverage, quotes with both links
    assert "5 replies" in text and "up from 2 (+150%)" in text
    assert "coverage 86% (6/7)" in text and "coverage 100% (3/3)" in text
    assert "Most negative" in html and "Most positive" in html
    reply_id = db.execute("SELECT id FROM replies WHERE text LIKE 'Terrible%'").fetchone()[0]
    assert f"http://datasette.example.com/listener/replies/{reply_id}" in html
    assert "https://x.com/user2/status/2" in html
    # a question with publications but no replies this week gets the quiet section
    assert "No new replies this week" in html and "What should we stop doing?" in text
    row = db.execute("SELECT status, message_id, attempts FROM digests WHERE period = ?", [W47]).fetchone()
    assert row == ("sent", msg["Message-ID"], 1)


def test_a_reply_linked_to_its_own_datasette_row_shows_one_link(db, dcfg, smtp):
    week_of_replies(db, dcfg)
    reply_id = db.execute("SELECT id FROM replies WHERE text LIKE 'Terrible%'").fetchone()[0]
    row_url = f"http://datasette.example.com/listener/replies/{reply_id}"
    db.execute("UPDATE replies SET url = ? WHERE id = ?", [row_url, reply_id])  # as `listener demo` links them
    send(db, dcfg)
    [msg] = smtp.messages()
    found = parts(msg)
    assert found["text/plain"].get_content().count(row_url) == 1
    assert found["text/html"].get_content().count(f'href="{row_url}"') == 1


def test_quotes_are_escaped_in_html_and_plain_in_text(db, dcfg, smtp):
    week_of_replies(db, dcfg)
    send(db, dcfg)
    found = parts(smtp.messages()[0])
    assert "<script>alert(1)</script> this is horrible & bad" in found["text/plain"].get_content()
    html = found["text/html"].get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; this is horrible &amp; bad" in html
    assert "<script" not in html


def test_long_quotes_are_trimmed_at_a_word():
    text = "word " * 100
    trimmed = digest_mod.trim(text)
    assert len(trimmed) <= 280 and trimmed.endswith("word…")
    assert digest_mod.trim("short\n\nreply") == "short reply"


def test_week_boundaries_follow_the_configured_zone(db, dcfg):
    add_question(db, "effort", "How easy?")
    pub = add_publication(db, "effort", "x")
    # New York is UTC-5 in November: Sunday 22 Nov 23:30 local is Monday 04:30 UTC.
    sunday_late = add_reply(db, dcfg, pub, "Good.", "2026-11-23T04:30:00Z")
    add_reply(db, dcfg, pub, "Good.", "2026-11-23T05:30:00Z")    # Monday 00:30 local: next week
    add_reply(db, dcfg, pub, "Good.", "2026-11-16T02:00:00Z")    # Sunday 15 Nov 21:00 local: week before
    add_reply(db, dcfg, pub, "Good.", "2026-11-16T05:00:00Z")    # Monday 16 Nov 00:00 local: first second of W47
    period = digest_mod.parse_week(W47, dcfg)
    assert (period.start, period.end) == ("2026-11-16T05:00:00Z", "2026-11-23T05:00:00Z")
    built = digest_mod.build_digest(db, dcfg, period)
    [report] = built.questions
    assert report.this_week.total == 2 and report.last_week.total == 1
    per_day = [mix.total for _, mix in report.days]
    assert per_day == [1, 0, 0, 0, 0, 0, 1]                     # Monday and Sunday, local days
    assert report.positive[0].id in {sunday_late, sunday_late + 2}
    utc_cfg = {**dcfg, "digest": {**dcfg["digest"], "time_zone": "UTC"}}
    assert digest_mod.build_digest(db, utc_cfg, digest_mod.parse_week(W47, utc_cfg)).questions[0].this_week.total == 2


def test_corrected_labels_are_used(db, dcfg, smtp):
    add_question(db, "effort", "How easy?")
    pub = add_publication(db, "effort", "x")
    happy = add_reply(db, dcfg, pub, "Great, wonderful, love it!", "2026-11-18T15:00:00Z")
    add_reply(db, dcfg, pub, "Good, nice.", "2026-11-19T15:00:00Z")
    set_label(db, happy, "negative", "maria", parse("2026-11-23T10:00:00Z"))   # it was sarcasm
    built = digest_mod.build_digest(db, dcfg, digest_mod.parse_week(W47, dcfg))
    [report] = built.questions
    assert report.this_week.counts == {"negative": 1, "neutral": 0, "positive": 1}
    assert [q.id for q in report.negative] == [happy] and report.negative[0].corrected
    assert built.subject == "Listening posts, week 47: 2 replies, 50% negative"
    assert "label corrected" in built.html


@pytest.mark.parametrize("unscored", [0, 2])
def test_the_days_add_up_to_the_week_and_stand_on_their_own_line(db, dcfg, unscored):
    add_question(db, "effort", "How easy?")
    pub = add_publication(db, "effort", "x")
    add_reply(db, dcfg, pub, "Great, wonderful, love it!", "2026-11-18T15:00:00Z")
    for _ in range(unscored):  # a language the labeller cannot read: scored, no label
        add_reply(db, dcfg, pub, "Sehr einfach, danke.", "2026-11-19T15:00:00Z", label=None, language="de")
    built = digest_mod.build_digest(db, dcfg, digest_mod.parse_week(W47, dcfg))
    [report] = built.questions
    assert [mix.total for _, mix in report.days] == [0, 0, 1, unscored, 0, 0, 0]
    assert "   Per day, Mon-Sun: 0 0 1 %d 0 0 0\n" % unscored in built.text
    assert "\n   Per day" in built.text  # not run on after the sentiment line
    assert ("unscored</span>" in built.html) == bool(unscored)  # the chart's pale segment has a legend


@pytest.mark.parametrize("text, shown", [
    ("Would you recommend us? ({date})", "Would you recommend us?"),
    ("What would you change? (week of {date})", "What would you change?"),
    ("On {date}, what went wrong?", "On [date], what went wrong?"),
    ("How easy (really) are we?", "How easy (really) are we?"),
])
def test_the_memo_quotes_a_question_without_its_posts_date(db, dcfg, text, shown):
    add_question(db, "effort", text)
    add_reply(db, dcfg, add_publication(db, "effort", "x"), "Great, love it!", "2026-11-18T15:00:00Z")
    built = digest_mod.build_digest(db, dcfg, digest_mod.parse_week(W47, dcfg))
    assert f'"{shown}"' in built.text and "{date}" not in built.text + built.html


def test_a_week_before_any_post_says_so(db, dcfg):
    week_of_replies(db, dcfg)  # first posted in W45
    built = digest_mod.build_digest(db, dcfg, digest_mod.parse_week("2026-W44", dcfg))
    for text in (built.text, built.html):
        assert "No question had been posted by the end of this week." in text and "0 active" not in text


def test_quiet_questions_skip(db, dcfg):
    week_of_replies(db, dcfg)
    dcfg["digest"]["quiet_questions"] = "skip"
    built = digest_mod.build_digest(db, dcfg, digest_mod.parse_week(W47, dcfg))
    assert "What should we stop doing?" not in built.text and "No new replies this week" not in built.html
    dcfg["digest"]["quiet_questions"] = "sometimes"
    with pytest.raises(ConfigError, match=r"\[digest\] quiet_questions"):
        digest_mod.build_digest(db, dcfg, digest_mod.parse_week(W47, dcfg))


# ---------------------------------------------------------------- once per period


def test_a_second_send_for_the_same_week_sends_nothing(db, dcfg, smtp):
    week_of_replies(db, dcfg)
    assert send(db, dcfg).status == "sent"
    again = send(db, dcfg, now="2026-11-23T15:00:00Z")
    assert again.status == "already sent" and "nothing sent" in again.message
    assert len(smtp.envelopes) == 1


def test_send_due_sends_last_week_once_after_the_configured_hour(db, dcfg, smtp):
    week_of_replies(db, dcfg)
    # Monday 23 Nov, 07:59 in New York (12:59 UTC): W47 is not due yet, W46 is the latest due period.
    assert digest_mod.due_period(dcfg, parse("2026-11-23T12:59:00Z")).label == "2026-W46"
    assert digest_mod.due_period(dcfg, parse("2026-11-23T13:00:00Z")).label == W47
    first = mail.send_if_due(db, dcfg, parse("2026-11-23T13:01:00Z"))
    assert (first.period, first.status) == (W47, "sent")
    for minute in ("13:02", "13:03"):
        assert mail.send_if_due(db, dcfg, parse(f"2026-11-23T{minute}:00Z")).status == "not due"
    assert len(smtp.envelopes) == 1
    # the worker's entry point: a line when it sent, None otherwise
    assert digest_mod.send_due(db, dcfg, parse("2026-11-23T13:04:00Z")) is None
    line = digest_mod.send_due(db, dcfg, parse("2026-11-30T13:00:00Z"))
    assert line.startswith("sent digest 2026-W48 to cx-team@example.com, boss@example.com")
    assert len(smtp.envelopes) == 2


def test_an_smtp_failure_leaves_it_due_and_the_retry_sends_once(db, dcfg, smtp):
    week_of_replies(db, dcfg)
    smtp.fail_next = 1
    with pytest.raises(DigestError) as caught:
        mail.send_if_due(db, dcfg, parse("2026-11-23T13:01:00Z"))
    assert "451" in str(caught.value) and "\n" not in str(caught.value)
    status, error, attempts = db.execute("SELECT status, error, attempts FROM digests WHERE period = ?",
                                         [W47]).fetchone()
    assert status == "failed" and "451" in error and attempts == 1
    assert mail.send_if_due(db, dcfg, parse("2026-11-23T13:02:00Z")).status == "sent"
    assert mail.send_if_due(db, dcfg, parse("2026-11-23T13:03:00Z")).status == "not due"
    assert len(smtp.envelopes) == 1
    assert db.execute("SELECT status, attempts FROM digests").fetchall() == [("sent", 2)]


def test_a_claim_in_progress_is_respected_then_taken_over_when_stale(db, dcfg, smtp):
    week_of_replies(db, dcfg)
    db.execute("INSERT INTO digests (period, status, claimed_at, attempts) VALUES (?, 'sending', ?, 1)",
               [W47, "2026-11-23T13:00:00Z"])  # a process that died mid-send
    assert mail.send_if_due(db, dcfg, parse("2026-11-23T13:05:00Z")).status == "in progress"
    assert smtp.envelopes == []
    assert mail.send_if_due(db, dcfg, parse("2026-11-23T13:20:00Z")).status == "sent"
    assert len(smtp.envelopes) == 1


def test_an_unreachable_server_is_one_line_naming_the_setting_and_stays_due(db, dcfg, smtp):
    week_of_replies(db, dcfg)
    dcfg["digest"]["smtp_port"] = free_port()       # nothing listens there
    with pytest.raises(DigestError) as caught:
        send(db, dcfg)
    message = str(caught.value)
    assert "\n" not in message and "[digest] smtp_host and smtp_port" in message
    assert db.execute("SELECT status FROM digests").fetchone()[0] == "failed"
    dcfg["digest"]["smtp_port"] = smtp.port
    assert send(db, dcfg).status == "sent"
    dcfg["digest"]["smtp_port"] = 70000
    with pytest.raises(ConfigError, match=r"^\[digest\] smtp_port 70000 must be a port number"):
        send(db, dcfg, week="2026-W46")


@pytest.mark.parametrize("security, secrets, expected", [
    ("starttls", {}, "offers no STARTTLS: set [digest] smtp_security"),
    ("ssl", {}, "check [digest] smtp_security"),
    ("none", {("digest", "smtp_username"): "u", ("digest", "smtp_password"): "p"}, "offers no login"),
])
def test_tls_and_login_mismatches_name_the_setting(db, dcfg, smtp, security, secrets, expected):
    week_of_replies(db, dcfg)
    dcfg["digest"]["smtp_security"] = security
    dcfg.secret_overrides = {**(dcfg.secret_overrides or {}), **secrets}
    with pytest.raises(DigestError) as caught:
        send(db, dcfg)
    assert expected in str(caught.value) and "\n" not in str(caught.value)
    assert smtp.envelopes == [] and db.execute("SELECT status FROM digests").fetchone()[0] == "failed"


def test_no_password_in_clear_to_a_remote_server(db, dcfg):
    dcfg["digest"]["smtp_host"] = "mail.example.com"
    dcfg.secret_overrides = {("digest", "smtp_username"): "u", ("digest", "smtp_password"): "p"}
    with pytest.raises(ConfigError, match="refusing to send SMTP_PASSWORD"):
        mail.smtp_send(dcfg, None)


def test_no_recipients_is_a_one_line_error(db, dcfg, smtp):
    week_of_replies(db, dcfg)
    dcfg["digest"]["recipients"] = []
    with pytest.raises(ConfigError, match=r"\[digest\] recipients"):
        send(db, dcfg)
    assert mail.send_if_due(db, dcfg, parse("2026-11-23T13:01:00Z")).status == "disabled"
    assert smtp.envelopes == [] and db.execute("SELECT count(*) FROM digests").fetchone()[0] == 0


# ---------------------------------------------------------------- the command


def cli_env(dcfg, **extra):
    d = dcfg["digest"]
    env = {"LISTENER_DATABASE_PATH": dcfg["database"]["path"], "LISTENER_DIGEST_TIME_ZONE": d["time_zone"],
           "LISTENER_DIGEST_SMTP_HOST": d["smtp_host"], "LISTENER_DIGEST_SMTP_PORT": str(d["smtp_port"]),
           "LISTENER_DIGEST_SMTP_TIMEOUT": "5", "LISTENER_DIGEST_RECIPIENTS": "cx@example.com",
           "LISTENER_CONFIG": None, "SMTP_USERNAME": None, "SMTP_PASSWORD": None}
    env.update(extra)
    return env


def test_cli_preview_send_and_bad_port(db, dcfg, smtp, tmp_path):
    week_of_replies(db, dcfg)
    runner = CliRunner()
    out = tmp_path / "preview.html"
    result = runner.invoke(cli, ["digest", "--preview", "--week", W47, "--out", str(out)], env=cli_env(dcfg))
    assert result.exit_code == 0, result.output
    assert "Listening posts, week 47: 5 replies" in result.output and "Most negative:" in result.output
    assert "data:image/png;base64," in out.read_text() and smtp.envelopes == []
    assert "Themes:\n   - customer service" in result.output  # computed as --send would...
    assert db.execute("SELECT count(*) FROM themes").fetchone()[0] == 0  # a preview stores nothing
    assert db.execute("SELECT count(*) FROM theme_runs").fetchone()[0] == 0
    nowhere = runner.invoke(cli, ["digest", "--preview", "--week", W47, "--out", str(tmp_path / "no" / "d.html")],
                            env=cli_env(dcfg))
    assert nowhere.exit_code == 1 and nowhere.output.startswith(f"Error: folder {tmp_path / 'no'} does not exist")

    bad = runner.invoke(cli, ["digest", "--send", "--week", W47],
                        env=cli_env(dcfg, LISTENER_DIGEST_SMTP_PORT=str(free_port())))
    assert bad.exit_code == 1
    lines = bad.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: SMTP server 127.0.0.1:") and "smtp_port" in lines[0]

    sent = runner.invoke(cli, ["digest", "--send", "--week", W47], env=cli_env(dcfg))
    assert sent.exit_code == 0 and "sent digest 2026-W47 to cx@example.com" in sent.output
    again = runner.invoke(cli, ["digest", "--send", "--week", W47], env=cli_env(dcfg))
    assert again.exit_code == 0 and "nothing sent" in again.output
    assert len(smtp.envelopes) == 1

    none = runner.invoke(cli, ["digest", "--send", "--week", W47], env=cli_env(dcfg, LISTENER_DIGEST_RECIPIENTS=""))
    assert none.exit_code == 1 and "[digest] recipients" in none.output
    assert len(none.output.strip().splitlines()) == 1


# ---------------------------------------------------------------- how it looks


def test_the_demo_digest_renders_in_chromium(tmp_path):
    """The whole demo loop, then the digest of this week in headless Chromium; keeps a screenshot."""
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("no /usr/bin/chromium")
    from listener.db import open_db
    from listener.demo import run_demo

    db_path = tmp_path / "demo.db"
    demo_cfg = run_demo(db_path, replies=120, seed=3, posts_dir=REPO / "posts", echo=lambda *_: None)
    db = open_db(db_path)
    now = datetime.now(UTC)
    # Spread the demo's replies (all created in the last hours) over this week and last, for a real chart.
    period = digest_mod.period_of(now.astimezone(digest_mod.ZoneInfo("UTC")).date(), "UTC")
    starts = period.previous().day_starts()[:7] + period.day_starts()[:7]
    ids = [row[0] for row in db.execute("SELECT id FROM replies ORDER BY id")]
    for i, reply_id in enumerate(ids):
        day = starts[7 + (i * 5) % 7] if i % 3 else starts[(i * 3) % 7]
        db.execute("UPDATE replies SET created_at = replace(?, 'T00:00', 'T13:00') WHERE id = ?", [day, reply_id])
    db.execute("UPDATE replies SET text = '<script>alert(1)</script> ' || text WHERE id = ?", [ids[0]])
    demo_cfg["digest"]["quiet_questions"] = "section"
    built = digest_mod.build_digest(db, demo_cfg, period)
    assert built.total == sum(1 for i in range(len(ids)) if i % 3)
    ARTIFACTS.mkdir(exist_ok=True)
    page_file = tmp_path / "digest.html"
    page_file.write_text(built.html_with_inline_images(), encoding="utf-8")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 680, "height": 900})
            dialogs = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(page_file.as_uri())
            assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
            assert page.locator("h2").count() >= 3
            assert dialogs == []
            page.screenshot(path=str(ARTIFACTS / "digest.png"), full_page=True)
        finally:
            browser.close()
