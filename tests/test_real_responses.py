"""The platforms' real response shapes, reproduced by the fake, through tweepy and praw for real:
X entities and t.co links, duplicate-content 403s, posts without created_at, Reddit's `edited: true`,
old comments without depth or permalink, short morechildren batches, deleted parents, login
outages and captive portals, DNS failures, a machine clock ahead of the platform's, billable
reconcile reads, two harvesters at once, lone surrogates in authors.
"""

import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import write_question
from listener import harvest, publish, questions, status
from listener.channels import open_channel
from listener.db import open_db

LISTENER = str(Path(sys.executable).with_name("listener"))


def now_utc():
    return datetime.now(timezone.utc).replace(microsecond=0)


def setup_question(cfg, db, text="How easy are we to do business with?", name="effort", title=None):
    due = (now_utc() - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
    write_question(cfg["posts"]["dir"], name, text=text, at=due, status="approved", approved_by="maria",
                   reddit={"title": title or text[:300]})
    questions.sync(db, cfg["posts"]["dir"], now_utc())


def open_channels(cfg, names=("x", "reddit")):
    cfg["x"]["timeout"] = cfg["reddit"]["timeout"] = 1.0
    return {name: open_channel(name, cfg) for name in names}


def rows(db, sql, *args):
    cursor = db.execute(sql, args)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def publication(db, channel):
    return rows(db, "SELECT * FROM publications WHERE channel = ?", channel)[0]


def publish_past_window(db, cfg, channels, now):
    publish.plan(db, cfg, now)
    publish.publish_due(db, cfg, channels, now)
    later = now + timedelta(minutes=cfg["publish"]["reconcile_window_minutes"] + 1)
    return publish.publish_due(db, cfg, channels, later)


def harvest_all(db, cfg, channels, now):
    harvest.make_all_due(db, now)
    return harvest.harvest_due(db, cfg, channels, now)


def reply(db, channel, remote_id):
    found = rows(db, "SELECT * FROM replies WHERE channel = ? AND remote_id = ?", channel, remote_id)
    return found[0] if found else None


# -- X: entities, t.co links, duplicates, timelines --------------------------------------------

QUESTION_WITH_LINK = "Q&A: is <checkout> easier now? Tell us here https://example.com/survey?a=1&b=2 & reply"


def test_x_stores_text_as_x_does_and_reconcile_still_finds_the_post(cfg, db, control):
    channels = open_channels(cfg, ["x"])
    cfg["reddit"]["enabled"] = False
    setup_question(cfg, db, text=QUESTION_WITH_LINK)
    control.fault("x.create", "lost")
    publish_past_window(db, cfg, channels, now_utc())
    [post] = control.posts("x")
    assert "&amp;" in post["stored_text"] and "&lt;checkout&gt;" in post["stored_text"]
    assert "https://t.co/" in post["stored_text"] and "example.com" not in post["stored_text"]
    pub = publication(db, "x")
    assert pub["state"] == "published" and pub["remote_id"] == post["id"], pub


def test_x_replies_are_unescaped_once_with_links_expanded(cfg, db, control):
    channels = open_channels(cfg, ["x"])
    cfg["reddit"]["enabled"] = False
    setup_question(cfg, db)
    publish_past_window(db, cfg, channels, now_utc())
    pub = publication(db, "x")
    said = ["You broke it again &gt;:( see https://example.org/t/1?x=1&y=2",
            "I typed &lt;b&gt; literally & >:(",
            "Terrible >:("]
    ids = control.add_replies("x", pub["remote_id"], replies=[{"text": t, "author": "ana"} for t in said])
    stored = next(p for p in control.get("/_fake/posts")["posts"] if p["id"] == pub["remote_id"])
    assert stored["replies"] == 3
    harvest_all(db, cfg, channels, now_utc())
    for remote_id, text in zip(ids, said):
        row = reply(db, "x", remote_id)
        assert row["text"] == text  # no "@listener_brand " prefix, no entity left, the real link back
    angry = reply(db, "x", ids[2])
    assert angry["label"] == "negative"  # ">:(" read as a frowning face, not "&gt;:("


def test_x_duplicate_content_of_an_older_post_fails_once_saying_so(cfg, db, control):
    channels = open_channels(cfg, ["x"])
    cfg["reddit"]["enabled"] = False
    text = "Same words as last month?"
    control.post("/_fake/clock", {"advance": -3 * 3600})
    channels["x"].publish(text)  # posted by hand three hours ago
    control.post("/_fake/clock", {"advance": 3 * 3600})
    setup_question(cfg, db, text=text)
    now = now_utc()
    publish.plan(db, cfg, now)
    publish.publish_due(db, cfg, channels, now)
    pub = publication(db, "x")
    assert pub["state"] == "failed", pub
    assert "duplicate" in pub["error"] and "change the text" in pub["error"]
    assert "safe to retry" not in pub["error"]
    publish.publish_due(db, cfg, channels, now + timedelta(hours=1))  # no loop: nothing happens again
    assert publication(db, "x")["state"] == "failed" and len(control.posts("x")) == 1


def test_x_reconcile_copes_with_posts_without_created_at(cfg, db, control):
    channels = open_channels(cfg, ["x"])
    cfg["reddit"]["enabled"] = False
    setup_question(cfg, db)
    control.post("/_fake/config", {"quirks": ["no_created_at"]})
    control.fault("x.create", "lost")
    publish_past_window(db, cfg, channels, now_utc())
    assert publication(db, "x")["state"] == "published"
    assert len(control.posts("x")) == 1


def test_x_a_post_listed_on_two_pages_is_one_post(cfg, db, control):
    channels = open_channels(cfg, ["x"])
    cfg["reddit"]["enabled"] = False
    channels["x"].publish("An earlier post")  # one post older than ours: the timeline has a 2nd page
    setup_question(cfg, db)
    control.post("/_fake/config", {"quirks": ["repeat_across_pages"]})
    control.fault("x.create", "lost")
    control.fault("x.timeline", "5xx")  # the first reconcile read fails; meanwhile the account posts
    now = now_utc()
    publish.plan(db, cfg, now)
    publish.publish_due(db, cfg, channels, now)
    [lost] = [p for p in control.posts("x") if p["text"] != "An earlier post"]
    control.post("/_fake/posts", {"channel": "x", "like": lost["id"], "count": 99})  # ours is 100th: 2 pages
    publish.publish_due(db, cfg, channels, now + timedelta(minutes=1))
    pub = publication(db, "x")
    assert pub["state"] == "published" and pub["remote_id"] == lost["id"], pub


def test_reconcile_reads_only_since_the_claim_and_counts_them(cfg, db, control):
    channels = open_channels(cfg, ["x"])
    cfg["reddit"]["enabled"] = False
    control.post("/_fake/clock", {"advance": -2 * 3600})
    older = channels["x"].publish("An older post")
    control.post("/_fake/posts", {"channel": "x", "like": older.remote_id, "count": 40})
    control.post("/_fake/clock", {"advance": 2 * 3600})
    setup_question(cfg, db)
    control.fault("x.create", "lost")
    now = now_utc()
    publish.plan(db, cfg, now)
    publish.publish_due(db, cfg, channels, now)
    pub = publication(db, "x")
    assert pub["state"] == "published"
    assert pub["reads"] == 1  # our post only: the 41 older ones are before the claim
    data = status.summary(db, cfg, now)
    assert data["cost"][0]["reads"] == 1 and data["cost"][0]["usd"] > cfg["cost"]["x_post_usd"]
    assert "1 reads, 1 posts" in status.format_status(data)


# -- clock skew ---------------------------------------------------------------------------------

def test_machine_clock_ahead_of_the_platform_never_posts_twice(cfg, db, control):
    channels = open_channels(cfg)
    setup_question(cfg, db)
    control.post("/_fake/clock", {"advance": -400})  # this machine is 400 s ahead of the platforms
    control.fault("x.create", "lost")
    control.fault("reddit.submit", "lost")
    publish_past_window(db, cfg, channels, now_utc())
    states = {p["channel"]: p["state"] for p in rows(db, "SELECT channel, state FROM publications")}
    assert states == {"x": "published", "reddit": "published"}
    for pub in rows(db, "SELECT id FROM publications"):
        assert not publish.retry(db, pub["id"], now_utc())
    publish.publish_due(db, cfg, channels, now_utc() + timedelta(hours=2))
    assert len(control.posts()) == 2


# -- Reddit shapes ------------------------------------------------------------------------------

def test_reddit_old_comments_edited_true_no_depth_no_permalink(cfg, db, control):
    channels = open_channels(cfg, ["reddit"])
    cfg["x"]["enabled"] = False
    setup_question(cfg, db)
    publish_past_window(db, cfg, channels, now_utc())
    pub = publication(db, "reddit")
    [top] = control.add_replies("reddit", pub["remote_id"], replies=[{"text": "Old and good", "old": True}])
    [nested] = control.add_replies("reddit", pub["remote_id"], replies=[
        {"text": "Old answer to an old comment", "parent": top, "old": True}])
    control.post("/_fake/edit", {"channel": "reddit", "id": top, "text": "Old and great"})
    harvest_all(db, cfg, channels, now_utc())
    first = reply(db, "reddit", top)
    assert first["text"] == "Old and great" and first["edited_at"] is None  # edited, time unknown: not 1970
    assert reply(db, "reddit", nested)["depth"] == 2 and first["depth"] == 1
    assert first["url"] and top in first["url"] and pub["remote_id"] in first["url"]


def test_reddit_short_morechildren_batches_are_walked_to_the_end(cfg, db, control):
    channels = open_channels(cfg, ["reddit"])
    cfg["x"]["enabled"] = False
    setup_question(cfg, db)
    publish_past_window(db, cfg, channels, now_utc())
    pub = publication(db, "reddit")
    ids = control.add_replies("reddit", pub["remote_id"], count=700, seed=3)
    harvest_all(db, cfg, channels, now_utc())
    stored = {r[0] for r in db.execute("SELECT remote_id FROM replies WHERE channel = 'reddit'")}
    assert stored == set(ids)
    assert control.get("/_fake/stats")["requests"]["reddit.morechildren"] >= 10  # 20 per call


def test_reddit_without_rate_limit_headers_is_harvested_in_full(cfg, db, control):
    channels = open_channels(cfg, ["reddit"])
    cfg["x"]["enabled"] = False
    setup_question(cfg, db)
    publish_past_window(db, cfg, channels, now_utc())
    pub = publication(db, "reddit")
    ids = control.add_replies("reddit", pub["remote_id"], count=300, seed=5)
    control.post("/_fake/config", {"quirks": ["no_limit_headers"]})
    fresh = open_channels(cfg, ["reddit"])
    report = harvest_all(db, cfg, fresh, now_utc())
    assert report.new == 300 and {r[0] for r in db.execute("SELECT remote_id FROM replies")} == set(ids)


@pytest.mark.parametrize("channel", ["x", "reddit"])
def test_replies_to_a_deleted_comment_keep_their_thread(cfg, db, control, channel):
    channels = open_channels(cfg, [channel])
    cfg["reddit" if channel == "x" else "x"]["enabled"] = False
    setup_question(cfg, db)
    publish_past_window(db, cfg, channels, now_utc())
    pub = publication(db, channel)
    [parent] = control.add_replies(channel, pub["remote_id"], replies=[{"text": "I will delete this"}])
    [child] = control.add_replies(channel, pub["remote_id"], replies=[{"text": "Answer", "parent": parent}])
    [grandchild] = control.add_replies(channel, pub["remote_id"], replies=[{"text": "Deeper", "parent": child}])
    control.post("/_fake/delete", {"channel": channel, "id": parent})
    report = harvest_all(db, cfg, channels, now_utc())
    assert report.new == 2
    held = reply(db, channel, parent)
    assert held and held["placeholder"] == 1 and held["deleted_at"]
    assert held["text"] in ("", "[deleted]")
    assert reply(db, channel, child)["depth"] == 2 and reply(db, channel, grandchild)["depth"] == 3
    coverage = publication(db, channel)["harvested_reply_count"]
    assert coverage == 2  # a placeholder is not a reply


# -- logins, error bodies, unreachable platforms ---------------------------------------------------

@pytest.mark.parametrize("fault", [{"kind": "5xx", "status": 503}, {"kind": "html_body", "status": 503},
                                   {"kind": "429"}, {"kind": "captive_portal"}, {"kind": "text_body"}])
def test_reddit_login_outage_keeps_the_post_planned(cfg, db, control, fault):
    channels = open_channels(cfg, ["reddit"])
    cfg["x"]["enabled"] = False
    setup_question(cfg, db)
    control.fault("reddit.token", fault.pop("kind"), **fault)
    now = now_utc()
    publish.plan(db, cfg, now)
    report = publish.publish_due(db, cfg, channels, now)
    pub = publication(db, "reddit")
    assert pub["state"] == "planned" and pub["retry_at"], pub
    assert "login" in pub["error"] and "r/" not in pub["error"] and "\n" not in pub["error"]
    assert all("\n" not in m and "<" not in m for m in report.messages)
    publish.publish_due(db, cfg, channels, now + timedelta(minutes=6))  # the login works again
    assert publication(db, "reddit")["state"] == "published" and len(control.posts("reddit")) == 1


def test_reddit_login_has_its_own_budget(cfg, db, control):
    control.post("/_fake/limits", {"route": "reddit.token", "limit": 0, "window": 600})
    channels = open_channels(cfg, ["reddit"])
    cfg["x"]["enabled"] = False
    setup_question(cfg, db)
    now = now_utc()
    publish.plan(db, cfg, now)
    publish.publish_due(db, cfg, channels, now)
    pub = publication(db, "reddit")
    assert pub["state"] == "planned" and "login" in pub["error"] and "429" in pub["error"]


@pytest.mark.parametrize("status_code", [408, 524])
def test_statuses_prawcore_does_not_know_are_not_refusals(cfg, db, control, status_code):
    channels = open_channels(cfg, ["reddit"])
    cfg["x"]["enabled"] = False
    setup_question(cfg, db)
    control.fault("reddit.submit", "5xx", status=status_code)
    now = now_utc()
    publish.plan(db, cfg, now)
    publish.publish_due(db, cfg, channels, now)
    pub = publication(db, "reddit")
    assert pub["state"] == "unknown" and "refused" not in (pub["error"] or ""), pub
    publish_past_window(db, cfg, channels, now)
    assert publication(db, "reddit")["state"] == "failed"  # reconciled: never posted, safe to retry
    control.fault("reddit.comments", "5xx", status=status_code)
    pub_id = publication(db, "reddit")["id"]
    publish.retry(db, pub_id, now_utc())
    publish.publish_due(db, cfg, channels, now_utc())
    report = harvest_all(db, cfg, channels, now_utc())
    assert any("will try again later" in m for m in report.messages), report.messages
    assert not any("refused" in m for m in report.messages)


@pytest.mark.parametrize("kind", ["html_body", "text_body", "captive_portal"])
@pytest.mark.parametrize("route", ["x.create", "x.search", "reddit.submit", "reddit.comments"])
def test_non_json_bodies_become_one_line_errors(cfg, db, control, route, kind):
    channels = open_channels(cfg)
    setup_question(cfg, db)
    if route.endswith(("create", "submit")):
        control.fault(route, kind, status=400)
        publish_past_window(db, cfg, channels, now_utc())
    else:
        publish_past_window(db, cfg, channels, now_utc())
        control.fault(route, kind, status=502)
        harvest_all(db, cfg, channels, now_utc())
    errors = [r[0] for r in db.execute("SELECT error FROM publications UNION ALL SELECT error FROM harvest_runs")]
    for error in filter(None, errors):
        assert "\n" not in error and "<" not in error and len(error) < 300, error
    assert len(control.posts()) <= 2


@pytest.mark.parametrize("channel", ["x", "reddit"])
def test_dns_failure_is_unreachable_and_stays_planned(cfg, db, control, channel):
    cfg["x"]["base_url"] = "http://nonexistent.invalid"
    cfg["reddit"]["base_url"] = cfg["reddit"]["auth_url"] = "http://nonexistent.invalid/reddit"
    channels = open_channels(cfg, [channel])
    cfg["reddit" if channel == "x" else "x"]["enabled"] = False
    setup_question(cfg, db)
    now = now_utc()
    publish.plan(db, cfg, now)
    publish.publish_due(db, cfg, channels, now)
    pub = publication(db, channel)
    assert pub["state"] == "planned" and pub["retry_at"] and "cannot reach" in pub["error"], pub


# -- harvest: claims, surrogates ----------------------------------------------------------------

def test_two_harvesters_at_once_read_each_publication_once(cfg, db, control):
    channels = open_channels(cfg, ["x"])
    cfg["reddit"]["enabled"] = False
    cfg["harvest"]["page_size"] = 10
    setup_question(cfg, db)
    publish_past_window(db, cfg, channels, now_utc())
    pub = publication(db, "x")
    control.add_replies("x", pub["remote_id"], count=50, seed=2)
    now = now_utc()
    harvest.make_all_due(db, now)
    control.fault("x.search", "slow", delay=0.6)  # the first page takes a while (timeout 1 s): the walks overlap
    before = control.get("/_fake/stats")["requests"].get("x.search", 0)
    errors = []

    def worker():
        try:
            harvest.harvest_due(open_db(cfg["database"]["path"]), cfg, open_channels(cfg, ["x"]), now)
        except Exception as exc:  # pragma: no cover - shown on failure
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    threads[0].start()
    time.sleep(0.2)
    threads[1].start()
    for t in threads:
        t.join()
    assert not errors
    searches = control.get("/_fake/stats")["requests"]["x.search"] - before
    assert searches == 5  # 50 replies, 10 a page, one walk
    assert db.execute("SELECT count(*) FROM replies").fetchone()[0] == 50
    assert publication(db, "x")["harvest_claimed_pid"] is None  # released


def test_a_harvest_claim_of_a_dead_process_is_taken_over(cfg, db, control):
    from test_publish_faults import dead_pid

    channels = open_channels(cfg, ["x"])
    cfg["reddit"]["enabled"] = False
    setup_question(cfg, db)
    publish_past_window(db, cfg, channels, now_utc())
    pub = publication(db, "x")
    control.add_replies("x", pub["remote_id"], count=5, seed=1)
    now = now_utc()
    harvest.make_all_due(db, now)
    db.execute("UPDATE publications SET harvest_claimed_at = ?, harvest_claimed_pid = ? WHERE id = ?",
               [now.strftime("%Y-%m-%dT%H:%M:%SZ"), dead_pid(), pub["id"]])
    assert harvest.harvest_due(db, cfg, channels, now).new == 5


@pytest.mark.parametrize("channel", ["x", "reddit"])
def test_lone_surrogate_in_an_author_never_stops_a_harvest(cfg, db, control, channel):
    channels = open_channels(cfg, [channel])
    cfg["reddit" if channel == "x" else "x"]["enabled"] = False
    setup_question(cfg, db)
    publish_past_window(db, cfg, channels, now_utc())
    pub = publication(db, channel)
    ids = control.add_replies(channel, pub["remote_id"], replies=[
        {"text": "fine \ud83d text", "author": "bad\udc00name"}, {"text": "Great!", "author": "ok_name"}])
    for _ in range(2):  # every later harvest of that post too
        report = harvest_all(db, cfg, channels, now_utc())
        assert not [m for m in report.messages if "error" in m.lower()], report.messages
    row = reply(db, channel, ids[0])
    assert row["author"] == "bad\ufffdname" and row["text"] == "fine \ufffd text"
    assert reply(db, channel, ids[1])


@pytest.mark.parametrize("command", [["publish"], ["harvest", "--all"]])
def test_captive_portal_login_is_one_line_in_the_cli(env_for_cli, tmp_path, control, command):
    write_question(tmp_path / "posts", "effort", text="How easy are we to do business with?",
                   at=(now_utc() - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M"), status="approved",
                   approved_by="maria")
    env = {**env_for_cli, "LISTENER_X_ENABLED": "false"}
    subprocess.run([LISTENER, "sync"], env=env, check=True, capture_output=True)
    if command[0] == "harvest":
        subprocess.run([LISTENER, "publish"], env=env, check=True, capture_output=True)
    control.fault("reddit.token", "captive_portal", count=5)
    result = subprocess.run([LISTENER, *command], env=env, capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "<html" not in output.lower(), output
    assert "login" in output and "not JSON" in output, output
