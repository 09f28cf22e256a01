"""Scores stored with each reply; a person's correction sits beside the score; rescore resumes."""

from datetime import datetime, timezone

import pytest

from listener import scoring
from listener.errors import ListenerError
from listener.sentiment import SCORER_VERSION, label_for

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
TEXTS = ["I love it, thank you!", "Terrible, awful service.", "It arrived on Tuesday.",
         "No problems at all", "", "😍😍", "<script>alert(1)</script>", "\x00\x07 control"]


@pytest.fixture
def filled(db):
    db.execute("INSERT INTO questions (id, text, created_at, updated_at) VALUES ('q', 'Hi?', 'n', 'n')")
    db.execute("INSERT INTO publications (question_id, occurrence_at, channel, account, idempotency_key, text, "
               "created_at, updated_at) VALUES ('q', 't', 'x', 'a', 'k', 'Hi?', 'n', 'n')")
    for i, text in enumerate(TEXTS * 5):
        db.execute("INSERT INTO replies (publication_id, channel, remote_id, text, created_at, first_seen_at, "
                   "last_seen_at) VALUES (1, 'x', ?, ?, '2026-11-24T09:00:00Z', '2026-11-24T09:00:00Z', "
                   "'2026-11-24T09:00:00Z')", [str(i), text])
    return db


def test_score_then_nothing_left(filled, cfg):
    assert scoring.score_replies(filled, cfg, batch_size=7) == 40
    assert scoring.score_replies(filled, cfg) == 0
    rows = filled.execute("SELECT text, label, scorer_version FROM replies ORDER BY id LIMIT 4").fetchall()
    assert [r[1] for r in rows] == ["positive", "negative", "neutral", "positive"]
    assert {r[2] for r in rows} == {SCORER_VERSION}


def test_label_override_never_overwrites_score(filled, cfg):
    scoring.score_replies(filled, cfg)
    scoring.set_label(filled, 2, "neutral", "maria", NOW)
    row = filled.execute("SELECT label, label_override, label_override_by FROM replies WHERE id = 2").fetchone()
    assert row == ("negative", "neutral", "maria")
    scoring.score_replies(filled, cfg, rescore=True)
    assert filled.execute("SELECT label_override FROM replies WHERE id = 2").fetchone()[0] == "neutral"
    scoring.set_label(filled, 2, "clear", "maria", NOW)
    assert filled.execute("SELECT label_override FROM replies WHERE id = 2").fetchone()[0] is None
    with pytest.raises(ListenerError, match="no reply with id 999"):
        scoring.set_label(filled, 999, "negative", "m", NOW)


def test_rescore_resumes_after_interruption(filled, cfg):
    scoring.score_replies(filled, cfg)
    cfg["sentiment"]["positive_threshold"] = 0.9  # new thresholds: everything must be redone

    class Stop(Exception):
        pass

    seen = []

    def stop_after_two_batches(n, total):
        seen.append(n)
        if len(seen) == 2:
            raise Stop

    with pytest.raises(Stop):
        scoring.score_replies(filled, cfg, rescore=True, batch_size=10, progress=stop_after_two_batches)
    assert scoring.checkpoint(filled, "rescore") == 20
    assert scoring.score_replies(filled, cfg, rescore=True, batch_size=10) == 20  # only the rest
    assert scoring.checkpoint(filled, "rescore") == -1
    rows = filled.execute("SELECT compound, label FROM replies").fetchall()
    assert all(label == label_for(compound, 0.9, -0.05) for compound, label in rows)
    assert {label for _, label in rows} == {"negative", "neutral"}  # nothing here reaches 0.9
