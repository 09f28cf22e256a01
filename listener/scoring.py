"""Scores and labels stored next to each reply: scored as stored, relabelled when the workspace
model learns, rescored in batches, corrected by people.

A reply's columns: VADER's neg/neu/pos/compound (stock-identical), its language, and the label
people see with a confidence, from the workspace model (listener.workspace_model) when the
workspace has one, else from the shipped labeller (listener.labeller). A reply in a language the
labeller cannot read keeps label NULL ("unscored"). scorer_version says which produced the label.
"""

from . import labeller, workspace_model
from .db import transaction
from .errors import ListenerError
from .language import detect, readable
from .sentiment import SCORER_VERSION, polarity_scores
from .times import iso

LABELS = labeller.LABELS
BASE_VERSION = f"{SCORER_VERSION}+{labeller.VERSION}"
UPDATE = ("UPDATE replies SET neg = ?, neu = ?, pos = ?, compound = ?, language = ?, label = ?, "
          "label_confidence = ?, scorer_version = ? WHERE id = ?")


def score_columns(text):
    """The replies columns for `text` under the shipped labeller (as the harvester stores a reply)."""
    scores = polarity_scores(text)
    language = detect(text)
    label, confidence = labeller.label(text) if readable(language) else (None, None)
    return {**scores, "language": language, "label": label, "label_confidence": confidence,
            "scorer_version": BASE_VERSION}


def labels_for(texts, languages, model):
    """[(label, confidence)] for texts of known languages, by `model` (None: the shipped labeller)."""
    out = [(None, None)] * len(texts)
    readable_at = [i for i, language in enumerate(languages) if readable(language)]
    if model is None:
        for i in readable_at:
            out[i] = labeller.label(texts[i])
        return out
    probs = model.probabilities([texts[i] for i in readable_at]) if readable_at else []
    for i, row in zip(readable_at, probs):
        best = int(row.argmax())
        out[i] = (LABELS[best], float(row[best]))
    return out


def score_replies(db, *, rescore=False, batch_size=2000, progress=None):
    """Score replies that have no scores yet; with `rescore`, every reply again.

    Labels come from the current workspace model. Works in id batches, each committed with a
    checkpoint, so an interrupted rescore resumes where it stopped. Returns the number scored.
    """
    version, model = workspace_model.load(db)
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
        texts = [text for _, text in rows]
        languages = [detect(text) for text in texts]
        labels = labels_for(texts, languages, model)
        updates = []
        for (reply_id, text), language, (label, confidence) in zip(rows, languages, labels):
            s = polarity_scores(text)
            updates.append([s["neg"], s["neu"], s["pos"], s["compound"], language, label, confidence, version,
                            reply_id])
        last_id = rows[-1][0]
        with transaction(db):
            db.conn.executemany(UPDATE, updates)
            if rescore:
                set_checkpoint(db, "rescore", last_id)
        done += len(rows)
        if progress:
            progress(len(rows), total)
    if rescore:
        with transaction(db):
            set_checkpoint(db, "rescore", None)
    return done


def relabel(db, *, batch_size=2000, progress=None):
    """Give every scored reply whose label is not from the current model that model's label.

    Resumable and idempotent: a batch is committed with its new scorer_version, so a rerun (or the
    run after an interruption) finds only what is left. Returns the number relabelled.
    """
    version, model = workspace_model.load(db)
    where = "compound IS NOT NULL AND scorer_version IS NOT ? AND id > ?"
    total = db.execute(f"SELECT count(*) FROM replies WHERE {where}", [version, -1]).fetchone()[0]
    last_id, done = -1, 0
    while True:
        rows = db.execute(f"SELECT id, text, language FROM replies WHERE {where} ORDER BY id LIMIT ?",
                          [version, last_id, batch_size]).fetchall()
        if not rows:
            break
        texts = [text for _, text, _ in rows]
        languages = [language or detect(text) for _, text, language in rows]
        labels = labels_for(texts, languages, model)
        with transaction(db):
            db.conn.executemany(
                "UPDATE replies SET language = ?, label = ?, label_confidence = ?, scorer_version = ? WHERE id = ?",
                [[language, label, confidence, version, reply_id]
                 for (reply_id, _, _), language, (label, confidence) in zip(rows, languages, labels)])
        last_id = rows[-1][0]
        done += len(rows)
        if progress:
            progress(len(rows), total)
    return done


def refresh(db, now, *, batch_size=2000, progress=None):
    """Retrain when corrections changed since the last model, then relabel. Returns (model row or None, relabelled)."""
    trained = workspace_model.train(db, now) if workspace_model.needs_training(db) else None
    return trained, relabel(db, batch_size=batch_size, progress=progress)


def checkpoint(db, job):
    row = db.execute("SELECT position FROM checkpoints WHERE job = ?", [job]).fetchone()
    return row[0] if row and row[0] is not None else -1


def set_checkpoint(db, job, position):
    db.execute("INSERT INTO checkpoints (job, position) VALUES (?, ?) "
               "ON CONFLICT(job) DO UPDATE SET position = excluded.position", [job, position])


def set_label(db, reply_id, label, by, now):
    """A person's correction: stored next to the score, never overwriting it. 'clear' removes it.

    The workspace model learns from it at the next `listener score` or worker tick.
    """
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
