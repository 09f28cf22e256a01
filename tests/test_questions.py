"""posts/*.toml validation and sync: one clear error per bad file, the others still load."""

from datetime import datetime, timezone

import pytest

from conftest import write_question
from listener.errors import QuestionError
from listener.questions import parse_question, sync

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("fields, message", [
    ({"at": "2026-12-01T09:00"}, "text: required"),
    ({"text": "Hi?"}, "at: give either"),
    ({"text": "Hi?", "at": "2026-12-01T09:00", "rrule": "FREQ=DAILY"}, "at: give either"),
    ({"text": "Hi?", "at": "tomorrow"}, "at: 'tomorrow' is not a local date-time"),
    ({"text": "Hi?", "rrule": "FREQ=SOMETIMES"}, "rrule: not a valid iCalendar RRULE"),
    ({"text": "Hi?", "rrule": "FREQ=DAILY;COUNT=3"}, "rrule: put UNTIL, COUNT"),
    ({"text": "Hi?", "at": "2026-12-01T09:00", "channels": ["myspace"]}, "channels: must be"),
    ({"text": "Hi?", "at": "2026-12-01T09:00", "status": "live"}, "status: must be one of"),
    ({"text": "Hi?", "at": "2026-12-01T09:00", "status": "approved"}, "approved_by: an approved question"),
    ({"text": "x" * 300, "at": "2026-12-01T09:00"}, "over X's 280"),
    ({"text": "Hi?", "at": "2026-12-01T09:00", "colour": "red"}, "colour: unknown key"),
    ({"text": "Hi?", "at": "2026-12-01T09:00", "reddit": {"flair": "x"}}, "reddit.flair: unknown key"),
    ({"text": "Hi?", "at": "2026-12-01T09:00", "tags": "cx"}, "tags: must be a list"),
    ({"text": "Hi?", "rrule": "FREQ=WEEKLY"}, "text: a recurring question on X needs {date}"),
    ({"text": "Hi?", "rrule": "FREQ=WEEKLY", "x": {"text": "Hi"}}, "x.text: a recurring question on X needs {date}"),
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
