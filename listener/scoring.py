"""Scores stored next to each reply: scored as stored, rescored in batches, corrected by people."""

from .db import transaction
from .errors import ListenerError
from .sentiment import SCORER_VERSION, label_for, polarity_scores
from .times import iso

LABELS = ("negative", "neutral", "positive")


def score_columns(text, cfg):
    """The replies columns for `text`'s scores under the configured thresholds."""
    scores = polarity_scores(text)
    thresholds = cfg["sentiment"]
    label = label_for(scores["compound"], thresholds["positive_threshold"], thresholds["negative_threshold"])
    return {**scores, "label": label, "scorer_version": SCORER_VERSION}


def score_replies(db, cfg, *, rescore=False, batch_size=2000, progress=None):
    """Score unscored replies; with `rescore`, every reply again (e.g. new thresholds or scorer).

    Works in id batches, each committed with a checkpoint, so an interrupted rescore resumes
    where it stopped. Returns the number scored.
    """
    if rescore:
        last_id = checkpoint(db, "rescore")
        where = "id > ?"
    else:
        last_id, where = -1, "compound IS NULL AND id > ?"
    total = db.execute(f"SELECT count(*) FROM replies WHERE {where}", [last_id]).fetchone()[0]
    done = 0
    while True:
        rows = db.execute(f"SELECT id, text FROM replies WHERE {where} ORDER BY id LIMIT ?",
                          [last_id, batch_size]).fetchall()
        if not rows:
            break
        updates = []
        for reply_id, text in rows:
            cols = score_columns(text, cfg)
            updates.append([cols["neg"], cols["neu"], cols["pos"], cols["compound"], cols["label"],
                            cols["scorer_version"], reply_id])
        last_id = rows[-1][0]
        with transaction(db):
            db.conn.executemany("UPDATE replies SET neg = ?, neu = ?, pos = ?, compound = ?, label = ?, "
                                "scorer_version = ? WHERE id = ?", updates)
            if rescore:
                set_checkpoint(db, "rescore", last_id)
        done += len(rows)
        if progress:
            progress(len(rows), total)
    if rescore:
        with transaction(db):
            set_checkpoint(db, "rescore", None)
    return done


def checkpoint(db, job):
    row = db.execute("SELECT position FROM checkpoints WHERE job = ?", [job]).fetchone()
    return row[0] if row and row[0] is not None else -1


def set_checkpoint(db, job, position):
    db.execute("INSERT INTO checkpoints (job, position) VALUES (?, ?) "
               "ON CONFLICT(job) DO UPDATE SET position = excluded.position", [job, position])


def set_label(db, reply_id, label, by, now):
    """A person's correction: stored next to the score, never overwriting it. 'clear' removes it."""
    if label not in LABELS + ("clear",):
        raise ListenerError(f"label must be one of {', '.join(LABELS)} or clear")
    with transaction(db):
        if not db.execute("SELECT 1 FROM replies WHERE id = ?", [reply_id]).fetchone():
            raise ListenerError(f"no reply with id {reply_id}: find ids in Datasette's replies table")
        if label == "clear":
            db.execute("UPDATE replies SET label_override = NULL, label_override_by = NULL, "
                       "label_override_at = NULL WHERE id = ?", [reply_id])
        else:
            db.execute("UPDATE replies SET label_override = ?, label_override_by = ?, label_override_at = ? "
                       "WHERE id = ?", [label, by, iso(now), reply_id])
