"""End to end through the real `listener` CLI, against the fake platform, with tweepy and praw."""

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, write_question
from listener.db import open_db

LISTENER = str(Path(sys.executable).with_name("listener"))


def run(args, env=None, cwd=None, check=True):
    result = subprocess.run([LISTENER, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"listener {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def counts(db_path):
    conn = sqlite3.connect(db_path)
    try:
        return {
            "questions": conn.execute("SELECT count(*) FROM questions").fetchone()[0],
            "publications": dict(conn.execute("SELECT channel, count(*) FROM publications GROUP BY channel")),
            "replies": dict(conn.execute("SELECT channel, count(*) FROM replies GROUP BY channel")),
            "distinct": conn.execute("SELECT count(DISTINCT channel || remote_id) FROM replies").fetchone()[0],
            # not scored at all, or readable yet without a label (label NULL is right only for other languages)
            "unscored": conn.execute("SELECT count(*) FROM replies WHERE compound IS NULL OR "
                                     "(label IS NULL AND language IN ('en', 'und'))").fetchone()[0],
        }
    finally:
        conn.close()


def test_demo_twice_same_counts(tmp_path):
    db_path = tmp_path / "demo.db"
    args = ["demo", "--no-serve", "--db", str(db_path), "--replies", "240", "--seed", "3"]
    first = run(args, cwd=REPO)
    assert "published 15 post(s)" in first.stdout  # 4 questions x 4 channels, one without Reddit
    assert "x " in first.stdout and "reddit " in first.stdout
    before = counts(db_path)
    assert before["publications"] == {"x": 4, "reddit": 3, "mastodon": 4, "bluesky": 4}
    assert all(before["replies"][name] > 0 for name in ("x", "reddit", "mastodon", "bluesky"))
    assert sum(before["replies"].values()) == 240 == before["distinct"]
    assert before["unscored"] == 0
    second = run(args, cwd=REPO)
    assert "published 0 post(s)" in second.stdout
    assert counts(db_path) == before
    # the summary reports harvested vs reported for both channels
    assert "240 replies" not in second.stderr
    assert second.stdout.count("100%") == 7


def test_step_commands_against_fake(env_for_cli, control, tmp_path):
    posts = tmp_path / "posts"
    write_question(posts, "effort", text="How easy are we to do business with?", at="2026-01-05T09:00",
                   time_zone="Europe/Berlin", status="approved", approved_by="maria",
                   reddit={"title": "How easy are we to do business with?"})
    write_question(posts, "draft-one", text="Would you recommend us?", at="2026-01-05T09:00")
    out = run(["sync"], env=env_for_cli).stdout
    assert "synced 2 question(s)" in out
    # a one-off far in the past is outside the missed grace: reported, not posted
    out = run(["publish"], env=env_for_cli).stdout
    assert "missed 2" in out and control.posts() == []
    write_question(posts, "effort", text="How easy are we to do business with, really?", at="2099-01-05T09:00",
                   time_zone="Europe/Berlin", status="approved", approved_by="maria")
    run(["sync"], env=env_for_cli)
    assert "published 0" in run(["publish"], env=env_for_cli).stdout  # not due yet

    status = json.loads(run(["status", "--json"], env=env_for_cli).stdout)
    assert status["questions"] == {"approved": 1, "draft": 1}


def test_publish_harvest_score_label(env_for_cli, control, tmp_path):
    from datetime import datetime, timedelta, timezone

    local = (datetime.now(timezone.utc) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    write_question(tmp_path / "posts", "effort", text="How easy are we to do business with?", at=local,
                   status="approved", approved_by="maria")
    run(["sync"], env=env_for_cli)
    assert "published 2" in run(["publish"], env=env_for_cli).stdout
    assert "published 0" in run(["publish"], env=env_for_cli).stdout
    assert len(control.posts()) == 2
    for post in control.posts():
        control.add_replies(post["channel"], post["id"], count=60, seed=5)
    out = run(["harvest", "--all"], env=env_for_cli).stdout
    assert "120 new" in out
    out = run(["harvest", "--all"], env=env_for_cli).stdout
    assert "0 new" in out
    db_path = env_for_cli["LISTENER_DATABASE_PATH"]
    assert counts(db_path)["distinct"] == 120
    reply_id, label = sqlite3.connect(db_path).execute("SELECT id, label FROM replies LIMIT 1").fetchone()
    new_label = "negative" if label != "negative" else "positive"
    run(["label", str(reply_id), new_label, "--by", "maria"], env=env_for_cli)
    row = sqlite3.connect(db_path).execute(
        "SELECT label, label_override, label_override_by FROM replies WHERE id = ?", [reply_id]).fetchone()
    assert row == (label, new_label, "maria")  # the score's label stays; the correction sits beside it
    out = run(["score", "--rescore"], env=env_for_cli)
    assert "scored 120 replies" in out.stdout
    assert sqlite3.connect(db_path).execute("SELECT label_override FROM replies WHERE id = ?",
                                            [reply_id]).fetchone()[0] == new_label
    status = run(["status"], env=env_for_cli).stdout
    assert all(f"{name} " in status for name in ("x", "reddit", "mastodon", "bluesky")) and "cost of pay-per-use" in status


def test_bad_toml_names_file_and_others_load(env_for_cli, tmp_path):
    posts = tmp_path / "posts"
    write_question(posts, "good", text="How easy are we to do business with?", at="2099-01-05T09:00")
    (posts / "broken.toml").write_text('text = "unterminated\n', encoding="utf-8")
    (posts / "bad-zone.toml").write_text('text = "Hi?"\nat = "2099-01-01T09:00"\ntime_zone = "Mars/Olympus"\n')
    result = run(["sync"], env=env_for_cli, check=False)
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2
    assert any(line.startswith("Error: broken.toml: invalid TOML") for line in errors)
    assert any("bad-zone.toml: time_zone" in line and "IANA" in line for line in errors)
    assert "Traceback" not in result.stderr
    assert "synced 1 question(s)" in result.stdout
    ids = [r[0] for r in sqlite3.connect(env_for_cli["LISTENER_DATABASE_PATH"]).execute("SELECT id FROM questions")]
    assert ids == ["good"]


@pytest.mark.parametrize("setup, expected", [
    (lambda env, tmp: env.update(LISTENER_CONFIG=str(tmp / "missing.toml")), "missing.toml not found"),
    (lambda env, tmp: ((tmp / "bad.toml").write_text("[x\n"), env.update(LISTENER_CONFIG=str(tmp / "bad.toml"))),
     "invalid TOML"),
    (lambda env, tmp: ((tmp / "s.toml").write_text('[x]\napi_key = "oops"\n'), env.update(LISTENER_CONFIG=str(tmp / "s.toml"))),
     "set X_API_KEY in the environment"),
    (lambda env, tmp: env.update(LISTENER_X_TIMEOUT="soon"), "LISTENER_X_TIMEOUT"),
    (lambda env, tmp: env.update(LISTENER_DATABASE_PATH=str(tmp / "nope" / "x.db")), "does not exist"),
])
def test_bad_config_one_line(env_for_cli, tmp_path, setup, expected):
    setup(env_for_cli, tmp_path)
    result = run(["sync"], env=env_for_cli, check=False)  # sync creates the database; status never does
    assert result.returncode == 1
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("args, expected", [
    (["run", "--once"], "database folder"),
    (["demo", "--no-serve"], "database folder"),
    (["init", "--path", "{missing}/listener.toml"], "folder"),
])
def test_a_missing_folder_is_one_line_for_every_command(env_for_cli, tmp_path, args, expected):
    missing = tmp_path / "nope"
    env_for_cli["LISTENER_DATABASE_PATH"] = str(missing / "x.db")
    args = [arg.format(missing=missing) for arg in args] + (["--db", str(missing / "x.db")] if args[0] == "demo" else [])
    result = run(args, env=env_for_cli, check=False, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: {expected} {missing} does not exist: create it")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not missing.exists()


def test_unreachable_platform_and_missing_secret(env_for_cli, tmp_path):
    from datetime import datetime, timedelta, timezone

    local = (datetime.now(timezone.utc) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    write_question(tmp_path / "posts", "q", text="How easy are we to do business with?", at=local,
                   status="approved", approved_by="maria")
    run(["sync"], env=env_for_cli)
    env = dict(env_for_cli, LISTENER_X_BASE_URL="http://127.0.0.1:9", LISTENER_REDDIT_BASE_URL="http://127.0.0.1:9/r",
               LISTENER_REDDIT_AUTH_URL="http://127.0.0.1:9/r")
    result = run(["publish"], env=env, check=False)
    assert "cannot reach X at http://127.0.0.1:9" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    states = sqlite3.connect(env_for_cli["LISTENER_DATABASE_PATH"]).execute(
        "SELECT state, retry_at IS NOT NULL FROM publications").fetchall()
    assert states == [("planned", 1), ("planned", 1)]  # nothing was sent: kept, tried again later
    env = {k: v for k, v in env_for_cli.items() if not k.startswith(("X_", "REDDIT_", "MASTODON_", "BLUESKY_"))}
    result = run(["publish"], env=env, check=False)
    assert result.returncode == 1
    assert "X_API_KEY is not set" in result.stderr and "no channel is usable" in result.stderr


def test_every_command_has_help_with_example():
    out = run(["--help"]).stdout
    for command in ["init", "sync", "publish", "harvest", "score", "serve", "demo", "status", "label"]:
        assert command in out
        assert "Example:" in run([command, "--help"]).stdout


def test_init_writes_config(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISTENER_")}
    run(["init"], env=env, cwd=tmp_path)
    assert (tmp_path / "listener.toml").exists() and (tmp_path / "listener.db").exists()
    again = run(["init"], env=env, cwd=tmp_path, check=False)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_the_readme_command_table_names_every_command_and_only_real_options():
    import click

    from listener.cli import cli

    rows = [line.split(" | ")[0] for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines()
            if line.startswith("| `listener ")]
    spans = [span.replace("\\|", "|") for row in rows for span in re.findall(r"`(listener [^`]+)`", row)]
    named = set()
    for span in spans:
        words = span.split()[1:]
        command = cli.commands[words[0]]
        named.add(words[0])
        if isinstance(command, click.Group) and len(words) > 1 and not words[1].startswith(("-", "[")):
            for sub in words[1].split("|"):
                named.add(f"{words[0]} {sub}")
                assert sub in command.commands, span
        options = {opt for param in command.params for opt in param.opts}
        assert set(re.findall(r"--[a-z-]+", span)) <= options, span
    assert set(cli.commands) <= named
    assert {f"{name} {sub}" for name, group in cli.commands.items() if isinstance(group, click.Group)
            for sub in group.commands} <= named


@pytest.mark.parametrize("args, expected", [
    (["retry", "9999"], "no publication with id 9999: see `listener status`"),
    (["label", "9999", "negative", "--by", "maria"], "no reply with id 9999: "),
    (["themes", "rename", "9999", "refunds"], "no theme with id 9999: "),
    (["themes", "merge", "9999", "9998"], "no theme with id 9999: "),
    (["themes", "undo", "9999"], "no theme fix with id 9999: "),
    (["approve", "nope"], "no question 'nope': "),
])
def test_an_id_that_does_not_exist_is_one_line_naming_it(tmp_path, monkeypatch, args, expected):
    from click.testing import CliRunner

    from listener.cli import cli

    monkeypatch.delenv("LISTENER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    db_path = tmp_path / "x.db"
    open_db(db_path).conn.close()
    result = CliRunner().invoke(cli, args + ["--db", str(db_path)])
    assert result.exit_code == 1 and result.output.startswith(f"Error: {expected}"), result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("args, expected", [
    (["demo", "--no-serve", "--replies", "-5"], "Invalid value for '--replies': -5 is not in the range x>=0"),
    (["demo", "--no-serve", "--port", "0"], "Invalid value for '--port': 0 is not in the range 1<=x<=65535"),
    (["demo", "--no-serve", "--posts", "nowhere"], "posts folder nowhere not found: run the demo in the listener "
     "folder (it has posts/), or pass --posts FOLDER"),
    (["serve", "--port", "70000"], "Invalid value for '--port': 70000 is not in the range"),
    (["harvest", "--time-budget", "-1"], "Invalid value for '--time-budget': -1.0 is not in the range x>0"),
    (["harvest", "--time-budget", "0"], "Invalid value for '--time-budget': 0.0 is not in the range x>0"),
    (["review", "--suggest", "0"], "--suggest takes a number of replies"),
    (["calendar", "--days", "-3"], "--days must be at least 1"),
])
def test_a_count_out_of_range_is_refused_before_anything_runs(tmp_path, monkeypatch, args, expected):
    from click.testing import CliRunner

    from listener.cli import cli

    monkeypatch.delenv("LISTENER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    db_path = tmp_path / "x.db"
    if args[0] == "calendar":
        open_db(db_path).conn.close()  # it reads an existing database
    result = CliRunner().invoke(cli, args + ["--db", str(db_path)])
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert result.exit_code in (1, 2) and len(errors) == 1 and errors[0].startswith(f"Error: {expected}"), result.output
    assert db_path.exists() == (args[0] == "calendar")  # nothing was created, no demo started


def test_the_readme_calendar_example_is_what_the_shipped_questions_print(tmp_path, monkeypatch):
    from datetime import datetime, timezone

    from click.testing import CliRunner

    from listener import questions
    from listener.cli import cli

    monkeypatch.delenv("LISTENER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    db = open_db(tmp_path / "x.db")
    synced = questions.sync(db, REPO / "posts", datetime(2026, 3, 1, tzinfo=timezone.utc))
    for question_id in synced.waiting:
        questions.approve(db, question_id, "maria", datetime(2026, 3, 1, tzinfo=timezone.utc))
    command = "listener calendar --from 2026-03-30 --days 10"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    shown = readme.split(f"$ {command}\n", 1)[1].split("```", 1)[0]
    result = CliRunner().invoke(cli, command.split()[1:] + ["--db", str(tmp_path / "x.db")])
    assert result.exit_code == 0 and result.output == shown
