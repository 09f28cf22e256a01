"""The worker (`listener run`, worker.tick) and the content calendar, against the fake platform.

In-process tests inject `now`; the process tests run the real `listener` command with the real
clock (lock, SIGTERM, restart).
"""

import json
import logging
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import types
from datetime import datetime, timedelta, timezone
from pathlib import Path

import listener
from conftest import write_question
from listener import calendar, publish, questions, worker
from listener.channels import open_channel
from listener.db import open_db
from listener.status import summary
from listener.times import iso

LISTENER = str(Path(sys.executable).with_name("listener"))
UTC = timezone.utc
T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday


def channels_for(cfg, names=("x", "reddit")):
    return {name: open_channel(name, cfg) for name in names}


def states(db):
    return dict(db.execute("SELECT state, count(*) FROM publications GROUP BY state").fetchall())


def approved(posts, name, text, **fields):
    fields.setdefault("time_zone", "UTC")
    return write_question(posts, name, text=text, status="approved", approved_by="maria", **fields)


# -- tick with an injected clock --------------------------------------------------------------

def test_tick_publishes_when_due_and_restart_never_publishes_twice(cfg, db, control, tmp_path, caplog):
    posts = tmp_path / "posts"
    approved(posts, "effort", "How easy are we to do business with?", at="2026-12-01T09:00",
             reddit={"title": "How easy are we to do business with?"})
    caplog.set_level(logging.INFO, logger="listener")

    early = worker.tick(db, cfg, channels_for(cfg), T - timedelta(minutes=1))
    assert (early.synced, early.planned, early.published) == (1, 0, 0)
    assert control.posts() == []

    first = worker.tick(db, cfg, channels_for(cfg), T + timedelta(seconds=30))
    assert (first.planned, first.published, first.missed) == (2, 2, [])
    assert "planned 2, published 2" in caplog.text
    assert len(control.posts()) == 2

    # a new process: fresh connection, fresh channels, same moment and later
    db2 = open_db(cfg["database"]["path"])
    for later in (T + timedelta(seconds=30), T + timedelta(minutes=5), T + timedelta(days=2)):
        again = worker.tick(db2, cfg, channels_for(cfg), later)
        assert (again.planned, again.published, again.missed) == (0, 0, [])
    assert len(control.posts()) == 2
    assert states(db2) == {"published": 2}


def test_recurring_weekly_publishes_each_occurrence_once(cfg, db, control, tmp_path):
    approved(tmp_path / "posts", "weekly", "What should we fix this week?", channels=["reddit"],
             rrule="FREQ=WEEKLY;BYDAY=TU;BYHOUR=10;BYMINUTE=0", starts="2026-12-01T00:00", count=2,
             time_zone="Europe/Berlin")
    first_at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 CET
    for minutes in (0, 1, 2):
        worker.tick(db, cfg, channels_for(cfg), first_at + timedelta(minutes=minutes))
    assert len(control.posts()) == 1
    worker.tick(open_db(cfg["database"]["path"]), cfg, channels_for(cfg), first_at + timedelta(days=7, seconds=5))
    worker.tick(db, cfg, channels_for(cfg), first_at + timedelta(days=7, minutes=1))
    assert len(control.posts()) == 2
    # count = 2: nothing in the third week
    assert worker.tick(db, cfg, channels_for(cfg), first_at + timedelta(days=14)).planned == 0
    assert [r[0] for r in db.execute("SELECT occurrence_at FROM publications ORDER BY 1")] == \
        ["2026-12-01T09:00:00Z", "2026-12-08T09:00:00Z"]


def test_two_workers_at_once_publish_exactly_once(cfg, control, tmp_path):
    posts = tmp_path / "posts"
    texts = {f"q{i}": f"Question number {i}: what would you change?" for i in range(4)}
    for name, text in texts.items():
        approved(posts, name, text, at="2026-12-01T09:00")
    open_db(cfg["database"]["path"])  # migrate once up front
    barrier = threading.Barrier(4)
    reports, errors = [], []

    def one_worker():
        try:
            db = open_db(cfg["database"]["path"])
            channels = channels_for(cfg)
            barrier.wait()
            reports.append(worker.tick(db, cfg, channels, T + timedelta(seconds=10)))
            db.conn.close()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=one_worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and all(r.errors == [] for r in reports)
    on_fake = control.posts()
    assert len(on_fake) == 8  # 4 questions x 2 channels, each once
    assert sorted(p["text"] if p["channel"] == "x" else p["title"] for p in on_fake) == \
        sorted(list(texts.values()) * 2)
    assert sum(r.published for r in reports) == 8
    assert sum(r.planned for r in reports) == 8
    db = open_db(cfg["database"]["path"])
    assert states(db) == {"published": 8}


def test_missed_window_is_reported_not_posted(cfg, db, control, tmp_path, caplog):
    approved(tmp_path / "posts", "effort", "How easy are we to do business with?", at="2026-12-01T09:00")
    caplog.set_level(logging.INFO, logger="listener")
    grace = cfg["publish"]["missed_grace_minutes"]
    report = worker.tick(db, cfg, channels_for(cfg), T + timedelta(minutes=grace + 1))
    assert report.published == 0 and len(report.missed) == 2
    assert "MISSED 2 (effort on x due 2026-12-01T09:00:00Z; effort on reddit due 2026-12-01T09:00:00Z)" in caplog.text
    assert control.posts() == []
    attention = summary(db, cfg, T)["needs_attention"]
    assert {(row["channel"], row["state"]) for row in attention} == {("x", "missed"), ("reddit", "missed")}
    # reported once: the next tick has nothing new to say
    assert worker.tick(db, cfg, channels_for(cfg), T + timedelta(minutes=grace + 2)).missed == []


def test_within_grace_a_late_tick_still_publishes(cfg, db, control, tmp_path):
    approved(tmp_path / "posts", "effort", "How easy are we to do business with?", at="2026-12-01T09:00",
             channels=["x"])
    report = worker.tick(db, cfg, channels_for(cfg), T + timedelta(minutes=cfg["publish"]["missed_grace_minutes"] - 1))
    assert report.published == 1 and len(control.posts()) == 1


def test_pause_cancels_planned_and_nothing_is_published(cfg, db, control, tmp_path):
    approved(tmp_path / "posts", "effort", "How easy are we to do business with?", at="2026-12-01T09:00")
    questions.sync(db, tmp_path / "posts", T)
    publish.plan(db, cfg, T)  # planned, not yet published (as if the worker stopped here)
    assert states(db) == {"planned": 2}
    questions.set_status(db, "effort", "paused", T)
    assert states(db) == {"cancelled": 2}
    report = worker.tick(db, cfg, channels_for(cfg), T + timedelta(minutes=1))
    assert report.published == 0 and control.posts() == []
    assert db.execute("SELECT status FROM questions").fetchone()[0] == "paused"  # sync keeps it paused


def test_deleting_the_file_cancels_planned(cfg, db, control, tmp_path):
    path = approved(tmp_path / "posts", "effort", "How easy are we to do business with?", at="2026-12-01T09:00")
    questions.sync(db, tmp_path / "posts", T)
    publish.plan(db, cfg, T)
    path.unlink()
    report = worker.tick(db, cfg, channels_for(cfg), T + timedelta(minutes=1))
    assert report.published == 0 and control.posts() == []
    assert states(db) == {"cancelled": 2}
    assert db.execute("SELECT status, deleted_at IS NOT NULL FROM questions").fetchone() == ("archived", 1)


def test_changed_text_after_cli_approval_goes_back_to_draft(cfg, db, control, tmp_path):
    posts = tmp_path / "posts"
    write_question(posts, "effort", text="How easy are we to do business with?", at="2026-12-01T09:00")
    questions.sync(db, posts, T - timedelta(days=1))
    questions.approve(db, "effort", "maria", T - timedelta(days=1))
    questions.sync(db, posts, T - timedelta(hours=1))  # unchanged: stays approved
    assert db.execute("SELECT status, approved_by FROM questions").fetchone() == ("approved", "maria")
    publish.plan(db, cfg, T)
    assert states(db) == {"planned": 2}

    write_question(posts, "effort", text="How hard are we to do business with?", at="2026-12-01T09:00")
    report = worker.tick(db, cfg, channels_for(cfg), T + timedelta(minutes=1))
    assert db.execute("SELECT status, approved_by FROM questions").fetchone() == ("draft", None)
    assert states(db) == {"cancelled": 2}
    assert report.published == 0 and control.posts() == []


def test_file_approved_question_stays_approved_when_text_changes(cfg, db, tmp_path):
    posts = tmp_path / "posts"
    approved(posts, "effort", "How easy are we to do business with?", at="2026-12-01T09:00")
    questions.sync(db, posts, T - timedelta(days=1))
    approved(posts, "effort", "How hard are we to do business with?", at="2026-12-01T09:00")
    questions.sync(db, posts, T)
    assert db.execute("SELECT status, approved_at FROM questions").fetchone() == ("approved", iso(T))


def test_bad_file_is_logged_and_the_tick_goes_on(cfg, db, control, tmp_path, caplog):
    posts = tmp_path / "posts"
    approved(posts, "effort", "How easy are we to do business with?", at="2026-12-01T09:00", channels=["reddit"])
    (posts / "broken.toml").write_text("text = \n", encoding="utf-8")
    caplog.set_level(logging.INFO, logger="listener")
    report = worker.tick(db, cfg, channels_for(cfg), T + timedelta(minutes=1))
    assert report.published == 1 and len(report.sync_errors) == 1
    assert "broken.toml" in caplog.text and "1 bad file(s)" in caplog.text


def test_missing_posts_folder_is_not_fatal(cfg, db, tmp_path):
    (tmp_path / "posts").rmdir()
    report = worker.tick(db, cfg, channels_for(cfg), T)
    assert report.errors and report.errors[0].startswith("sync: posts folder")


def test_tick_sends_the_digest_when_the_module_provides_it(cfg, db, monkeypatch):
    calls = []
    stub = types.ModuleType("listener.digest")
    stub.send_due = lambda db, cfg, now: calls.append(now) or "sent for 2026-W49"
    monkeypatch.setitem(sys.modules, "listener.digest", stub)
    monkeypatch.setattr(listener, "digest", stub, raising=False)
    assert worker.tick(db, cfg, channels_for(cfg), T).digest == "sent for 2026-W49"
    assert calls == [T]
    no_function = types.ModuleType("listener.digest")
    monkeypatch.setitem(sys.modules, "listener.digest", no_function)
    monkeypatch.setattr(listener, "digest", no_function, raising=False)
    report = worker.tick(db, cfg, channels_for(cfg), T)
    assert report.digest is None and report.errors == []


def test_stop_flag_is_checked_between_steps(cfg, db, control, tmp_path):
    approved(tmp_path / "posts", "effort", "How easy are we to do business with?", at="2026-12-01T09:00")
    stop = threading.Event()
    stop.set()
    report = worker.tick(db, cfg, channels_for(cfg), T + timedelta(minutes=1), should_stop=stop.is_set)
    assert report.stopped and report.planned == 0 and control.posts() == []


# -- the calendar ----------------------------------------------------------------------------

def test_calendar_local_and_utc_across_dst(cfg, db, tmp_path):
    posts = tmp_path / "posts"
    approved(posts, "effort", "How easy are we? ({date})", rrule="FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0",
             starts="2026-03-01T00:00", time_zone="Europe/Berlin")
    approved(posts, "ny", "What do you think?", channels=["x"], at="2026-03-30T09:00", time_zone="America/New_York")
    write_question(posts, "draft", text="Not yet", at="2026-03-25T09:00")
    questions.sync(db, posts, T)
    entries = calendar.upcoming(db, cfg, datetime(2026, 3, 23, tzinfo=UTC), 14)
    rows = [(e["question"], e["channel"], e["local"], e["utc"]) for e in entries]
    assert rows == [
        ("effort", "reddit", "2026-03-23T09:00+01:00", "2026-03-23T08:00:00Z"),
        ("effort", "x", "2026-03-23T09:00+01:00", "2026-03-23T08:00:00Z"),
        ("effort", "reddit", "2026-03-30T09:00+02:00", "2026-03-30T07:00:00Z"),
        ("effort", "x", "2026-03-30T09:00+02:00", "2026-03-30T07:00:00Z"),
        ("ny", "x", "2026-03-30T09:00-04:00", "2026-03-30T13:00:00Z"),
    ]
    assert {e["state"] for e in entries} == {"scheduled"}
    text = calendar.format_calendar(entries, datetime(2026, 3, 23, tzinfo=UTC), 14)
    assert "2026-03-30T07:00:00Z  2026-03-30T09:00+02:00" in text


def test_calendar_command(env_for_cli, tmp_path):
    posts = tmp_path / "posts"
    approved(posts, "effort", "How easy are we? ({date})", rrule="FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0",
             starts="2026-01-01T00:00", time_zone="Europe/Berlin", channels=["reddit"])
    cli(["sync"], env_for_cli)
    out = cli(["calendar", "--from", "2027-01-01", "--days", "45", "--json"], env_for_cli).stdout
    assert [(e["local"], e["utc"]) for e in json.loads(out)] == [
        ("2027-01-04T09:00+01:00", "2027-01-04T08:00:00Z"), ("2027-02-01T09:00+01:00", "2027-02-01T08:00:00Z")]
    text = cli(["calendar", "--from", "2027-01-01", "--days", "31"], env_for_cli).stdout
    assert "2027-01-04T08:00:00Z" in text and "Europe/Berlin" in text and "2027-02-01" not in text
    between = cli(["calendar", "--from", "2027-01-05", "--days", "3"], env_for_cli).stdout
    assert "nothing scheduled" in between and "try a longer --days" in between  # approved, just not this soon
    bad = cli(["calendar", "--from", "next week"], env_for_cli, check=False)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "--from" in bad.stderr


# -- the process: lock, SIGTERM, restart --------------------------------------------------------

def cli(args, env, check=True, timeout=60):
    result = subprocess.run([LISTENER, *args], capture_output=True, text=True, env=env, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"listener {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def start_worker(env, tmp_path, name="worker"):
    log = open(tmp_path / f"{name}.log", "w+")
    proc = subprocess.Popen([LISTENER, "run"], stdout=log, stderr=subprocess.STDOUT, env=env, text=True)
    return proc, log


def stop_within_10s(proc):
    """SIGTERM the worker: it must exit cleanly (code 0) in under 10 s."""
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    assert time.monotonic() - started < 10


def wait_for(predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def log_text(log):
    log.flush()
    return Path(log.name).read_text()


def due_now_question(posts, name="effort", **fields):
    """A one-off due a minute ago (UTC), so the real clock finds it due."""
    at = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    return approved(posts, name, f"{name}: how easy are we to do business with?", at=at, **fields)


def test_run_once_twice_publishes_once(env_for_cli, control, tmp_path):
    due_now_question(tmp_path / "posts")
    first = cli(["run", "--once"], env_for_cli)
    assert "published 2" in first.stderr, first.stderr
    second = cli(["run", "--once"], env_for_cli)
    assert "planned 0, published 0" in second.stderr
    assert len(control.posts()) == 2



def test_run_once_without_a_usable_channel_still_runs_the_offline_steps(env_for_cli, control, tmp_path):
    due_now_question(tmp_path / "posts")
    cli(["run", "--once"], env_for_cli)
    [post] = control.posts("x")
    control.add_replies("x", post["id"], count=6, seed=2)
    cli(["harvest", "--all"], env_for_cli)
    no_secrets = {k: v for k, v in env_for_cli.items()
                  if not k.startswith(("X_", "REDDIT_", "MASTODON_", "BLUESKY_"))}
    result = cli(["run", "--once"], no_secrets, check=False)
    assert result.returncode == 1  # cron hears that nothing can be published
    assert "no channel: publish and harvest skipped" in result.stderr
    assert "themes of" in result.stderr, result.stderr  # the offline steps ran
    assert result.stderr.count("no channel is usable") == 1, result.stderr
    with sqlite3.connect(env_for_cli["LISTENER_DATABASE_PATH"]) as conn:
        assert conn.execute("SELECT count(*) FROM reply_themes").fetchone()[0] == 6

def test_second_worker_on_same_db_exits_with_one_line(env_for_cli, control, tmp_path):
    env = dict(env_for_cli, LISTENER_WORKER_TICK_SECONDS="3600")
    proc, log = start_worker(env, tmp_path)
    try:
        assert wait_for(lambda: "tick " in log_text(log)), log_text(log)
        second = cli(["run"], env, check=False, timeout=30)
        assert second.returncode == 1
        db_path = env["LISTENER_DATABASE_PATH"]
        assert second.stderr == f"Error: another listener run is using {db_path} (pid {proc.pid}): stop it first\n"
        assert cli(["run", "--once"], env, check=False).returncode == 1
        assert proc.poll() is None  # the first one is unaffected
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def test_sigterm_stops_within_10s_and_frees_the_lock(env_for_cli, control, tmp_path):
    due_now_question(tmp_path / "posts")
    env = dict(env_for_cli, LISTENER_WORKER_TICK_SECONDS="1")
    proc, log = start_worker(env, tmp_path)
    try:
        assert wait_for(lambda: log_text(log).count("tick ") >= 2), log_text(log)
        stop_within_10s(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    text = Path(log.name).read_text()
    assert "worker stopped" in text and "Traceback" not in text
    assert len(control.posts()) == 2
    assert "planned 0, published 0" in cli(["run", "--once"], env).stderr  # lock free, nothing twice


def test_sigterm_during_a_hung_harvest_stops_at_once(env_for_cli, control, tmp_path):
    due_now_question(tmp_path / "posts", channels=["x"])
    # the harvest's search hangs for 20 s and the client waits up to 30 s: SIGTERM must not wait
    control.fault("x.search", "slow", count=5, delay=20)
    env = dict(env_for_cli, LISTENER_WORKER_TICK_SECONDS="3600", LISTENER_X_TIMEOUT="30")
    proc, log = start_worker(env, tmp_path)
    db_path = env["LISTENER_DATABASE_PATH"]

    def harvesting():
        conn = sqlite3.connect(db_path)
        try:
            return conn.execute("SELECT count(*) FROM harvest_runs").fetchone()[0] > 0
        except sqlite3.OperationalError:
            return False
        finally:
            conn.close()

    try:
        assert wait_for(harvesting), log_text(log)
        time.sleep(0.3)
        stop_within_10s(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT state FROM publications").fetchall() == [("published",)]
    runs = conn.execute("SELECT status, finished_at IS NOT NULL FROM harvest_runs").fetchall()
    assert runs == [("interrupted", 1)]
    # still due: the next run harvests it
    assert conn.execute("SELECT harvest_done_at IS NULL AND next_harvest_at IS NOT NULL "
                        "FROM publications").fetchone() == (1,)
    conn.close()


def test_killed_worker_never_leaves_the_lock_stuck(env_for_cli, control, tmp_path):
    env = dict(env_for_cli, LISTENER_WORKER_TICK_SECONDS="3600")
    proc, log = start_worker(env, tmp_path)
    try:
        assert wait_for(lambda: "tick " in log_text(log)), log_text(log)
        proc.kill()
        proc.wait(10)
    finally:
        log.close()
    assert Path(env["LISTENER_DATABASE_PATH"] + ".lock").exists()
    assert cli(["run", "--once"], env).returncode == 0


def test_sigterm_while_publishing_finishes_that_post_and_leaves_the_rest_planned(env_for_cli, control, tmp_path):
    posts = tmp_path / "posts"
    due_now_question(posts, "first", channels=["x"])
    due_now_question(posts, "second", channels=["x"])
    control.fault("x.create", "slow", count=1, delay=2)
    env = dict(env_for_cli, LISTENER_WORKER_TICK_SECONDS="3600", LISTENER_X_TIMEOUT="8")
    db_path = env["LISTENER_DATABASE_PATH"]
    proc, log = start_worker(env, tmp_path)

    def publication_states():
        conn = sqlite3.connect(db_path)
        try:
            return [row[0] for row in conn.execute("SELECT state FROM publications ORDER BY occurrence_at, id")]
        except sqlite3.OperationalError:
            return []
        finally:
            conn.close()

    try:
        assert wait_for(lambda: "publishing" in publication_states()), log_text(log)
        stop_within_10s(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    assert sorted(publication_states()) == ["planned", "published"]
    assert len(control.posts()) == 1
    assert "published 1" in cli(["run", "--once"], env).stderr
    assert publication_states() == ["published", "published"] and len(control.posts()) == 2


def test_first_start_does_not_flood_missed_with_a_rules_history(cfg, db, control, tmp_path):
    # a weekly rule counting from January, approved (first synced) in December
    approved(tmp_path / "posts", "weekly", "What should we fix this week?", channels=["reddit"],
             rrule="FREQ=WEEKLY;BYDAY=TU;BYHOUR=9;BYMINUTE=0", starts="2026-01-01T00:00")
    report = worker.tick(db, cfg, channels_for(cfg), T + timedelta(minutes=1))
    assert report.missed == [] and report.published == 1  # today's, nothing from the past
    # then the worker is down for two weeks: those two are missed, reported, not burst-posted
    report = worker.tick(db, cfg, channels_for(cfg), T + timedelta(days=14, hours=3))
    assert report.missed == ["weekly on reddit due 2026-12-08T09:00:00Z", "weekly on reddit due 2026-12-15T09:00:00Z"]
    assert report.published == 0 and len(control.posts()) == 1


def test_recurring_x_posts_carry_their_local_date(cfg, db, control, tmp_path):
    approved(tmp_path / "posts", "weekly", "What should we fix this week? ({date})", channels=["x"],
             rrule="FREQ=WEEKLY;BYDAY=TU;BYHOUR=10;BYMINUTE=0", starts="2026-12-01T00:00", time_zone="Europe/Berlin")
    first_at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 CET
    worker.tick(db, cfg, channels_for(cfg), first_at)
    worker.tick(db, cfg, channels_for(cfg), first_at + timedelta(days=7))
    texts = sorted(p["text"] for p in control.posts("x"))
    assert texts == ["What should we fix this week? (1 Dec 2026)", "What should we fix this week? (8 Dec 2026)"]
