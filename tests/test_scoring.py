"""Scores stored with each reply; corrections sit beside the label and teach the workspace model;
rescore and relabel resume and are idempotent."""

from datetime import datetime, timezone

import pytest

from listener import labeller, review, scoring, workspace_model
from listener.errors import ListenerError
from listener.sentiment import polarity_scores

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
TEXTS = ["I love it, thank you!", "Terrible, awful service.", "It arrived on Tuesday.",
         "No problems at all", "", "😍😍", "<script>alert(1)</script>", "\x00\x07 control",
         "Ich warte seit drei Stunden auf meinen Koffer, das ist wirklich unglaublich.",
         "荷物がまだ届きません。どうなっていますか？"]


def add_question(db):
    db.execute("INSERT INTO questions (id, text, created_at, updated_at) VALUES ('q', 'Hi?', 'n', 'n')")
    db.execute("INSERT INTO publications (question_id, occurrence_at, channel, account, idempotency_key, text, "
               "created_at, updated_at) VALUES ('q', 't', 'x', 'a', 'k', 'Hi?', 'n', 'n')")


def add_replies(db, texts, start=0):
    for i, text in enumerate(texts, start):
        db.execute("INSERT INTO replies (publication_id, channel, remote_id, text, created_at, first_seen_at, "
                   "last_seen_at) VALUES (1, 'x', ?, ?, '2026-11-24T09:00:00Z', '2026-11-24T09:00:00Z', "
                   "'2026-11-24T09:00:00Z')", [str(i), text])


@pytest.fixture
def filled(db):
    add_question(db)
    add_replies(db, TEXTS * 5)
    return db


def labels(db, ids=None):
    rows = db.execute("SELECT id, label FROM replies ORDER BY id").fetchall()
    return {i: label for i, label in rows if ids is None or i in ids}


def test_score_then_nothing_left(filled):
    assert scoring.score_replies(filled, batch_size=7) == 50
    assert scoring.score_replies(filled) == 0
    rows = filled.execute("SELECT text, label, label_confidence, language, scorer_version, compound FROM replies "
                          "ORDER BY id LIMIT 10").fetchall()
    assert [r[1] for r in rows[:3]] == ["positive", "negative", "neutral"]
    assert {r[4] for r in rows} == {scoring.BASE_VERSION}
    assert all(r[5] == polarity_scores(r[0])["compound"] for r in rows)  # VADER's score stays stock
    assert all(0 < r[2] <= 1 for r in rows if r[1] is not None)
    german, japanese = rows[8], rows[9]
    assert (german[1], german[3]) == (None, "de") and (japanese[1], japanese[3]) == (None, "ja")
    assert german[5] is not None  # scored, but unscored as to the label: counted apart


def test_label_override_never_overwrites_score(filled):
    scoring.score_replies(filled)
    scoring.set_label(filled, 2, "neutral", "maria", NOW)
    row = filled.execute("SELECT label, label_override, label_override_by, sentiment FROM replies WHERE id = 2").fetchone()
    assert row == ("negative", "neutral", "maria", "neutral")
    scoring.score_replies(filled, rescore=True)
    assert filled.execute("SELECT label_override FROM replies WHERE id = 2").fetchone()[0] == "neutral"
    scoring.set_label(filled, 2, "clear", "maria", NOW)
    assert filled.execute("SELECT label_override FROM replies WHERE id = 2").fetchone()[0] is None
    with pytest.raises(ListenerError, match="no reply with id 999"):
        scoring.set_label(filled, 999, "negative", "m", NOW)
    with pytest.raises(ListenerError, match="label must be one of"):
        scoring.set_label(filled, 2, "angry", "m", NOW)


def test_rescore_resumes_after_interruption(filled):
    scoring.score_replies(filled)
    filled.execute("UPDATE replies SET label = 'positive', scorer_version = 'old'")  # an older scorer's labels

    class Stop(Exception):
        pass

    seen = []

    def stop_after_two_batches(n, total):
        seen.append(n)
        if len(seen) == 2:
            raise Stop

    with pytest.raises(Stop):
        scoring.score_replies(filled, rescore=True, batch_size=10, progress=stop_after_two_batches)
    assert scoring.checkpoint(filled, "rescore") == 20
    assert filled.execute("SELECT count(*) FROM replies WHERE scorer_version = 'old'").fetchone()[0] == 30
    assert scoring.score_replies(filled, rescore=True, batch_size=10) == 30  # only the rest
    assert scoring.checkpoint(filled, "rescore") == -1
    assert filled.execute("SELECT count(*) FROM replies WHERE scorer_version = 'old'").fetchone()[0] == 0


# ---------------------------------------------------------------- learning from corrections

# A workspace whose customers say "bruh" when they are unhappy (the shipped labeller reads it as neutral)
# and "sorted" when they are pleased; and ask plain questions.
BRUH = ["bruh, the {} is here", "the {} was bruh", "bruh {} today", "{}: bruh"]
SORTED = ["{} sorted", "the {} got sorted", "sorted the {} today", "{} all sorted now"]
ASK = ["which {} is it", "the {} number is 12", "about the {} tomorrow", "{} for two"]
THINGS = ["app", "order", "delivery", "checkout", "account", "invoice", "parcel", "login", "website", "update",
          "payment", "booking"]


@pytest.fixture
def workspace(db):
    add_question(db)
    texts = [t.format(thing) for thing in THINGS for t in BRUH + SORTED + ASK]
    add_replies(db, texts)
    scoring.score_replies(db)
    return db, texts


def correct_some(db, texts):
    """Correct half the replies of each kind, as a person would: bruh is negative, sorted positive, the rest
    neutral."""
    corrected = {}
    for reply_id, text in enumerate(texts, 1):
        if (reply_id + reply_id // len(BRUH + SORTED + ASK)) % 2 == 0:
            corrected[reply_id] = ("negative" if "bruh" in text else "positive" if "sorted" in text
                                   else "neutral")
            scoring.set_label(db, reply_id, corrected[reply_id], "maria", NOW)
    return corrected


def test_correction_relabels_similar_replies_and_never_its_own(workspace):
    db, texts = workspace
    before = labels(db)
    bruh_ids = [i for i, t in enumerate(texts, 1) if "bruh" in t]
    assert sum(before[i] == "negative" for i in bruh_ids) < len(bruh_ids) / 2  # the labeller alone misses it
    corrected = correct_some(db, texts)
    scoring.set_label(db, 1, "positive", "maria", NOW)  # a person may disagree with the pattern: it wins
    corrected[1] = "positive"
    trained, relabelled = scoring.refresh(db, NOW)
    assert trained["corrections"] == len(corrected) and trained["model"] is not None
    assert relabelled == len(texts)
    after = labels(db)
    unreviewed_bruh = [i for i in bruh_ids if i not in corrected]
    assert sum(after[i] == "negative" for i in unreviewed_bruh) > 0.5 * len(unreviewed_bruh)
    seen = dict(db.execute("SELECT id, sentiment FROM replies").fetchall())
    assert all(seen[i] == label for i, label in corrected.items())
    assert seen[1] == "positive"


def test_retrain_and_relabel_idempotent_and_resumable(workspace):
    db, texts = workspace
    correct_some(db, texts)
    assert workspace_model.needs_training(db)
    workspace_model.train(db, NOW)
    assert not workspace_model.needs_training(db)

    class Stop(Exception):
        pass

    def stop(n, total):
        raise Stop

    with pytest.raises(Stop):
        scoring.relabel(db, batch_size=10, progress=stop)
    version = workspace_model.latest(db)["version"]
    assert db.execute("SELECT count(*) FROM replies WHERE scorer_version = ?", [version]).fetchone()[0] == 10
    assert scoring.relabel(db, batch_size=10) == len(texts) - 10  # resumes with the rest
    first = db.execute("SELECT id, label, label_confidence FROM replies ORDER BY id").fetchall()
    assert scoring.refresh(db, NOW) == (None, 0)  # nothing new: no training, nothing relabelled
    models = db.execute("SELECT count(*) FROM workspace_models").fetchone()[0]
    scoring.score_replies(db, rescore=True)  # the same model relabels the same way
    assert db.execute("SELECT id, label, label_confidence FROM replies ORDER BY id").fetchall() == first
    assert db.execute("SELECT count(*) FROM workspace_models").fetchone()[0] == models
    assert workspace_model.train(db, NOW)["version"] != version  # a new model labels with a new version


def test_a_new_labeller_version_retrains_and_relabels(workspace):
    db, texts = workspace
    correct_some(db, texts)
    scoring.refresh(db, NOW)
    old = workspace_model.latest(db)["version"].replace(labeller.VERSION, "cs-0")
    db.execute("UPDATE workspace_models SET version = ?", [old])  # as stored before an upgrade
    db.execute("UPDATE replies SET scorer_version = ?", [old])
    assert workspace_model.needs_training(db)
    trained, relabelled = scoring.refresh(db, NOW)
    assert trained["version"].startswith(scoring.BASE_VERSION + "+ws-")
    assert relabelled == len(texts)
    assert scoring.refresh(db, NOW) == (None, 0)


def test_suggest_least_certain_first_and_stats(workspace):
    db, texts = workspace
    suggested = review.suggest(db, 5)
    assert len(suggested) == 5
    confidences = [row["confidence"] for row in suggested]
    assert confidences == sorted(confidences)
    rest = db.execute("SELECT min(label_confidence) FROM replies WHERE id NOT IN (%s)"
                      % ",".join(str(r["id"]) for r in suggested)).fetchone()[0]
    assert rest >= confidences[-1]
    assert set(suggested[0]) == {"id", "remote_id", "text", "label", "confidence"}
    scoring.set_label(db, suggested[0]["id"], "negative", "maria", NOW)
    assert suggested[0]["id"] not in [row["id"] for row in review.suggest(db, 5)]  # reviewed: not suggested
    assert review.stats(db)["retrain_due"]
    correct_some(db, texts)
    scoring.refresh(db, NOW)
    stats = review.stats(db)
    assert stats["learned_from"] == stats["corrections"] > 10 and not stats["retrain_due"]
    assert stats["agreement"] > stats["labeller_agreement"]  # it learned what the labeller did not know


def test_one_correction_moves_little(workspace):
    db, texts = workspace
    before = labels(db)
    scoring.set_label(db, 1, "negative", "maria", NOW)
    trained, _ = scoring.refresh(db, NOW)
    assert trained["corrections"] == 1 and trained["version"] != scoring.BASE_VERSION
    after = labels(db)
    assert sum(before[i] != after[i] for i in before) < 0.1 * len(texts)  # one click is not a new policy
    assert review.stats(db)["agreement"] is None  # too few corrections to cross-validate


def test_a_model_built_on_an_older_labeller_is_not_used_until_retrained(workspace, monkeypatch):
    db, texts = workspace
    correct_some(db, texts)
    trained, _ = scoring.refresh(db, NOW)
    assert workspace_model.load(db)[1] is not None
    newer = scoring.BASE_VERSION.replace(f"+{labeller.VERSION}", "+cs-next")
    monkeypatch.setattr(scoring, "BASE_VERSION", newer)  # as after an upgrade whose features differ
    assert workspace_model.load(db) == (newer, None)  # its columns would be read as the new features
    assert workspace_model.needs_training(db)
    retrained, relabelled = scoring.refresh(db, NOW)
    assert retrained["version"].startswith(newer + "+") and relabelled == len(texts)
    assert workspace_model.load(db)[1] is not None


def test_least_certain_is_lowest_confidence_first_ties_in_order():
    assert review.least_certain([0.9, 0.4, 0.7, 0.4, 0.5], 3) == [1, 3, 4]
    assert review.least_certain([0.9], 5) == [0]
