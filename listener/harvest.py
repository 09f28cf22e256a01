"""Harvest replies: a tapering plan per publication, page by page, cursor saved with each page.

Each run walks the whole reply thread (late and out-of-order replies are found), upserting every
page and saving the cursor in the same transaction, so a crash loses nothing and repeats nothing.
After a complete walk, replies no longer seen are marked deleted (kept, never dropped), the
platform's reported count is stored for coverage, and the next harvest is scheduled.
"""

import os
import time
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta

from .channels import channel_classes
from .claims import process_gone
from .db import transaction
from .errors import ChannelError, NotFound, RateLimited, UsageCapReached
from .times import iso, iso_epoch, parse_duration, parse_iso

RETRY_AFTER_ERROR = timedelta(minutes=5)
ABANDONED_RUN = timedelta(hours=1)  # far longer than any run's time budget
STALE_HARVEST_CLAIM = ABANDONED_RUN  # a harvest claim this old belongs to a process that stopped
# Pacing. Before each page the route's remaining requests and reset time (from the latest headers)
# decide: go, wait for the reset when it comes soon enough (never past MAX_WAIT nor the run's
# time budget), or re-queue the publication at the reset. Reset headers have one-second precision
# (X: epoch seconds, Reddit: whole seconds from now), so a wait ends RESET_MARGIN after the reset.
MAX_WAIT = 10.0          # seconds a run may wait for one reset (a job never sleeps past its slot)
RESET_MARGIN = 1.0
RESERVE = 0              # requests left untouched in each window (for other jobs on the same account)
# A 429 while our own accounting says requests are left is a transient refusal (X and Reddit both
# do this): retry that page after a short, bounded backoff (twice at most), then re-queue at reset.
TRANSIENT_429_RETRIES = 2
TRANSIENT_429_BACKOFF = 0.5


@dataclass
class HarvestReport:
    publications: int = 0
    requests: int = 0
    fetched: int = 0
    new: int = 0
    messages: list = field(default_factory=list)


def schedule_offsets(cfg):
    return [parse_duration(step) for step in cfg["harvest"]["schedule"]]


def due_publications(db, channel, now):
    cursor = db.execute(
        "SELECT p.*, q.id AS question FROM publications p JOIN questions q ON q.id = p.question_id "
        "WHERE p.state = 'published' AND p.channel = ? AND p.harvest_done_at IS NULL "
        "AND p.next_harvest_at <= ? ORDER BY p.next_harvest_at, p.id",
        [channel, iso(now)],
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def harvest_due(db, cfg, channels, now, *, time_budget=None, pages_per_run=None):
    """Harvest every due publication on every channel; one failing channel never stops another."""
    report = HarvestReport()
    deadline = time.monotonic() + time_budget if time_budget else None
    close_abandoned_runs(db, now)
    for name, channel in channels.items():
        blocked = channel_blocked_until(db, name, channel.account, now)
        if blocked:
            report.messages.append(f"{name}: paused until {blocked} ({blocked_note(db, name, channel.account)})")
            continue
        load_rate_limits(db, channel)
        for pub in due_publications(db, name, now):
            if deadline and time.monotonic() >= deadline:
                report.messages.append("time budget spent: the rest is harvested on the next run")
                return report
            if not claim_harvest(db, pub["id"], now):
                continue  # another process is walking it (or has just walked it)
            try:
                harvest_publication(db, cfg, channel, pub, now, report, deadline=deadline,
                                    pages_per_run=pages_per_run or cfg["harvest"]["max_pages_per_run"])
            except UsageCapReached as exc:
                block_channel(db, name, channel.account, now + timedelta(days=1), str(exc), now)
                report.messages.append(f"{name}: {exc}")
                break
            except RateLimited as exc:
                report.messages.append(f"{name}: {exc}; next try at {iso_epoch(exc.reset_at)}")
                requeue_channel(db, name, iso_epoch(exc.reset_at), now)
                break
            finally:
                release_harvest(db, pub["id"])
    return report


def claim_harvest(db, pub_id, now):
    """Take one publication's harvest for this process, atomically. False when another live process
    holds it, or when it is no longer due (another process walked it since the due list was read)."""
    with transaction(db):
        claimed_at, pid, done, next_at = db.execute(
            "SELECT harvest_claimed_at, harvest_claimed_pid, harvest_done_at, next_harvest_at FROM publications "
            "WHERE id = ?", [pub_id]).fetchone()
        if done or next_at is None or next_at > iso(now):
            return False
        held = claimed_at is not None and parse_iso(claimed_at) > now - STALE_HARVEST_CLAIM and not process_gone(pid)
        if held:
            return False
        db.execute("UPDATE publications SET harvest_claimed_at = ?, harvest_claimed_pid = ? WHERE id = ?",
                   [iso(now), os.getpid(), pub_id])
    return True


def release_harvest(db, pub_id):
    with transaction(db):
        db.execute("UPDATE publications SET harvest_claimed_at = NULL, harvest_claimed_pid = NULL "
                   "WHERE id = ? AND harvest_claimed_pid = ?", [pub_id, os.getpid()])


def harvest_publication(db, cfg, channel, pub, now, report, *, deadline=None, pages_per_run=50):
    """Walk one publication's replies from its saved cursor, as far as limits and budget allow."""
    report.publications += 1
    run_id = start_run(db, pub, now)
    cursor = pub["harvest_cursor"]
    walk_started = pub["harvest_walk_started_at"] or iso(now)
    requests = fetched = new = 0
    reads_before = getattr(channel, "reads", 0)
    status, error = "ok", None
    route = route_for(channel)
    try:
        for _ in range(pages_per_run):
            if channel.billable and over_budget(db, cfg, pub["question_id"]):
                finish(db, pub["id"], now, BUDGET_NOTE)
                report.messages.append(f"{pub['question_id']}: cost budget reached, harvesting stopped")
                status, error = "budget", BUDGET_NOTE
                break
            pace(channel, route, deadline)
            page = fetch_page(channel, route, pub["remote_id"], cursor, deadline)
            requests += page.requests
            fetched += len(page.replies)
            cursor = page.cursor
            reads = getattr(channel, "reads", 0) - reads_before
            reads_before += reads
            new += store_page(db, cfg, pub, page, cursor, walk_started, reads, now)
            save_rate_limits(db, channel, now)
            if cursor is None:
                complete_walk(db, cfg, channel, pub, page, walk_started, now)
                break
            if deadline and time.monotonic() >= deadline:
                requeue(db, pub["id"], iso(now), now)
                break
        else:
            requeue(db, pub["id"], iso(now), now)  # more pages: continue on the next run
    except NotFound as exc:
        finish(db, pub["id"], now, f"the post is gone from {pub['channel']}: {exc}")
        status, error = "gone", str(exc)
    except RateLimited as exc:
        save_rate_limits(db, channel, now)
        requeue(db, pub["id"], iso_epoch(exc.reset_at), now)
        finish_run(db, run_id, now, requests, fetched, new, "rate_limited", str(exc))
        add_to_report(report, requests, fetched, new)
        raise
    except UsageCapReached as exc:
        requeue(db, pub["id"], iso(now + timedelta(days=1)), now)
        finish_run(db, run_id, now, requests, fetched, new, "usage_cap", str(exc))
        add_to_report(report, requests, fetched, new)
        raise
    except ChannelError as exc:
        requeue(db, pub["id"], iso(now + RETRY_AFTER_ERROR), now)
        status, error = "error", str(exc)
        report.messages.append(f"{pub['channel']} publication {pub['id']}: {exc}")
    finish_run(db, run_id, now, requests, fetched, new, status, error)
    add_to_report(report, requests, fetched, new)


def add_to_report(report, requests, fetched, new):
    report.requests += requests
    report.fetched += fetched
    report.new += new


BUDGET_NOTE = "stopped: the question's cost budget is spent ([cost] budget_per_question_usd)"


def route_for(channel):
    return channel.harvest_route


def pace(channel, route, deadline):
    """Wait for the route's reset when no request is left and the reset comes within this run's slot.

    Raises RateLimited (nothing was sent) when the reset is further away than the run may wait:
    the caller re-queues the publication at the reset.
    """
    limit = channel.rate_limits.get(route)
    if not limit or limit.remaining is None or not limit.reset_at or limit.remaining > RESERVE:
        return
    wait = limit.reset_at + RESET_MARGIN - time.time()
    if wait <= 0:
        return
    allowed = MAX_WAIT if deadline is None else min(MAX_WAIT, deadline - time.monotonic())
    if wait > allowed:
        raise RateLimited(f"{channel.name}: no requests left on {route} until the reset",
                          reset_at=limit.reset_at + RESET_MARGIN)
    time.sleep(wait)
    # A new window: the next response tells how many are left; until then a 429 is a surprise.
    channel.rate_limits[route] = replace(limit, remaining=max(limit.limit or 0, RESERVE + 2), reset_at=None)


def fetch_page(channel, route, remote_id, cursor, deadline):
    """One page; a 429 that our own accounting did not predict is retried after a short backoff."""
    for attempt in range(TRANSIENT_429_RETRIES + 1):
        before = channel.rate_limits.get(route)
        try:
            return channel.fetch_replies(remote_id, cursor)
        except RateLimited:
            expected = before is None or before.remaining is None or before.remaining <= RESERVE + 1 \
                or (before.reset_at is not None and before.reset_at <= time.time())
            backoff = TRANSIENT_429_BACKOFF * (2 ** attempt)
            out_of_time = deadline is not None and time.monotonic() + backoff >= deadline
            if expected or out_of_time or attempt == TRANSIENT_429_RETRIES:
                raise
            channel.rate_limits[route] = before  # the window we counted is still the one in force
            time.sleep(backoff)


def store_page(db, cfg, pub, page, cursor, walk_started, reads, now):
    """Upsert one page of replies and save the cursor, in one transaction. Returns how many were new."""
    records = page.replies
    new = 0
    with transaction(db):
        existing = {}
        ids = [r.remote_id for r in records]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for remote_id, reply_id, text in db.execute(
                f"SELECT remote_id, id, text FROM replies WHERE channel = ? AND remote_id IN ({marks})",
                [pub["channel"], *chunk],
            ):
                existing[remote_id] = (reply_id, text)
        stamp = iso(now)
        for record in map(clean_record, records):
            text = record.text
            if record.remote_id in existing:
                update_reply(db, cfg, existing[record.remote_id], record, text, stamp)
            elif record.deleted:  # kept as a placeholder: its replies' thread stays whole
                insert_reply(db, cfg, pub, record, text, stamp, placeholder=True)
                existing[record.remote_id] = (None, text)
            else:
                insert_reply(db, cfg, pub, record, text, stamp)
                existing[record.remote_id] = (None, text)
                new += 1
            if record.html is not None:
                db.execute("UPDATE replies SET html = ? WHERE channel = ? AND remote_id = ?",
                           [record.html, pub["channel"], record.remote_id])
        db.execute(
            "UPDATE publications SET harvest_cursor = ?, harvest_walk_started_at = ?, reads = reads + ?, "
            "updated_at = ? WHERE id = ?",
            [cursor, walk_started, reads, stamp, pub["id"]],
        )
    return new


def clean_text(text):
    """Text exactly as received, except lone surrogates (not storable as UTF-8) become U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)


def clean_record(record):
    """Every text field of a record storable (an author, a URL can carry a lone surrogate too)."""
    changes = {f.name: clean_text(value) for f in fields(record)
               if isinstance(value := getattr(record, f.name), str)}
    return replace(record, **changes)


def insert_reply(db, cfg, pub, record, text, stamp, placeholder=False):
    # (imported here: the labeller compiles its cues on import, a quarter second that publish, status
    # and every other command importing this module would pay for nothing)
    from .scoring import score_columns

    scores = score_columns(text)
    db.execute(
        "INSERT INTO replies (publication_id, channel, remote_id, parent_remote_id, depth, author, text, url, "
        "created_at, edited_at, first_seen_at, last_seen_at, like_count, neg, neu, pos, compound, label, "
        "label_confidence, language, scorer_version, deleted_at, placeholder) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [pub["id"], pub["channel"], record.remote_id, record.parent_remote_id, record.depth or 1,
         record.author, text, record.url, record.created_at, record.edited_at, stamp, stamp,
         record.like_count, scores["neg"], scores["neu"], scores["pos"], scores["compound"], scores["label"],
         scores["label_confidence"], scores["language"], scores["scorer_version"], stamp if placeholder else None,
         int(placeholder)],
    )


def update_reply(db, cfg, existing, record, text, stamp):
    reply_id, old_text = existing
    if reply_id is None:
        return  # the same reply twice on one page
    if record.deleted:
        db.execute("UPDATE replies SET deleted_at = coalesce(deleted_at, ?), last_seen_at = ? WHERE id = ?",
                   [stamp, stamp, reply_id])
        return
    if text != old_text:  # edited on the platform: keep the new words, rescore them
        from .scoring import score_columns

        scores = score_columns(text)
        db.execute(
            "UPDATE replies SET text = ?, edited_at = coalesce(?, ?), neg = ?, neu = ?, pos = ?, compound = ?, "
            "label = ?, label_confidence = ?, language = ?, scorer_version = ? WHERE id = ?",
            [text, record.edited_at, stamp, scores["neg"], scores["neu"], scores["pos"], scores["compound"],
             scores["label"], scores["label_confidence"], scores["language"], scores["scorer_version"], reply_id],
        )
    db.execute("UPDATE replies SET last_seen_at = ?, like_count = coalesce(?, like_count), deleted_at = NULL "
               "WHERE id = ?", [stamp, record.like_count, reply_id])
    # a placeholder whose reply turned up after all (X: a parent outside the search window came back)
    db.execute("UPDATE replies SET placeholder = 0, parent_remote_id = ?, author = ?, created_at = ?, url = ? "
               "WHERE id = ? AND placeholder = 1", [record.parent_remote_id, record.author, record.created_at,
                                                     record.url, reply_id])


def complete_walk(db, cfg, channel, pub, page, walk_started, now):
    """After a full walk: mark vanished replies deleted, store counts and coverage, plan the next run."""
    reported = page.reported_count
    if reported is None:
        reported = channel.reported_reply_count(pub["remote_id"])
    stamp = iso(now)
    published = parse_iso(pub["published_at"])
    offsets = schedule_offsets(cfg)
    # The next plan point still ahead: extra walks (`harvest --all`, restarts) never use up the plan,
    # and a late run covers every point it missed with one walk.
    ahead = [published + offset for offset in offsets if published + offset > now]
    stage = len(offsets) - len(ahead) + 1
    with transaction(db):
        window = channel.search_window  # replies older than the platform lets us read are not "vanished"
        window_start = iso(now - window) if window else "0000"
        db.execute(
            "UPDATE replies SET deleted_at = ? WHERE publication_id = ? AND deleted_at IS NULL "
            "AND last_seen_at < ? AND coalesce(created_at, first_seen_at) >= ?",
            [stamp, pub["id"], walk_started, window_start],
        )
        add_missing_parents(db, pub, stamp)
        set_depths(db, pub)
        harvested = db.execute("SELECT count(*) FROM replies WHERE publication_id = ? AND deleted_at IS NULL",
                               [pub["id"]]).fetchone()[0]
        note = coverage_note(channel, harvested, reported, page.notes, published, now)
        next_at = ahead[0] if ahead else None
        if window and next_at and next_at > published + window - timedelta(hours=1):
            next_at = published + window - timedelta(hours=1)
            if next_at <= now:
                next_at = None  # the platform's search window is closing: this walk was the last
        db.execute(
            "UPDATE publications SET reported_reply_count = ?, harvested_reply_count = ?, coverage_note = ?, "
            "harvest_stage = ?, harvest_cursor = NULL, harvest_walk_started_at = NULL, next_harvest_at = ?, "
            "harvest_done_at = ?, updated_at = ? WHERE id = ?",
            [reported, harvested, note, stage, iso(next_at) if next_at else None,
             None if next_at else stamp, stamp, pub["id"]],
        )


def add_missing_parents(db, pub, stamp):
    """A reply whose parent the platform no longer lists (X drops a deleted post entirely) gets a
    placeholder parent, answering the post, so the thread stays whole and depths stay counted."""
    db.execute(
        "INSERT OR IGNORE INTO replies (publication_id, channel, remote_id, parent_remote_id, depth, text, "
        "first_seen_at, last_seen_at, deleted_at, placeholder) "
        "SELECT DISTINCT :pub, :channel, r.parent_remote_id, :root, 1, '', :stamp, :stamp, :stamp, 1 "
        "FROM replies r WHERE r.publication_id = :pub AND r.parent_remote_id IS NOT NULL "
        "AND r.parent_remote_id != :root AND NOT EXISTS (SELECT 1 FROM replies p WHERE p.channel = :channel "
        "AND p.remote_id = r.parent_remote_id)",
        {"pub": pub["id"], "channel": pub["channel"], "root": pub["remote_id"], "stamp": stamp},
    )


def set_depths(db, pub):
    """Depth from the parent chain: 1 answers the post, 2 answers an answer, and so on."""
    db.execute(
        """
        WITH RECURSIVE tree(remote_id, depth) AS (
            SELECT remote_id, 1 FROM replies WHERE publication_id = :pub AND parent_remote_id = :root
            UNION ALL
            SELECT r.remote_id, tree.depth + 1 FROM replies r JOIN tree ON r.parent_remote_id = tree.remote_id
            WHERE r.publication_id = :pub
        )
        UPDATE replies SET depth = (SELECT depth FROM tree WHERE tree.remote_id = replies.remote_id)
        WHERE publication_id = :pub AND remote_id IN (SELECT remote_id FROM tree)
        """,
        {"pub": pub["id"], "root": pub["remote_id"]},
    )


def coverage_note(channel, harvested, reported, notes, published, now):
    reasons = list(notes)
    if reported is not None:
        reasons += channel.coverage_reasons(harvested, reported, published, now)
    return "; ".join(reasons) or None


def requeue(db, pub_id, when, now):
    with transaction(db):
        db.execute("UPDATE publications SET next_harvest_at = ?, updated_at = ? WHERE id = ?",
                   [when, iso(now), pub_id])


def finish(db, pub_id, now, note):
    with transaction(db):
        db.execute("UPDATE publications SET harvest_done_at = ?, next_harvest_at = NULL, coverage_note = ?, "
                   "updated_at = ? WHERE id = ?", [iso(now), note, iso(now), pub_id])


def close_abandoned_runs(db, now):
    """Runs still 'running' long after any run could last belong to a killed process."""
    with transaction(db):
        db.execute("UPDATE harvest_runs SET status = 'interrupted', error = 'the process stopped mid-run: "
                   "its pages were saved and the next run resumed from the cursor' "
                   "WHERE status = 'running' AND finished_at IS NULL AND started_at < ?",
                   [iso(now - ABANDONED_RUN)])


def start_run(db, pub, now):
    with transaction(db):
        return db.execute("INSERT INTO harvest_runs (publication_id, started_at) VALUES (?, ?)",
                          [pub["id"], iso(now)]).lastrowid


def finish_run(db, run_id, now, requests, fetched, new, status, error):
    with transaction(db):
        db.execute("UPDATE harvest_runs SET finished_at = ?, requests = ?, fetched = ?, new = ?, status = ?, "
                   "error = ? WHERE id = ?", [iso(now), requests, fetched, new, status, error, run_id])


def save_rate_limits(db, channel, now):
    with transaction(db):
        for route, limit in channel.rate_limits.items():
            db.execute(
                'INSERT INTO rate_limits (channel, account, route, "limit", remaining, reset_at, updated_at) '
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(channel, account, route) DO UPDATE SET "
                '"limit" = excluded."limit", remaining = excluded.remaining, reset_at = excluded.reset_at, '
                "updated_at = excluded.updated_at",
                [channel.name, channel.account, route, limit.limit, limit.remaining, iso_epoch(limit.reset_at),
                 iso(now)],
            )


def load_rate_limits(db, channel):
    """Seed the channel's limits from earlier runs (other processes), so pacing starts informed."""
    from .channels.base import RateLimit  # (lazy: the channels package imports tweepy and praw)

    for route, limit, remaining, reset_at in db.execute(
            'SELECT route, "limit", remaining, reset_at FROM rate_limits WHERE channel = ? AND account = ? '
            "AND route != '*' AND reset_at IS NOT NULL", [channel.name, channel.account]).fetchall():
        reset = parse_iso(reset_at).timestamp()
        if route not in channel.rate_limits and reset > time.time():
            channel.rate_limits[route] = RateLimit(route, limit, remaining, reset)


def requeue_channel(db, name, when, now):
    """The route is spent until `when`: every due publication on the channel waits for it."""
    if not when:
        return
    with transaction(db):
        db.execute("UPDATE publications SET next_harvest_at = ?, updated_at = ? WHERE channel = ? "
                   "AND state = 'published' AND harvest_done_at IS NULL AND next_harvest_at < ?",
                   [when, iso(now), name, when])


def block_channel(db, name, account, until, note, now):
    with transaction(db):
        db.execute(
            "INSERT INTO rate_limits (channel, account, route, blocked_until, note, updated_at) "
            "VALUES (?, ?, '*', ?, ?, ?) ON CONFLICT(channel, account, route) DO UPDATE SET "
            "blocked_until = excluded.blocked_until, note = excluded.note, updated_at = excluded.updated_at",
            [name, account, iso(until), note, iso(now)],
        )


def channel_blocked_until(db, name, account, now):
    row = db.execute("SELECT blocked_until FROM rate_limits WHERE channel = ? AND account = ? AND route = '*' "
                     "AND blocked_until > ?", [name, account, iso(now)]).fetchone()
    return row[0] if row else None


def blocked_note(db, name, account):
    row = db.execute("SELECT note FROM rate_limits WHERE channel = ? AND account = ? AND route = '*'",
                     [name, account]).fetchone()
    return row[0] if row else ""


def question_cost(db, cfg, question_id):
    """Dollars spent on the question's reads and posts, each channel priced by its own cost model."""
    classes = channel_classes()
    return sum(classes[name].cost(cfg, reads, posts) for name, reads, posts in db.execute(
        "SELECT channel, coalesce(sum(reads), 0), coalesce(sum(posts), 0) FROM publications "
        "WHERE question_id = ? GROUP BY channel", [question_id]) if name in classes)


def over_budget(db, cfg, question_id):
    budget = cfg["cost"]["budget_per_question_usd"]
    return budget > 0 and question_cost(db, cfg, question_id) >= budget


def make_all_due(db, now):
    """`harvest --all`: every unfinished publication is due now (re-walks are safe: upserts)."""
    with transaction(db):
        db.execute("UPDATE publications SET next_harvest_at = ? WHERE state = 'published' "
                   "AND harvest_done_at IS NULL", [iso(now)])
