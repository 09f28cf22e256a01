"""The outbox: plan publications, claim one atomically, publish it once, reconcile lost answers.

States: planned -> publishing -> published | unknown | failed | needs_review (and cancelled,
missed). The intent is committed before the HTTP call and the remote id right after it. A call
whose answer was lost is `unknown` and is reconciled by reading the account's own recent posts,
never retried blind.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta

from .db import transaction
from .errors import ChannelError, OutcomeUnknown, RateLimited, UsageCapReached
from .recurrence import occurrences
from .times import iso, iso_epoch, parse_iso

STALE_CLAIM = timedelta(minutes=5)  # a 'publishing' row this old belongs to a dead process


@dataclass
class PublishReport:
    planned: int = 0
    missed: int = 0
    published: list = field(default_factory=list)
    unknown: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    needs_review: list = field(default_factory=list)
    deferred: list = field(default_factory=list)
    messages: list = field(default_factory=list)


def idempotency_key(question_id, occurrence_at, channel, account):
    raw = "|".join([question_id, occurrence_at, channel, account])
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def channel_content(question, channel, cfg):
    """(text, title, target) to post on `channel`, from the question and its variant."""
    variant = json.loads(question["variants"]).get(channel, {})
    text = variant.get("text", question["text"])
    if channel == "reddit":
        return text, variant.get("title", question["title"] or question["text"]), \
            variant.get("subreddit", cfg["reddit"]["subreddit"])
    return text, None, None


def plan(db, cfg, now, *, catch_up=False):
    """Create publications for due occurrences of approved questions (idempotent).

    Occurrences older than the missed grace are recorded as `missed`, not posted. With
    `catch_up` (the demo), each question's latest due occurrence is posted however old.
    """
    report = PublishReport()
    grace = timedelta(minutes=cfg["publish"]["missed_grace_minutes"])
    questions = db.execute(
        "SELECT * FROM questions WHERE status = 'approved' AND deleted_at IS NULL ORDER BY id"
    ).fetchall()
    columns = [d[0] for d in db.execute("SELECT * FROM questions LIMIT 0").description]
    horizon_start = now - timedelta(days=400)
    for values in questions:
        question = dict(zip(columns, values))
        due = occurrences(question, horizon_start, now + timedelta(seconds=1))
        if catch_up and due:
            due = due[-1:]
            late = []
        else:
            late = [t for t in due if t < now - grace]
            due = [t for t in due if t >= now - grace]
        for channel in json.loads(question["channels"]):
            if not cfg[channel]["enabled"]:
                continue
            account = cfg[channel]["account"]
            text, title, target = channel_content(question, channel, cfg)
            with transaction(db):
                for when, state in [(t, "planned") for t in due] + [(t, "missed") for t in late]:
                    key = idempotency_key(question["id"], iso(when), channel, account)
                    cursor = db.execute(
                        "INSERT OR IGNORE INTO publications (question_id, occurrence_at, channel, account, "
                        "state, idempotency_key, text, title, target, error, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [question["id"], iso(when), channel, account, state, key, text, title, target,
                         "worker was down past the grace period" if state == "missed" else None,
                         iso(now), iso(now)],
                    )
                    if cursor.rowcount:
                        if state == "missed":
                            report.missed += 1
                            report.messages.append(f"missed: {question['id']} on {channel} due {iso(when)}")
                        else:
                            report.planned += 1
    return report


def claim(db, channel, account, now):
    """Atomically move one due planned publication to publishing; returns its row dict or None."""
    with transaction(db):
        cursor = db.execute(
            "UPDATE publications SET state = 'publishing', claimed_at = ?, attempts = attempts + 1, "
            "updated_at = ? WHERE id = (SELECT id FROM publications WHERE state = 'planned' "
            "AND channel = ? AND account = ? AND occurrence_at <= ? AND (retry_at IS NULL OR retry_at <= ?) "
            "ORDER BY occurrence_at, id LIMIT 1) AND state = 'planned' RETURNING *",
            [iso(now), iso(now), channel, account, iso(now), iso(now)],
        )
        row = cursor.fetchone()
        return dict(zip([d[0] for d in cursor.description], row)) if row else None


def publish_due(db, cfg, channels, now):
    """Publish every due planned publication, one at a time, on each open channel."""
    report = PublishReport()
    recover_stale_claims(db, now)
    for name, channel in channels.items():
        while True:
            pub = claim(db, name, channel.account, now)
            if pub is None:
                break
            if not publish_one(db, channel, pub, now, report):
                break  # this channel is rate limited or capped: the others carry on
    reconcile(db, cfg, channels, now, report)
    return report


def publish_one(db, channel, pub, now, report):
    """Publish one claimed row. Returns False when the channel should stop for this run."""
    try:
        posted = channel.publish(pub["text"], title=pub["title"], target=pub["target"])
    except RateLimited as exc:
        set_state(db, pub["id"], "planned", now, error=str(exc), retry_at=iso_epoch(exc.reset_at))
        report.deferred.append(pub["id"])
        report.messages.append(f"{pub['channel']}: {exc}")
        return False
    except UsageCapReached as exc:
        set_state(db, pub["id"], "planned", now, error=str(exc), retry_at=iso(now + timedelta(days=1)))
        report.messages.append(str(exc))
        return False
    except OutcomeUnknown as exc:
        set_state(db, pub["id"], "unknown", now, error=str(exc))
        report.unknown.append(pub["id"])
        return True
    except ChannelError as exc:
        set_state(db, pub["id"], "failed", now, error=str(exc))
        report.failed.append(pub["id"])
        report.messages.append(f"{pub['channel']}: {exc}")
        return "reach" not in str(exc)
    mark_published(db, pub, posted, now, channel)
    report.published.append(pub["id"])
    return True


def mark_published(db, pub, posted, now, channel):
    with transaction(db):
        db.execute(
            "UPDATE publications SET state = 'published', remote_id = ?, url = ?, published_at = ?, "
            "error = NULL, next_harvest_at = ?, harvest_stage = 0, posts = posts + ?, updated_at = ? "
            "WHERE id = ?",
            [posted.remote_id, posted.url, posted.published_at or iso(now), iso(now),
             1 if channel.billable else 0, iso(now), pub["id"]],
        )


def set_state(db, pub_id, state, now, error=None, retry_at=None):
    with transaction(db):
        db.execute("UPDATE publications SET state = ?, error = ?, retry_at = ?, updated_at = ? WHERE id = ?",
                   [state, error, retry_at, iso(now), pub_id])


def recover_stale_claims(db, now):
    """A row left in 'publishing' by a killed process may or may not have been posted: reconcile it."""
    with transaction(db):
        db.execute("UPDATE publications SET state = 'unknown', error = 'interrupted while publishing', "
                   "updated_at = ? WHERE state = 'publishing' AND claimed_at <= ?",
                   [iso(now), iso(now - STALE_CLAIM)])


def reconcile(db, cfg, channels, now, report):
    """Look for each unknown publication among the account's own recent posts."""
    window = timedelta(minutes=cfg["publish"]["reconcile_window_minutes"])
    rows = db.execute("SELECT id, channel, text, title, target, claimed_at FROM publications "
                      "WHERE state = 'unknown' ORDER BY id").fetchall()
    for pub_id, name, text, title, target, claimed_at in rows:
        channel = channels.get(name)
        if channel is None:
            continue
        expired = parse_iso(claimed_at) + window <= now
        try:
            since = parse_iso(claimed_at) - timedelta(minutes=5)
            found = channel.find_own_post(text, title=title, target=target, since=since)
        except ChannelError as exc:
            if expired:
                set_state(db, pub_id, "needs_review", now, error=f"could not reconcile: {exc}")
                report.needs_review.append(pub_id)
            continue
        if len(found) == 1:
            mark_published(db, {"id": pub_id}, found[0], now, channel)
            report.published.append(pub_id)
        elif len(found) > 1:
            ids = ", ".join(p.remote_id for p in found)
            set_state(db, pub_id, "needs_review", now, error=f"several matching posts on {name}: {ids}")
            report.needs_review.append(pub_id)
        elif expired:
            set_state(db, pub_id, "failed", now,
                      error="not found on the platform after the reconcile window: safe to retry")
            report.failed.append(pub_id)


def retry(db, pub_id, now):
    """Put a failed publication back in the outbox."""
    with transaction(db):
        cursor = db.execute("UPDATE publications SET state = 'planned', error = NULL, retry_at = NULL, "
                            "updated_at = ? WHERE id = ? AND state = 'failed'", [iso(now), pub_id])
        return cursor.rowcount == 1
