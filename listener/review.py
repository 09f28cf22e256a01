"""What a person should look at next, and how well the workspace model agrees with people."""

from . import workspace_model


def suggest(db, n):
    """The `n` unreviewed, labelled, live replies whose label is least certain, least certain first."""
    candidates = db.execute(
        "SELECT id, label_confidence FROM replies "
        "WHERE label_override IS NULL AND label IS NOT NULL AND deleted_at IS NULL ORDER BY id").fetchall()
    chosen = [candidates[i][0] for i in least_certain([confidence for _, confidence in candidates], n)]
    rows = {row[0]: row for row in db.execute(
        f"SELECT id, remote_id, text, label, label_confidence FROM replies WHERE id IN ({','.join('?' * len(chosen))})",
        chosen).fetchall()}
    return [dict(zip(("id", "remote_id", "text", "label", "confidence"), rows[i])) for i in chosen]


def least_certain(confidences, n):
    """Positions of the `n` lowest confidences, lowest first, ties in order.

    The choice `review --suggest` makes; benchmarks/labeller.py simulates people answering it.
    """
    return sorted(range(len(confidences)), key=confidences.__getitem__)[:n]


def stats(db):
    """Corrections made, what the current model learned from, and its cross-validated agreement."""
    made, _ = workspace_model.corrections_mark(db)
    row = workspace_model.latest(db)
    return {
        "corrections": made,
        "learned_from": row["corrections"] if row else 0,
        "model_version": row["version"] if row else None,
        "trained_at": row["trained_at"] if row else None,
        "agreement": row["agreement"] if row else None,
        "labeller_agreement": row["base_agreement"] if row else None,
        "training_seconds": row["seconds"] if row else None,
        "retrain_due": workspace_model.needs_training(db),
    }


def format_suggestions(rows):
    lines = [f"{'id':>7}  {'label':<8} {'conf':>5}  text"]
    for row in rows:
        text = " ".join(str(row["text"]).split())
        lines.append(f"{row['id']:>7}  {row['label']:<8} {row['confidence']:>5.2f}  {text[:90]}")
    lines.append("correct one with: listener label ID negative|neutral|positive --by NAME")
    return "\n".join(lines)


def format_stats(data):
    def pct(x):
        return "n/a (needs 10 corrections)" if x is None else f"{x:.0%}"

    lines = [f"corrections: {data['corrections']} (the model learned from {data['learned_from']})",
             f"model: {data['model_version'] or 'none yet'}" + (f", trained {data['trained_at']}"
                                                                if data["trained_at"] else ""),
             f"agreement with corrections (cross-validated): {pct(data['agreement'])}; "
             f"shipped labeller alone: {pct(data['labeller_agreement'])}"]
    if data["retrain_due"]:
        lines.append("new corrections since: `listener score` (or the worker) retrains and relabels")
    return "\n".join(lines)
