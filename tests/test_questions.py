"""posts/*.toml validation and sync: one clear error per bad file, the others still load."""

from datetime import datetime, timezone

import pytest

from conftest import write_question
from listener.errors import ListenerError, QuestionError
from listener.questions import parse_question, sync

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("fields, message", [
    ({"at": "2026-12-01T09:00"}, "text: required"),
    ({"text": "Hi?"}, "at: give either"),
    ({"text": "Hi?", "at": "2026-12-01T09:00", "rrule": "FREQ=DAILY"}, "at: give either"),
    ({"text": "Hi?", "at": "tomorrow"}, "at: 'tomorrow' is not a local date-time"),
    ({"text": "Hi?", "rrule": "FREQ=SOMETIMES"}, "rrule: not a valid iCalendar RRULE"),
    ({"text": "Hi?", "rrule": "FREQ=DAILY;COUNT=3"}, "rrule: put UNTIL, COUNT"),
    ({"text": "Hi?", "at": "2026-12-01T09:00", "channels": ["myspace"]}, "channels: 'myspace' is not an installed channel: use x, reddit"),
    ({"text": "Hi?", "at": "2026-12-01T09:00", "channels": "x"}, "channels: must be a non-empty list"),
    ({"text": "Hi?", "at": "2026-12-01T09:00", "status": "live"}, "status: must be one of"),
    ({"text": "Hi?", "at": "2026-12-01T09:00", "status": "approved"}, "approved_by: an approved question"),
    ({"text": "x" * 300, "at": "2026-12-01T09:00"}, "over X's 280"),
    ({"text": "Hi?", "at": "2026-12-01T09:00", "colour": "red"}, "colour: unknown key"),
    ({"text": "Hi?", "at": "2026-12-01T09:00", "reddit": {"flair": "x"}}, "reddit.flair: unknown key"),
    ({"text": "Hi?", "at": "2026-12-01T09:00", "tags": "cx"}, "tags: must be a list"),
    ({"text": "Hi?", "rrule": "FREQ=WEEKLY"}, "text: a recurring question on X needs {date}"),
    ({"text": "Hi?", "rrule": "FREQ=WEEKLY", "x": {"text": "Hi"}}, "x.text: a recurring question on X needs {date}"),
    ({"text": "Hi? ({Date})", "at": "2026-12-01T09:00"}, "text: {Date} is not a placeholder: the only one is {date}"),
    ({"text": "Hi?", "at": "2026-12-01T09:00", "reddit": {"title": "Hi {dat}"}}, "reddit.title: {dat} is not a"),
])
def test_each_bad_field_names_file_key_and_fix(tmp_path, fields, message):
    path = write_question(tmp_path, "q1", **fields)
    with pytest.raises(QuestionError) as caught:
        parse_question(path)
    text = str(caught.value)
    assert text.startswith("q1.toml: ") and message in text and "\n" not in text


def test_sync_approval_and_drafts(db, tmp_path):
    posts = tmp_path / "posts"
    write_question(posts, "a", text="How easy are we?", at="2026-12-01T09:00", status="approved", approved_by="m")
    write_question(posts, "b", text="Recommend us? {date}", rrule="FREQ=WEEKLY;BYDAY=MO;BYHOUR=9", time_zone="Europe/Berlin")
    (posts / "c.toml").write_text("text = [", encoding="utf-8")
    result = sync(db, posts, NOW)
    assert result.loaded == ["a", "b"] and len(result.errors) == 1 and result.errors[0].startswith("c.toml")
    rows = dict(db.execute("SELECT id, status FROM questions").fetchall())
    assert rows == {"a": "approved", "b": "draft"}
    # syncing again is idempotent
    assert sync(db, posts, NOW).loaded == ["a", "b"]
    assert db.execute("SELECT count(*) FROM questions").fetchone()[0] == 2
    # a removed file archives its question
    (posts / "b.toml").unlink()
    assert sync(db, posts, NOW).removed == ["b"]
    assert db.execute("SELECT status FROM questions WHERE id = 'b'").fetchone()[0] == "archived"


def test_resync_unchanged_keeps_updated_at(db, tmp_path):
    posts = tmp_path / "posts"
    write_question(posts, "a", text="How easy are we?", at="2026-12-01T09:00")
    sync(db, posts, NOW)
    later = NOW.replace(hour=13)
    sync(db, posts, later)
    assert db.execute("SELECT updated_at FROM questions").fetchone()[0] == "2026-11-25T12:00:00Z"
    write_question(posts, "a", text="How easy are we, really?", at="2026-12-01T09:00")
    sync(db, posts, later)
    assert db.execute("SELECT updated_at FROM questions").fetchone()[0] == "2026-11-25T13:00:00Z"


# -- issue 11: rules that post too often, hang, or post at a time nobody chose -----------------


@pytest.mark.parametrize("fields, message", [
    ({"rrule": "FREQ=MINUTELY"}, "rrule: FREQ=MINUTELY posts far too often"),
    ({"rrule": "FREQ=SECONDLY"}, "rrule: FREQ=SECONDLY posts far too often"),
    ({"rrule": "FREQ=DAILY;INTERVAL=0;BYHOUR=9"}, "rrule: INTERVAL=0 must be a whole number of at least 1"),
    ({"rrule": "FREQ=HOURLY;BYMINUTE=0,30", "channels": ["reddit"]}, "rrule: repeats 30 minutes apart"),
    ({"rrule": "FREQ=DAILY;BYHOUR=9,15"}, "rrule: posts twice on 2026-01-01 on X"),
    ({"rrule": "FREQ=WEEKLY;BYDAY=MO"}, "rrule: no time of day: add BYHOUR"),
    ({"rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;BYHOUR=9"}, "rrule: no occurrence in the two years"),
    ({"rrule": "FREQ=WEEKLY;BYHOUR=9", "time_zone": "Europe"}, "time_zone: 'Europe' is not an IANA time zone"),
    ({"rrule": "FREQ=WEEKLY;BYHOUR=9", "time_zone": "../etc"}, "time_zone: '../etc' is not an IANA time zone"),
])
def test_rules_that_post_too_often_or_never_are_refused(tmp_path, fields, message):
    path = write_question(tmp_path, "q1", text="How are we doing? ({date})", **fields)
    with pytest.raises(QuestionError) as caught:
        parse_question(path)
    text = str(caught.value)
    assert text.startswith("q1.toml: ") and message in text and "\n" not in text


def test_min_interval_is_configurable(tmp_path):
    path = write_question(tmp_path, "q1", text="Pulse?", rrule="FREQ=HOURLY;INTERVAL=2", channels=["reddit"])
    assert parse_question(path, min_interval_minutes=120)["rrule"]
    with pytest.raises(QuestionError, match="repeats 120 minutes apart"):
        parse_question(path, min_interval_minutes=180)


def test_one_hanging_or_bad_file_never_blocks_the_others_and_sync_says_what_happened(db, cfg, tmp_path):
    import time

    posts = tmp_path / "posts"
    write_question(posts, "a-bad-zone", text="Hi? ({date})", rrule="FREQ=WEEKLY;BYHOUR=9", time_zone="Europe")
    write_question(posts, "b-never", text="Hi? ({date})", rrule="FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;BYHOUR=9")
    write_question(posts, "c-zero", text="Hi? ({date})", rrule="FREQ=DAILY;INTERVAL=0;BYHOUR=9")
    write_question(posts, "d-good", text="How easy are we? ({date})", rrule="FREQ=DAILY;BYHOUR=9",
                   status="approved", approved_by="m", channels=["x"])
    write_question(posts, "e-starts", text="Weekly pulse ({date})", rrule="FREQ=WEEKLY;BYDAY=MO",
                   starts="2026-01-05T10:30", time_zone="Europe/Berlin")
    (posts / "f-folder.toml").mkdir()
    (posts / "g-yaml.yaml").write_text("text: Hi?\n", encoding="utf-8")
    started = time.monotonic()
    result = sync(db, posts, NOW, cfg)
    assert time.monotonic() - started < 30  # a hang, not a slow machine: each expansion stops at 2 s of work
    assert result.loaded == ["d-good", "e-starts"] and len(result.errors) == 4
    assert result.errors[3].startswith("f-folder.toml: cannot be read (Is a directory): ")
    assert result.new == ["d-good", "e-starts"] and result.waiting == ["e-starts"]
    assert "e-starts: no BYHOUR in the rule: posts at 10:30 Europe/Berlin (the time of starts)" in result.notes
    assert "g-yaml.yaml: skipped: question files are TOML: write it as g-yaml.toml (see posts/README.md)" in result.notes
    assert result.weekly_posts == {"x": 7}
    from listener.questions import format_sync
    out = format_sync(result, cfg)
    assert "waiting for approval: e-starts" in out and "next 7 days: x 7 post(s)" in out and "$0.105" in out
    write_question(posts, "d-good", text="How easy are we, really? ({date})", rrule="FREQ=DAILY;BYHOUR=9",
                   status="approved", approved_by="m", channels=["x"])
    again = sync(db, posts, NOW, cfg)
    assert again.new == [] and again.changed == ["d-good"]
    assert not [note for note in again.notes if "will not post" in note]


def test_sync_names_the_channels_an_approved_question_cannot_post_on(db, cfg, tmp_path):
    posts = tmp_path / "posts"
    write_question(posts, "everywhere", text="How easy are we?", at="2026-12-01T09:00", status="approved",
                   approved_by="m", channels=["x", "reddit", "mastodon", "bluesky"])
    write_question(posts, "draft", text="Hi?", at="2026-12-01T09:00", channels=["mastodon"])
    write_question(posts, "past", text="Hi?", at="2026-11-01T09:00", status="approved", approved_by="m",
                   channels=["mastodon"])
    cfg["reddit"]["enabled"] = False
    cfg.secret_overrides = {k: v for k, v in cfg.secret_overrides.items() if k != ("mastodon", "access_token")}
    notes = [note for note in sync(db, posts, NOW, cfg).notes if "will not post" in note]
    assert notes == [
        "everywhere: will not post on Reddit: [reddit] enabled = false (enable it, or leave reddit out of its channels)",
        "everywhere: will not post on Mastodon: MASTODON_ACCESS_TOKEN not set (export it, or leave mastodon out "
        "of its channels)"]


def test_the_file_is_the_source_of_truth_for_pause_and_resume(db, tmp_path):
    from listener.questions import approve, set_status

    posts = tmp_path / "posts"
    fields = {"text": "How easy are we?", "at": "2026-12-01T09:00", "approved_by": "m"}
    write_question(posts, "a", status="paused", **fields)
    sync(db, posts, NOW)
    status = lambda: db.execute("SELECT status FROM questions WHERE id = 'a'").fetchone()[0]  # noqa: E731
    assert status() == "paused"
    write_question(posts, "a", status="approved", **fields)  # resumed in the file
    sync(db, posts, NOW)
    assert status() == "approved"
    set_status(db, "a", "paused", NOW)  # paused from the command line: holds while the file is unchanged
    result = sync(db, posts, NOW)
    assert status() == "paused"
    assert any("paused with `listener pause`" in note and "listener approve a --by NAME" in note
               for note in result.notes)
    (posts / "a.toml").unlink()
    assert sync(db, posts, NOW).removed == ["a"]
    for act in (lambda: set_status(db, "a", "paused", NOW), lambda: approve(db, "a", "m", NOW)):
        with pytest.raises(ListenerError, match="no question 'a': run `listener sync`"):  # its file is gone
            act()
    assert status() == "archived"
