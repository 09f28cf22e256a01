"""Issue 11: no post at the wrong time, operator safety (exit codes, read-only commands, backoff)."""

import socket
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import write_question
from listener import publish, questions, worker
from listener.channels import open_channel
from listener.config import load_config
from listener.errors import ConfigError

LISTENER = str(Path(sys.executable).with_name("listener"))
UTC = timezone.utc
T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def cli(args, env, check=True, timeout=120, cwd=None):
    result = subprocess.run([LISTENER, *args], capture_output=True, text=True, env=env, timeout=timeout, cwd=cwd)
    if check and result.returncode != 0:
        raise AssertionError(f"listener {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def channels_for(cfg, names=("x", "reddit")):
    return {name: open_channel(name, cfg) for name in names}


def states(db):
    return dict(db.execute("SELECT channel, state FROM publications").fetchall())


def approved(posts, name, text, **fields):
    fields.setdefault("time_zone", "UTC")
    return write_question(posts, name, text=text, status="approved", approved_by="maria", **fields)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- a planned post that got late is missed, whichever way it got late -------------------------


def test_a_rate_limited_post_left_planned_for_days_is_missed_not_posted(cfg, db, control, tmp_path):
    approved(tmp_path / "posts", "effort", "How easy are we to do business with?", at="2026-12-01T09:00",
             channels=["x"])
    control.fault("x.create", "429", count=1, reset=60)
    first = worker.tick(db, cfg, channels_for(cfg, ["x"]), T)
    assert first.deferred == 1 and control.posts() == []
    three_days = worker.tick(db, cfg, channels_for(cfg, ["x"]), T + timedelta(days=3))
    assert three_days.published == 0 and control.posts() == []
    state, error = db.execute("SELECT state, error FROM publications").fetchone()
    assert state == "missed"
    assert error.startswith("not posted within the grace period") and "; last: " in error  # why it was late
    assert len(three_days.missed) == 1


def test_a_post_left_planned_by_a_stop_is_missed_after_the_grace(cfg, db, control, tmp_path):
    approved(tmp_path / "posts", "effort", "How easy are we to do business with?", at="2026-12-01T09:00")
    questions.sync(db, tmp_path / "posts", T)
    publish.plan(db, cfg, T)  # planned, then the worker was stopped before publishing
    late = T + timedelta(minutes=cfg["publish"]["missed_grace_minutes"] + 5)
    report = publish.plan(db, cfg, late)
    assert report.missed == 2
    publish.publish_due(db, cfg, channels_for(cfg), late)
    assert control.posts() == [] and set(states(db).values()) == {"missed"}


def test_a_retried_post_gets_its_grace_from_the_retry(cfg, db, control, tmp_path):
    approved(tmp_path / "posts", "effort", "How easy are we to do business with?", at="2026-12-01T09:00",
             channels=["x"])
    questions.sync(db, tmp_path / "posts", T)
    publish.plan(db, cfg, T)
    db.execute("UPDATE publications SET state = 'failed'")
    later = T + timedelta(days=2)
    assert publish.retry(db, 1, later)
    publish.plan(db, cfg, later)
    publish.publish_due(db, cfg, channels_for(cfg, ["x"]), later)
    assert len(control.posts()) == 1


def test_a_backlog_of_one_question_is_never_burst_posted(cfg, db, control, tmp_path):
    approved(tmp_path / "posts", "hourly", "Quick pulse: how are we doing today? ({date})",
             rrule="FREQ=HOURLY;INTERVAL=2;BYMINUTE=0", starts="2026-12-01T01:00", channels=["reddit"])
    first = worker.tick(db, cfg, channels_for(cfg, ["reddit"]), T + timedelta(minutes=1))
    assert first.published == 1
    # two occurrences planned within the grace (a stop left them), then one run: one post only
    db.execute("INSERT INTO publications (question_id, occurrence_at, channel, account, state, idempotency_key, "
               "text, title, target, created_at, updated_at) SELECT question_id, '2026-12-01T09:30:00Z', channel, "
               "account, 'planned', 'k2', text || ' again', title, target, created_at, updated_at FROM publications")
    db.execute("INSERT INTO publications (question_id, occurrence_at, channel, account, state, idempotency_key, "
               "text, title, target, created_at, updated_at) SELECT question_id, '2026-12-01T09:40:00Z', channel, "
               "account, 'planned', 'k3', text || ' once more', title, target, created_at, updated_at "
               "FROM publications WHERE id = 1")
    report = publish.publish_due(db, cfg, channels_for(cfg, ["reddit"]), T + timedelta(minutes=45))
    assert len(report.published) == 1 and len(control.posts()) == 2


# -- run --once tells cron when a step failed ------------------------------------------------------


def test_run_once_exits_non_zero_naming_the_failed_step(env_for_cli, control, tmp_path):
    env = dict(env_for_cli, LISTENER_DIGEST_RECIPIENTS="cx@example.com",
               LISTENER_DIGEST_SMTP_PORT=str(free_port()), LISTENER_DIGEST_SMTP_TIMEOUT="2")
    result = cli(["run", "--once"], env, check=False)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "Error: step(s) failed: digest (see the log above)"
    healthy = cli(["run", "--once"], env_for_cli, check=False)
    assert healthy.returncode == 0, healthy.stderr


# -- the fake's control API stays on loopback ------------------------------------------------------


def test_the_fake_refuses_a_public_host_unless_allowed():
    refused = subprocess.run([sys.executable, "-m", "listener.fake", "--host", "0.0.0.0"],
                             capture_output=True, text=True, timeout=30)
    assert refused.returncode == 2
    assert len(refused.stderr.strip().splitlines()) == 1 and "--allow-remote" in refused.stderr


# -- config values: one line for every bad value ----------------------------------------------------


@pytest.mark.parametrize("name, value, expected", [
    ("LISTENER_X_BASE_URL", "api.twitter.com", "[x] base_url = 'api.twitter.com' (from LISTENER_X_BASE_URL) must be "
     "an http:// or https:// URL with a host, e.g. https://api.twitter.com"),
    ("LISTENER_SERVE_BASE_URL", "listener.example.com", "[serve] base_url = 'listener.example.com' "
     "(from LISTENER_SERVE_BASE_URL) must be an http:// or https:// URL with a host, e.g. https://listener.example.com "
     "(the address of `listener serve`)"),
    ("LISTENER_REDDIT_AUTH_URL", "ftp://reddit.com", "[reddit] auth_url = 'ftp://reddit.com' (from "
     "LISTENER_REDDIT_AUTH_URL) must be an http:// or https:// URL with a host, e.g. https://www.reddit.com"),
    ("LISTENER_X_TIMEOUT", "0", "[x] timeout"),
    ("LISTENER_DIGEST_SMTP_TIMEOUT", "-1", "[digest] smtp_timeout"),
    ("LISTENER_HARVEST_SCHEDULE", "15x", "'15x' is not a duration"),
    ("LISTENER_HARVEST_MAX_PAGES_PER_RUN", "-1", "[harvest] max_pages_per_run"),
    ("LISTENER_SERVE_PORT", "0", "[serve] port"),
    ("LISTENER_DIGEST_SMTP_PORT", "70000", "[digest] smtp_port"),
    ("LISTENER_DIGEST_HOUR", "24", "[digest] hour"),
    ("LISTENER_DIGEST_WEEKDAY", "funday", "[digest] weekday"),
    ("LISTENER_DIGEST_TIME_ZONE", "Europe", "[digest] time_zone"),
    ("LISTENER_PUBLISH_MIN_INTERVAL_MINUTES", "0", "[publish] min_interval_minutes"),
    ("LISTENER_WORKER_TICK_SECONDS", "0", "[worker] tick_seconds"),
    ("LISTENER_SERVE_TIME_ZONE", "Berlin", "[serve] time_zone = 'Berlin'"),
    ("LISTENER_DIGEST_RECIPIENTS", "cx-team", "[digest] recipients = ['cx-team'] (from LISTENER_DIGEST_RECIPIENTS) "
     "must be a list of e-mail addresses"),
    ("LISTENER_ALERTS_WINDOW", "90", "[alerts] window = '90' (from LISTENER_ALERTS_WINDOW) must be a duration "
     'from 5m to 1d like "15m"'),
    ("LISTENER_ALERTS_WINDOW", "2d", "[alerts] window = '2d'"),
    ("LISTENER_ALERTS_COOLDOWN", "soon", "[alerts] cooldown = 'soon'"),
    ("LISTENER_ALERTS_MIN_NEGATIVE", "0", "[alerts] min_negative = 0"),
    ("LISTENER_ALERTS_SHARE_Z", "-1", "[alerts] share_z = -1.0"),
    ("LISTENER_ALERTS_QUIET_HOURS", "22-7", "[alerts] quiet_hours = '22-7' (from LISTENER_ALERTS_QUIET_HOURS) "
     'must look like "22:00-07:00"'),
    ("LISTENER_ALERTS_TIME_ZONE", "CET+1", "[alerts] time_zone = 'CET+1'"),
    ("LISTENER_ALERTS_RECIPIENTS", "oncall", "[alerts] recipients = ['oncall']"),
    ("LISTENER_ALERTS_WEBHOOK_TIMEOUT", "0", "[alerts] webhook_timeout = 0.0"),
    # the URL may be a secret (Slack's): named, never shown
    ("LISTENER_ALERTS_WEBHOOK_URL", "hooks.slack.com/T0/s3cr3t", "[alerts] webhook_url (from "
     "LISTENER_ALERTS_WEBHOOK_URL) must be an http:// or https:// URL"),
])
def test_bad_config_values_are_one_line_naming_setting_and_source(name, value, expected):
    with pytest.raises(ConfigError) as caught:
        load_config(environ={name: value})
    message = str(caught.value)
    assert expected in message and name in message and "\n" not in message and "s3cr3t" not in message


def test_bad_config_value_in_the_file_names_the_file(tmp_path, env_for_cli):
    path = tmp_path / "listener.toml"
    path.write_text('[harvest]\nschedule = ["15m", "1 day"]\n', encoding="utf-8")
    result = cli(["status", "--config", str(path)], env_for_cli, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: [harvest] schedule = ['15m', '1 day'] (from ") and str(path) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# -- read-only commands create nothing; status names missing credentials ---------------------------


@pytest.mark.parametrize("args", [["status"], ["calendar"], ["questions"], ["digest", "--preview"]])
def test_read_only_commands_never_create_the_database(args, env_for_cli, tmp_path):
    db_path = tmp_path / "listener.db"
    result = cli(args, env_for_cli, check=False, cwd=tmp_path)
    assert result.returncode == 1 and not db_path.exists()
    assert result.stderr == f"Error: no database at {db_path}: run `listener init` (or `listener sync`), or pass --db\n"
    assert not list(tmp_path.glob("digest-*.html"))


def test_status_says_which_credentials_are_missing_never_their_values(env_for_cli, tmp_path):
    due = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    approved(tmp_path / "posts", "now", "How easy are we to do business with?", at=due, channels=["x", "reddit"])
    cli(["sync"], env_for_cli)
    env = {k: v for k, v in env_for_cli.items() if k not in ("REDDIT_PASSWORD", "REDDIT_CLIENT_SECRET")}
    cli(["publish"], env)  # x posts; reddit's post waits in the outbox
    env["X_API_SECRET"] = "s3cr3t-value"
    out = cli(["status"], env).stdout
    assert "  x        set" in out
    assert "  reddit   missing REDDIT_CLIENT_SECRET, REDDIT_PASSWORD" in out
    assert "(will not post: REDDIT_CLIENT_SECRET, REDDIT_PASSWORD not set)" in out  # why it waits
    assert "(will not post: [reddit] enabled = false)" in cli(["status"], dict(env, LISTENER_REDDIT_ENABLED="0")).stdout
    assert "s3cr3t-value" not in out and "s3cr3t-value" not in cli(["status", "--json"], env).stdout


# -- `listener questions`, and the calendar says why a draft is absent -----------------------------


def test_questions_lists_drafts_with_next_occurrence_and_calendar_says_why_absent(env_for_cli, tmp_path):
    import json

    posts = tmp_path / "posts"
    write_question(posts, "weekly", text="How are we doing? ({date})", rrule="FREQ=WEEKLY;BYDAY=MO;BYHOUR=9",
                   starts="2026-01-05T09:00", time_zone="Europe/Berlin", channels=["x", "reddit", "mastodon", "bluesky"])
    approved(posts, "one-off", "Would you recommend us?", at="2099-01-05T09:00", channels=["reddit"])
    cli(["sync"], env_for_cli)
    rows = {row["id"]: row for row in json.loads(cli(["questions", "--json"], env_for_cli).stdout)}
    assert rows["weekly"]["status"] == "draft" and rows["one-off"]["status"] == "approved"
    assert rows["one-off"]["next"] == {"reddit": "2099-01-05T09:00:00Z"}
    weekly_next = rows["weekly"]["next"]["x"]
    assert weekly_next == rows["weekly"]["next"]["reddit"] and weekly_next.endswith("T08:00:00Z")  # Monday 09:00 CET
    assert rows["weekly"]["replies"] == 0 and rows["weekly"]["text"] == "How are we doing?"  # {date} is the posts'
    text = cli(["questions"], env_for_cli).stdout
    assert "weekly" in text and "not published until approved: weekly" in text
    header, *table = text.splitlines()[:3]
    assert all(len(row) == len(header) for row in table)  # the columns line up, four channels or one
    calendar = cli(["calendar", "--days", "14"], env_for_cli).stdout
    assert calendar.strip().splitlines()[-1].startswith("not shown: weekly (2 occurrence(s)) is a draft: "
                                                         "`listener approve weekly --by NAME`")


# -- an unfinished week is not sent unless asked ---------------------------------------------------


def test_digest_send_refuses_an_unfinished_week_unless_partial(env_for_cli, tmp_path):
    from listener.digest import period_of

    cli(["sync"], env_for_cli)
    current = period_of(datetime.now(UTC).date(), "UTC").label
    env = dict(env_for_cli, LISTENER_DIGEST_RECIPIENTS="cx@example.com", LISTENER_DIGEST_SMTP_PORT=str(free_port()))
    refused = cli(["digest", "--send", "--week", current], env, check=False)
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"Error: week {current} is not over until ") and "--partial" in refused.stderr
    tried = cli(["digest", "--send", "--week", current, "--partial"], env, check=False)
    assert "refused the connection" in tried.stderr  # it went on to send


# -- strangers' control characters never reach the terminal or the mail ------------------------------


def test_display_text_neutralises_controls_bidi_and_surrogates():
    from listener.display import display_text

    raw = "ok\x00\x1b[2J\x07\x85 \u202eevil\u202c \u2066iso\u2069 \ud800 line\nnext\ttab 👍🏽 עברית"
    shown = display_text(raw)
    assert "\x00" not in shown and "\x1b" not in shown and "\x07" not in shown and "\x85" not in shown
    assert not any(ch in shown for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ud800")
    assert "\n" in shown and "\t" in shown and "👍🏽" in shown and "עברית" in shown
    assert shown.startswith("ok\ufffd[2J") and display_text(None) is None
    shown.encode("utf-8")  # no lone surrogate left


# -- a down SMTP server is backed off, not hit every tick ------------------------------------------


def test_the_worker_backs_off_a_down_smtp_server(cfg, db, tmp_path):
    from listener import mail
    from listener.errors import DigestError

    cfg["digest"].update(recipients=["cx@example.com"], smtp_port=free_port(), smtp_timeout=2.0)
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # after the default Monday 08:00 send time
    attempts = lambda: db.execute("SELECT attempts, next_attempt_at FROM digests").fetchone()  # noqa: E731
    with pytest.raises(DigestError):
        mail.send_if_due(db, cfg, monday)
    assert attempts() == (1, "2026-11-30T09:01:00Z")
    ticks = [worker.tick(db, cfg, {}, monday + timedelta(seconds=s)) for s in (20, 40)]
    assert all(not tick.errors for tick in ticks) and attempts()[0] == 1  # backing off: no SMTP traffic
    assert "digest: " in worker.tick(db, cfg, {}, monday + timedelta(minutes=1)).errors[0]
    assert attempts() == (2, "2026-11-30T09:03:00Z")  # then 2 minutes, 4, ... at most BACKOFF_MAX
    assert mail.send_if_due(db, cfg, monday + timedelta(minutes=2)).status == "backing off"
    db.execute("UPDATE digests SET attempts = 40, next_attempt_at = NULL")
    with pytest.raises(DigestError):
        mail.send_if_due(db, cfg, monday + timedelta(minutes=5))
    assert attempts() == (41, "2026-11-30T11:05:00Z")


def test_a_too_fast_rule_saved_before_it_was_refused_never_hangs_or_bursts(cfg, db, control, tmp_path):
    import time

    approved(tmp_path / "posts", "pulse", "Pulse ({date})", rrule="FREQ=DAILY;BYHOUR=9", channels=["reddit"])
    questions.sync(db, tmp_path / "posts", T)
    (tmp_path / "posts" / "pulse.toml").write_text("broken = [", encoding="utf-8")  # keeps the old row
    db.execute("UPDATE questions SET rrule = 'FREQ=SECONDLY', starts = '2026-11-01T00:00'")
    started = time.monotonic()
    report = worker.tick(db, cfg, channels_for(cfg, ["reddit"]), T)
    assert time.monotonic() - started < 30
    assert report.published <= 1 and len(control.posts()) <= 1
    assert any("rrule: more than" in error or "pulse" in error for error in report.sync_errors)
