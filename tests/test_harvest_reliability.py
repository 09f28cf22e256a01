"""Harvesting against the fake platform: nothing lost, nothing twice, limits respected, coverage told.

Real tweepy and praw talk HTTP to the fake on 127.0.0.1; faults are injected with /_fake/ controls.
"""

import time
from datetime import datetime, timedelta, timezone

import pytest

from conftest import write_question
from listener import harvest, publish, questions
from listener.channels import open_channel
from listener.times import parse_iso


def now_utc():
    return datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def setup(cfg, db, control):
    """One question published on X and Reddit; returns (channels, {channel: publication row})."""
    cfg["x"]["timeout"] = cfg["reddit"]["timeout"] = 1.0
    cfg["harvest"]["page_size"] = 10
    due = (now_utc() - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
    write_question(cfg["posts"]["dir"], "effort", text="How easy are we to do business with?", at=due,
                   status="approved", approved_by="maria")
    questions.sync(db, cfg["posts"]["dir"], now_utc())
    channels = {name: open_channel(name, cfg) for name in ("x", "reddit")}
    publish.plan(db, cfg, now_utc())
    publish.publish_due(db, cfg, channels, now_utc())
    return channels, pubs(db)


def pubs(db):
    cursor = db.execute("SELECT * FROM publications")
    columns = [d[0] for d in cursor.description]
    return {row[columns.index("channel")]: dict(zip(columns, row)) for row in cursor.fetchall()}


def run(db, cfg, channels, now=None, only=None, **kwargs):
    now = now or now_utc()
    harvest.make_all_due(db, now)
    chosen = {k: v for k, v in channels.items() if only in (None, k)}
    return harvest.harvest_due(db, cfg, chosen, now, **kwargs)


def stored(db, channel, deleted=False):
    sql = "SELECT remote_id FROM replies WHERE channel = ?" + ("" if deleted else " AND deleted_at IS NULL")
    ids = [r[0] for r in db.execute(sql, [channel]).fetchall()]
    assert len(ids) == len(set(ids))
    return sorted(ids)


def forget_limits(db, channels):
    db.execute("DELETE FROM rate_limits")
    for channel in channels.values():
        channel.rate_limits.clear()


def reply(db, channel, remote_id):
    cursor = db.execute("SELECT * FROM replies WHERE channel = ? AND remote_id = ?", [channel, remote_id])
    return dict(zip([d[0] for d in cursor.description], cursor.fetchone()))


@pytest.mark.parametrize("channel", ["x", "reddit"])
def test_late_and_out_of_order_replies_found_on_rewalk(setup, db, cfg, control, channel):
    channels, publications = setup
    post = publications[channel]["remote_id"]
    first = control.add_replies(channel, post, count=25, seed=1)
    run(db, cfg, channels, only=channel)
    assert stored(db, channel) == sorted(first)
    # late replies, some dated before the ones already harvested, one answering an old reply
    old = time.time() - 7200
    late = control.add_replies(channel, post, replies=[
        {"text": "Late but true: hard to reach you.", "created_at": old},
        {"text": "I agree with that", "parent": first[3], "created_at": old + 5},
        {"text": "Newest opinion: great service!"},
    ])
    run(db, cfg, channels, only=channel)
    assert stored(db, channel) == sorted(first + late)
    assert reply(db, channel, late[1])["parent_remote_id"] == first[3]
    assert reply(db, channel, late[1])["depth"] == reply(db, channel, first[3])["depth"] + 1


@pytest.mark.parametrize("channel", ["x", "reddit"])
def test_edits_update_text_and_rescore_deletions_are_kept(setup, db, cfg, control, channel):
    channels, publications = setup
    ids = control.add_replies(channel, publications[channel]["remote_id"], replies=[
        {"text": "This is wonderful, I love it!"}, {"text": "Fine."}, {"text": "Ok then"}])
    run(db, cfg, channels, only=channel)
    before = reply(db, channel, ids[0])
    assert before["label"] == "positive"
    time.sleep(1.1)  # a later second: last_seen_at moves
    control.post("/_fake/edit", {"channel": channel, "id": ids[0], "text": "This is terrible, I hate it."})
    control.post("/_fake/delete", {"channel": channel, "id": ids[1]})
    run(db, cfg, channels, only=channel)
    after = reply(db, channel, ids[0])
    assert after["text"] == "This is terrible, I hate it." and after["label"] == "negative"
    assert after["compound"] < 0 < before["compound"]
    assert after["last_seen_at"] > before["last_seen_at"] and after["edited_at"]
    gone = reply(db, channel, ids[1])
    assert gone["deleted_at"] and gone["text"] == "Fine."  # marked, kept with what was said
    assert reply(db, channel, ids[2])["deleted_at"] is None
    assert stored(db, channel, deleted=True) == sorted(ids)
    assert stored(db, channel) == sorted([ids[0], ids[2]])


@pytest.mark.parametrize("channel, route", [("x", "x.search"), ("reddit", "reddit.comments")])
def test_429_requeues_at_reset_without_sleeping(setup, db, cfg, control, channel, route):
    channels, publications = setup
    control.add_replies(channel, publications[channel]["remote_id"], count=5, seed=2)
    forget_limits(db, channels)  # a 429 out of the blue (e.g. another app on the account spent it)
    control.fault(route, "429", reset=600)
    started = time.monotonic()
    report = run(db, cfg, channels, only=channel)
    assert time.monotonic() - started < 3
    assert any("rate limit" in m for m in report.messages)
    pub = pubs(db)[channel]
    reset = parse_iso(pub["next_harvest_at"]).timestamp()
    assert time.time() + 590 < reset < time.time() + 610  # at the reset, not before, not blind
    row = db.execute("SELECT remaining, reset_at FROM rate_limits WHERE channel = ? AND route = ?",
                     [channel, harvest.route_for(channels[channel])]).fetchone()
    assert row[0] == 0 and abs(parse_iso(row[1]).timestamp() - reset) < 3
    assert stored(db, channel) == []
    # the next run before the reset sends nothing; at the reset it completes
    assert harvest.harvest_due(db, cfg, {channel: channels[channel]}, now_utc()).requests == 0
    fresh = {channel: open_channel(channel, cfg)}
    db.execute("DELETE FROM rate_limits")  # the fake's window is not really spent: start afresh
    report = harvest.harvest_due(db, cfg, fresh, now_utc() + timedelta(minutes=11))
    assert report.new == 5


def test_transient_429_mid_walk_is_retried_after_short_backoff(setup, db, cfg, control):
    channels, publications = setup
    ids = control.add_replies("x", publications["x"]["remote_id"], count=45, seed=3)
    harvest.make_all_due(db, now_utc())
    harvest.harvest_due(db, cfg, {"x": channels["x"]}, now_utc(), pages_per_run=2)
    control.fault("x.search", "429", reset=600)  # our accounting says ~290 requests are left
    started = time.monotonic()
    report = harvest.harvest_due(db, cfg, {"x": channels["x"]}, now_utc())
    assert time.monotonic() - started < 3
    assert stored(db, "x") == sorted(ids) and report.new == 25


WALK_FAULTS = ["malformed", "5xx", "drop", "slow", "lost", "429"]


@pytest.mark.parametrize("kind", WALK_FAULTS)
@pytest.mark.parametrize("channel, route, count", [("x", "x.search", 55), ("reddit", "reddit.morechildren", 640)])
def test_fault_mid_walk_loses_and_repeats_nothing(setup, db, cfg, control, channel, route, count, kind):
    channels, publications = setup
    # Reddit: the first page lists 500 comments, the rest come through morechildren pages
    ids = control.add_replies(channel, publications[channel]["remote_id"], count=count, seed=4,
                              replies=None)
    one = {channel: channels[channel]}
    now = now_utc()
    harvest.make_all_due(db, now)
    harvest.harvest_due(db, cfg, one, now, pages_per_run=1 if channel == "reddit" else 2)
    cursor_before = pubs(db)[channel]["harvest_cursor"]
    count_before = len(stored(db, channel))
    assert cursor_before and 0 < count_before < len(ids)
    if kind == "429":
        forget_limits(db, channels)  # a 429 out of the blue: nothing says it is transient
    control.fault(route, kind, count=1, delay=2.0)
    report = harvest.harvest_due(db, cfg, one, now)
    pub = pubs(db)[channel]
    assert pub["harvest_cursor"] == cursor_before  # the failed page changed nothing
    assert len(stored(db, channel)) == count_before
    assert pub["next_harvest_at"] > harvest.iso(now)  # re-queued, not spinning
    assert report.messages
    if kind == "slow":
        time.sleep(2.2)
    db.execute("DELETE FROM rate_limits")
    channels[channel].rate_limits.clear()
    harvest.harvest_due(db, cfg, one, now + timedelta(minutes=11), pages_per_run=100)
    assert stored(db, channel) == sorted(ids)
    pub = pubs(db)[channel]
    assert pub["harvest_cursor"] is None and pub["harvested_reply_count"] == len(ids)
    runs = db.execute("SELECT status FROM harvest_runs WHERE publication_id = ?", [pub["id"]]).fetchall()
    assert ("ok",) in runs and all(r[0] != "running" for r in runs)


def test_x_usage_cap_stops_x_while_reddit_carries_on(setup, db, cfg, control):
    channels, publications = setup
    x_ids = control.add_replies("x", publications["x"]["remote_id"], count=5, seed=5)
    r_ids = control.add_replies("reddit", publications["reddit"]["remote_id"], count=7, seed=5)
    control.fault("x.search", "usage_cap")
    report = run(db, cfg, channels)
    assert stored(db, "reddit") == sorted(r_ids) and stored(db, "x") == []
    assert any("usage cap" in m for m in report.messages)
    blocked, note = db.execute("SELECT blocked_until, note FROM rate_limits WHERE channel = 'x' AND route = '*'"
                               ).fetchone()
    assert parse_iso(blocked) > now_utc() + timedelta(hours=23) and "usage cap" in note
    before = control.get("/_fake/stats")["requests"].get("x.search", 0)
    report = run(db, cfg, channels)
    assert control.get("/_fake/stats")["requests"].get("x.search", 0) == before  # no request while capped
    assert any("paused until" in m for m in report.messages)
    report = run(db, cfg, channels, now=now_utc() + timedelta(days=1, minutes=1))
    assert stored(db, "x") == sorted(x_ids)


def test_question_budget_stops_x_harvest_and_says_so(setup, db, cfg, control):
    channels, publications = setup
    cfg["cost"]["budget_per_question_usd"] = 0.1  # the post ($0.015) plus about 17 reads
    control.add_replies("x", publications["x"]["remote_id"], count=60, seed=6)
    r_ids = control.add_replies("reddit", publications["reddit"]["remote_id"], count=12, seed=6)
    report = run(db, cfg, channels, pages_per_run=100)
    assert any("cost budget" in m for m in report.messages)
    pub = pubs(db)["x"]
    assert pub["harvest_done_at"] and "budget" in pub["coverage_note"]
    assert 0 < len(stored(db, "x")) <= 30  # stopped within a page of the budget
    assert harvest.question_cost(db, cfg, "effort") < 0.1 + 10 * cfg["cost"]["x_read_usd"] + 1e-9
    assert stored(db, "reddit") == sorted(r_ids)  # Reddit costs nothing: not stopped
    before = control.get("/_fake/stats")["requests"].get("x.search", 0)
    run(db, cfg, channels)
    assert control.get("/_fake/stats")["requests"].get("x.search", 0) == before


def test_coverage_numbers_and_notes(setup, db, cfg, control):
    channels, publications = setup
    control.add_replies("x", publications["x"]["remote_id"], count=12, seed=7)
    control.add_replies("reddit", publications["reddit"]["remote_id"], count=9, seed=7)
    control.post("/_fake/hidden", {"post_id": publications["reddit"]["remote_id"], "count": 3})
    run(db, cfg, channels)
    from listener import status

    data = status.summary(db, cfg, now_utc())
    rows = {r["channel"]: r for r in data["coverage"]}
    assert (rows["x"]["harvested"], rows["x"]["reported"], rows["x"]["coverage"]) == (12, 12, "100%")
    assert (rows["reddit"]["harvested"], rows["reddit"]["reported"], rows["reddit"]["coverage"]) == (9, 12, "75%")
    assert "hidden" in rows["reddit"]["note"]
    text = status.format_status(data)
    assert "9 / 12" in text and "75%" in text and "hidden" in text


def test_x_plan_ends_inside_seven_day_window(setup, db, cfg, control):
    channels, publications = setup
    pub = publications["x"]
    ids = control.add_replies("x", pub["remote_id"], count=8, seed=8)
    published = parse_iso(pub["published_at"])
    step, runs = now_utc(), 0
    while pubs(db)["x"]["harvest_done_at"] is None:
        nxt = parse_iso(pubs(db)["x"]["next_harvest_at"])
        assert nxt <= published + timedelta(days=7)
        step = max(step, nxt)
        harvest.harvest_due(db, cfg, {"x": channels["x"]}, step)
        runs += 1
    assert runs == len(cfg["harvest"]["schedule"]) + 1 and stored(db, "x") == sorted(ids)


def test_x_replies_beyond_seven_days_kept_and_explained(setup, db, cfg, control):
    channels, publications = setup
    pub = publications["x"]
    early = control.add_replies("x", pub["remote_id"], count=8, seed=8)
    run(db, cfg, channels, only="x")
    # the worker was down: 8 days later old replies are beyond recent search, new ones are not
    control.post("/_fake/clock", {"advance": 8 * 86400})
    late = control.add_replies("x", pub["remote_id"], replies=[{"text": "Still waiting for an answer"}])
    later = now_utc() + timedelta(days=8)
    report = run(db, cfg, channels, now=later, only="x")
    assert report.new == 1
    assert stored(db, "x") == sorted(early + late)  # not marked deleted: merely out of reach
    row = pubs(db)["x"]
    assert row["reported_reply_count"] == 9 and row["harvested_reply_count"] == 9


def test_x_first_harvest_after_seven_days_says_why_coverage_is_low(setup, db, cfg, control):
    channels, publications = setup
    pub = publications["x"]
    control.add_replies("x", pub["remote_id"], count=8, seed=8)
    control.post("/_fake/clock", {"advance": 8 * 86400})
    late = control.add_replies("x", pub["remote_id"], replies=[{"text": "a"}, {"text": "b"}])
    run(db, cfg, channels, now=now_utc() + timedelta(days=8), only="x")
    row = pubs(db)["x"]
    assert row["harvested_reply_count"] == 2 and row["reported_reply_count"] == 10
    assert "older than 7 days" in row["coverage_note"]
    assert stored(db, "x") == sorted(late)


def test_pacing_waits_for_the_reset_within_the_time_budget(setup, db, cfg, control):
    channels, publications = setup
    ids = control.add_replies("x", publications["x"]["remote_id"], count=45, seed=9)
    control.post("/_fake/limits", {"route": "x.search", "limit": 3, "window": 2})
    forget_limits(db, channels)
    before = control.get("/_fake/stats")["rate_limited"]
    started = time.monotonic()
    report = run(db, cfg, channels, only="x", time_budget=20, pages_per_run=100)
    elapsed = time.monotonic() - started
    assert stored(db, "x") == sorted(ids) and report.requests == 5
    assert control.get("/_fake/stats")["rate_limited"] == before  # paced: not a single 429
    assert 2 <= elapsed < 10  # it waited for one reset (window 2 s, headers in whole seconds)


@pytest.mark.parametrize("channel, bucket, count", [("x", "x.search", 45), ("reddit", "reddit", 640)])
def test_pacing_requeues_at_the_reset_beyond_the_time_budget(setup, db, cfg, control, channel, bucket, count):
    """No job sleeps past its slot: the reset is 30 s away, the budget 2 s: re-queue at the reset."""
    channels, publications = setup
    ids = control.add_replies(channel, publications[channel]["remote_id"], count=count, seed=10)
    control.post("/_fake/limits", {"route": bucket, "limit": 2, "window": 30})
    forget_limits(db, channels)
    before = control.get("/_fake/stats")["rate_limited"]
    started = time.monotonic()
    report = run(db, cfg, channels, only=channel, time_budget=2, pages_per_run=100)
    assert time.monotonic() - started < 2.5  # neither we nor prawcore's limiter slept to the reset
    assert control.get("/_fake/stats")["rate_limited"] == before
    assert any("no requests left" in m for m in report.messages)
    pub = pubs(db)[channel]
    assert parse_iso(pub["next_harvest_at"]).timestamp() > time.time() + 20
    assert pub["harvest_cursor"] and 0 < len(stored(db, channel)) < len(ids)
    # once the window is open again the walk resumes from the saved cursor and completes
    control.post("/_fake/limits", {"route": bucket, "limit": 1000, "window": 30})
    forget_limits(db, channels)
    harvest.harvest_due(db, cfg, {channel: channels[channel]}, now_utc() + timedelta(minutes=1),
                        pages_per_run=100)
    assert stored(db, channel) == sorted(ids)


def test_runs_of_a_killed_process_are_closed(setup, cfg, db):
    now = now_utc()
    pub_id = db.execute("SELECT id FROM publications LIMIT 1").fetchone()[0]
    for started in (now - timedelta(hours=2), now - timedelta(minutes=1)):
        db.execute("INSERT INTO harvest_runs (publication_id, started_at) VALUES (?, ?)",
                   [pub_id, started.strftime("%Y-%m-%dT%H:%M:%SZ")])
    harvest.harvest_due(db, cfg, {}, now)
    statuses = [r[0] for r in db.execute("SELECT status FROM harvest_runs ORDER BY id")]
    assert statuses[-2:] == ["interrupted", "running"]  # a recent run may still be alive elsewhere
