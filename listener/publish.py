"""The outbox: plan publications, claim one atomically, publish it once, reconcile lost answers.

States: planned -> publishing -> published | unknown | failed | needs_review (and cancelled,
missed). The intent is committed before the HTTP call and the remote id right after it. A call
whose answer was lost is `unknown` and is reconciled by reading the account's own recent posts,
never retried blind.
"""

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from .channels import channel_class
from .claims import process_gone
from .db import transaction
from .display import DATE_PLACEHOLDER
from .errors import (ChannelError, DuplicateContent, OutcomeUnknown, QuestionError, RateLimited, Unreachable,
                     UsageCapReached)
from .harvest import block_channel, blocked_note, channel_blocked_until, save_rate_limits
from .recurrence import occurrences
from .times import iso, iso_epoch, parse_iso

PER_QUESTION_PER_RUN = 1  # posts per question and channel in one run: a backlog never goes out as a burst
STALE_CLAIM = timedelta(minutes=5)  # a 'publishing' row this old belongs to a dead process
UNREACHABLE_RETRY = timedelta(minutes=5)
CLOCK_MARGIN = timedelta(minutes=5)  # reconcile reads back this far before the claim (on the platform's clock)
DUPLICATE = "refused as a duplicate of an earlier post"  # stored error of an `unknown` row: see reconcile
# A claim also records the claiming process id: when that process is gone (killed, crashed), the
# claim is stale at once, so a restart reconciles right away instead of waiting STALE_CLAIM. The
# database lives on one machine, so the pid is meaningful; a reused pid only delays recovery until
# STALE_CLAIM, it never causes a second post (the row is reconciled, never retried blind).


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


def channel_content(question, channel, cfg, when):
    """(text, title, target) to post on `channel` for the occurrence at `when` (UTC)."""
    variant = json.loads(question["variants"]).get(channel, {})
    local_date = when.astimezone(ZoneInfo(question["time_zone"])).strftime("%-d %b %Y")
    variant = {key: fill_date(value, local_date) for key, value in variant.items()}
    title = fill_date(question["title"], local_date) if question["title"] else None
    return channel_class(channel).render(fill_date(question["text"], local_date), title, variant, cfg)


def fill_date(text, local_date):
    """{date} becomes the occurrence's local date: some platforms refuse the same text twice."""
    return text.replace(DATE_PLACEHOLDER, local_date)


def plan(db, cfg, now, *, catch_up=False):
    """Create publications for due occurrences of approved questions (idempotent).

    Occurrences older than the missed grace are recorded as `missed`, not posted. With
    `catch_up` (the demo), each question's latest due occurrence is posted however old.
    """
    report = PublishReport()
    grace = timedelta(minutes=cfg["publish"]["missed_grace_minutes"])
    if not catch_up:
        expire_late(db, now, grace, report)
    questions = db.execute(
        "SELECT * FROM questions WHERE status = 'approved' AND deleted_at IS NULL ORDER BY id"
    ).fetchall()
    columns = [d[0] for d in db.execute("SELECT * FROM questions LIMIT 0").description]
    horizon_start = now - timedelta(days=400)
    for values in questions:
        question = dict(zip(columns, values))
        start = horizon_start
        if question["rrule"] and question["approved_at"] and not catch_up:
            start = max(start, parse_iso(question["approved_at"]) - grace)
        try:
            due = occurrences(question, start, now + timedelta(seconds=1))
        except QuestionError as exc:  # one bad rule never blocks the other questions
            report.messages.append(str(exc))
            continue
        if catch_up and due:
            due = due[-1:]
            late = []
        else:
            late = [t for t in due if t < now - grace]
            due = [t for t in due if t >= now - grace]
            if question["rrule"] and question["approved_at"]:
                # a rule's occurrences already past when it was approved are history, not missed
                late = [t for t in late if t >= parse_iso(question["approved_at"]) - grace]
            late, due = late + due[:-PER_QUESTION_PER_RUN], due[-PER_QUESTION_PER_RUN:]
        for channel in json.loads(question["channels"]):
            if not cfg[channel]["enabled"]:
                continue
            account = cfg[channel]["account"]
            with transaction(db):
                for when, state in [(t, "planned") for t in due] + [(t, "missed") for t in late]:
                    key = idempotency_key(question["id"], iso(when), channel, account)
                    text, title, target = channel_content(question, channel, cfg, when)
                    cursor = db.execute(
                        "INSERT OR IGNORE INTO publications (question_id, occurrence_at, channel, account, "
                        "state, idempotency_key, text, title, target, error, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [question["id"], iso(when), channel, account, state, key, text, title, target,
                         missed_reason(when, now, grace) if state == "missed" else None,
                         iso(now), iso(now)],
                    )
                    if cursor.rowcount:
                        if state == "missed":
                            report.missed += 1
                            report.messages.append(f"missed: {question['id']} on {channel} due {iso(when)}")
                        else:
                            report.planned += 1
    return report


def missed_reason(when, now, grace):
    if when < now - grace:
        return f"worker was down past the grace period ({grace_text(grace)})"
    return f"more than {PER_QUESTION_PER_RUN} occurrence(s) of this question due at once: only the latest is posted"


def grace_text(grace):
    return f"[publish] missed_grace_minutes = {int(grace.total_seconds() // 60)}"


def expire_late(db, now, grace, report):
    """A planned row older than the grace is missed, whatever kept it back (a stop, an outage, a limit).

    A row put back with `listener retry` counts its grace from the retry.
    """
    with transaction(db):
        rows = db.execute(
            "UPDATE publications SET state = 'missed', updated_at = :now, "
            "error = 'not posted within the grace period (' || :grace || ')' || coalesce('; last: ' || error, '') "
            "WHERE state = 'planned' AND max(occurrence_at, coalesce(retried_at, '')) < :limit RETURNING question_id, channel, occurrence_at, error",
            {"now": iso(now), "grace": grace_text(grace), "limit": iso(now - grace)}).fetchall()
    for question_id, channel, occurrence_at, error in rows:
        report.missed += 1
        report.messages.append(f"missed: {question_id} on {channel} due {occurrence_at}: {error}")


def claim(db, channel, account, now):
    """Atomically move one due planned publication to publishing; returns its row dict or None.

    At most PER_QUESTION_PER_RUN rows of one question are claimed at the same `now` (one run).
    """
    with transaction(db):
        cursor = db.execute(
            "UPDATE publications SET state = 'publishing', claimed_at = :now, claimed_pid = :pid, "
            "attempts = attempts + 1, updated_at = :now WHERE id = (SELECT id FROM publications WHERE state = 'planned' "
            "AND channel = :channel AND account = :account AND occurrence_at <= :now "
            "AND (retry_at IS NULL OR retry_at <= :now) AND question_id NOT IN ("
            "  SELECT question_id FROM publications WHERE channel = :channel AND account = :account "
            "  AND claimed_at = :now AND state != 'planned' GROUP BY question_id HAVING count(*) >= :cap) "
            "ORDER BY occurrence_at, id LIMIT 1) AND state = 'planned' RETURNING *",
            {"now": iso(now), "pid": os.getpid(), "channel": channel, "account": account,
             "cap": PER_QUESTION_PER_RUN},
        )
        row = cursor.fetchone()
        return dict(zip([d[0] for d in cursor.description], row)) if row else None


def publish_due(db, cfg, channels, now, *, should_stop=None):
    """Publish every due planned publication, one at a time, on each open channel.

    `should_stop` (the worker's SIGTERM flag) is checked before each claim: a stop finishes the
    publication in flight and leaves the rest planned.
    """
    report = PublishReport()
    recover_stale_claims(db, now)
    for name, channel in channels.items():
        blocked = channel_blocked_until(db, name, channel.account, now)
        if blocked:  # a usage cap: nothing is claimed (planned rows wait, showing why)
            report.messages.append(f"{name}: paused until {blocked} ({blocked_note(db, name, channel.account)})")
            continue
        while not (should_stop and should_stop()):
            pub = claim(db, name, channel.account, now)
            if pub is None:
                break
            if not publish_one(db, channel, pub, now, report):
                break  # this channel is rate limited or capped: the others carry on
    if not (should_stop and should_stop()):
        reconcile(db, cfg, channels, now, report)
    for channel in channels.values():
        save_rate_limits(db, channel, now)  # `listener status` shows the posting limits too
    return report


def publish_one(db, channel, pub, now, report):
    """Publish one claimed row. Returns False when the channel should stop for this run."""
    try:
        posted = channel.publish(pub["text"], title=pub["title"], target=pub["target"], key=pub["idempotency_key"])
    except RateLimited as exc:
        set_state(db, pub["id"], "planned", now, error=str(exc), retry_at=iso_epoch(exc.reset_at))
        report.deferred.append(pub["id"])
        report.messages.append(f"{pub['channel']}: {exc}")
        return False
    except UsageCapReached as exc:
        set_state(db, pub["id"], "planned", now, error=str(exc), retry_at=iso(now + timedelta(days=1)))
        block_channel(db, channel.name, channel.account, now + timedelta(days=1), str(exc), now)
        report.messages.append(str(exc))
        return False
    except DuplicateContent:  # ours from an earlier attempt (reconcile adopts it) or the text must change
        set_state(db, pub["id"], "unknown", now, error=f"{channel.name}: {DUPLICATE}")
        report.unknown.append(pub["id"])
        return True
    except OutcomeUnknown as exc:
        set_state(db, pub["id"], "unknown", now, error=str(exc))
        report.unknown.append(pub["id"])
        return True
    except Unreachable as exc:  # nothing was sent: keep it planned and stop this channel for now
        set_state(db, pub["id"], "planned", now, error=str(exc), retry_at=iso(now + UNREACHABLE_RETRY))
        report.deferred.append(pub["id"])
        report.messages.append(f"{pub['channel']}: {exc}")
        return False
    except ChannelError as exc:
        set_state(db, pub["id"], "failed", now, error=str(exc))
        report.failed.append(pub["id"])
        report.messages.append(f"{pub['channel']}: {exc}")
        return True
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
    """A row left in 'publishing' by a killed process may or may not have been posted: reconcile it.

    Stale means claimed more than STALE_CLAIM ago, or claimed by a process that no longer exists.
    """
    with transaction(db):
        rows = db.execute("SELECT id, claimed_at, claimed_pid FROM publications WHERE state = 'publishing'").fetchall()
        stale = [pub_id for pub_id, claimed_at, pid in rows
                 if claimed_at is None or parse_iso(claimed_at) <= now - STALE_CLAIM or process_gone(pid)]
        for pub_id in stale:
            db.execute("UPDATE publications SET state = 'unknown', error = 'interrupted while publishing', "
                       "updated_at = ? WHERE id = ? AND state = 'publishing'", [iso(now), pub_id])
    return stale


def reconcile(db, cfg, channels, now, report):
    """Look for each unknown publication among the account's own recent posts.

    Each publication is reconciled on its own: one that cannot be read never stops the others.
    """
    window = timedelta(minutes=cfg["publish"]["reconcile_window_minutes"])
    cursor = db.execute("SELECT id, channel, text, title, target, claimed_at, error FROM publications "
                        "WHERE state = 'unknown' ORDER BY id")
    columns = [d[0] for d in cursor.description]
    for row in cursor.fetchall():
        pub = dict(zip(columns, row))
        channel = channels.get(pub["channel"])
        if channel is not None:
            reconcile_one(db, channel, pub, window, now, report)


def reconcile_one(db, channel, pub, window, now, report):
    pub_id, name = pub["id"], pub["channel"]
    claimed = parse_iso(pub["claimed_at"]) or now
    expired = claimed + window <= now
    duplicate = DUPLICATE in (pub["error"] or "")
    reads_before = channel.reads
    try:
        found = channel.find_own_post(pub["text"], title=pub["title"], target=pub["target"],
                                      since=claimed - CLOCK_MARGIN)
    except ChannelError as exc:
        if expired:
            set_state(db, pub_id, "needs_review", now, error=f"could not reconcile: {exc}")
            report.needs_review.append(pub_id)
        return
    finally:
        count_reads(db, pub_id, channel.reads - reads_before, now)
    taken = {r[0] for r in db.execute("SELECT remote_id FROM publications WHERE channel = ? AND id != ? "
                                      "AND remote_id IS NOT NULL", [name, pub_id])}
    found = [post for post in found if post.remote_id not in taken]  # another publication's post
    if len(found) == 1:
        mark_published(db, {"id": pub_id}, found[0], now, channel)
        report.published.append(pub_id)
    elif len(found) > 1:
        ids = ", ".join(p.remote_id for p in found)
        set_state(db, pub_id, "needs_review", now, error=f"several matching posts on {name}: {ids}")
        report.needs_review.append(pub_id)
    elif duplicate:  # the platform holds these words already, and not from this publication
        set_state(db, pub_id, "failed", now,
                  error=f"{name} {DUPLICATE} with the same text (not this publication's): change the text, "
                        f"then `listener retry {pub_id}`")
        report.failed.append(pub_id)
    elif expired:
        set_state(db, pub_id, "failed", now,
                  error="not found on the platform after the reconcile window: safe to retry")
        report.failed.append(pub_id)


def count_reads(db, pub_id, reads, now):
    """Reconcile reads are billable (X charges each post read): they count in the publication's cost."""
    if reads:
        with transaction(db):
            db.execute("UPDATE publications SET reads = reads + ?, updated_at = ? WHERE id = ?",
                       [reads, iso(now), pub_id])


def retry(db, pub_id, now):
    """Put a failed publication back in the outbox."""
    with transaction(db):
        cursor = db.execute("UPDATE publications SET state = 'planned', error = NULL, retry_at = NULL, "
                            "retried_at = ?, updated_at = ? WHERE id = ? AND state = 'failed'",
                            [iso(now), iso(now), pub_id])
        return cursor.rowcount == 1
