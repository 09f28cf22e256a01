"""posts/*.toml -> the questions table: validation, sync, approval.

A bad file gives one error naming the file, the key and the fix; the other files still load.
"""

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from dateutil.rrule import rrulestr

from .db import transaction
from .errors import ListenerError, QuestionError
from .times import iso, zone_or_none

CHANNEL_NAMES = ("x", "reddit")
STATUSES = ("draft", "approved", "paused", "archived")
KEYS = {"text", "goal", "tags", "channels", "status", "approved_by", "at", "rrule", "starts", "until",
        "count", "time_zone", "x", "reddit"}
VARIANT_KEYS = {"x": {"text"}, "reddit": {"text", "title", "subreddit"}}
X_MAX_LENGTH = 280
DATE_PLACEHOLDER = "{date}"  # replaced by the occurrence's local date when published
LONGEST_DATE = "30 Sep 2026"


@dataclass
class SyncResult:
    loaded: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    removed: list = field(default_factory=list)


def parse_question(path):
    """Read and validate one file; returns the questions row (without timestamps)."""
    path = Path(path)
    name = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise QuestionError(f"{name}: not UTF-8 text: save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise QuestionError(f"{name}: invalid TOML ({exc}): fix the syntax at that line") from None

    def fail(key, fix):
        raise QuestionError(f"{name}: {key}: {fix}")

    unknown = sorted(set(data) - KEYS)
    if unknown:
        fail(unknown[0], f"unknown key: use one of {', '.join(sorted(KEYS))}")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        fail("text", "required: the question to ask, as a string")
    channels = data.get("channels", ["x", "reddit"])
    if not isinstance(channels, list) or not channels or any(c not in CHANNEL_NAMES for c in channels):
        fail("channels", f"must be a non-empty list of {', '.join(CHANNEL_NAMES)}")
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        fail("tags", 'must be a list of strings, e.g. ["effort", "cx"]')
    status = data.get("status", "draft")
    if status not in STATUSES:
        fail("status", f"must be one of {', '.join(STATUSES)}")
    approved_by = data.get("approved_by")
    if approved_by is not None and (not isinstance(approved_by, str) or not approved_by.strip()):
        fail("approved_by", "must be the approver's name")
    if status == "approved" and not approved_by:
        fail("approved_by", 'an approved question needs approved_by = "name" (or run listener approve)')
    zone_name = data.get("time_zone", "UTC")
    if zone_or_none(zone_name) is None:
        fail("time_zone", f"{zone_name!r} is not an IANA time zone: use e.g. Europe/Berlin")
    variants = {}
    for channel in CHANNEL_NAMES:
        variant = data.get(channel, {})
        if not isinstance(variant, dict):
            fail(channel, f"must be a table [{channel}] with {', '.join(sorted(VARIANT_KEYS[channel]))}")
        bad = sorted(set(variant) - VARIANT_KEYS[channel])
        if bad:
            fail(f"{channel}.{bad[0]}", f"unknown key: use {', '.join(sorted(VARIANT_KEYS[channel]))}")
        for key, value in variant.items():
            if not isinstance(value, str) or not value.strip():
                fail(f"{channel}.{key}", "must be a non-empty string")
        if variant:
            variants[channel] = variant
    x_text = variants.get("x", {}).get("text", text)
    x_key = "x.text" if "text" in variants.get("x", {}) else "text"
    if "x" in channels and len(x_text.replace(DATE_PLACEHOLDER, LONGEST_DATE)) > X_MAX_LENGTH:
        fail(x_key, f"{len(x_text)} characters is over X's {X_MAX_LENGTH}: "
             "shorten it or add a shorter [x] text")
    title = variants.get("reddit", {}).get("title")
    if "reddit" in channels and len(title or text) > 300:
        fail("reddit.title", "Reddit titles are at most 300 characters: add a shorter [reddit] title")
    schedule_at, rrule, starts, until, count = schedule_fields(data, fail)
    if "x" in channels and rrule and DATE_PLACEHOLDER not in x_text:
        fail(x_key, "a recurring question on X needs {date} in its text (X refuses the same text twice): "
             'e.g. [x] text = "... ({date})"')
    row = {
        "id": path.stem,
        "text": text,
        "title": title,
        "goal": data.get("goal"),
        "tags": json.dumps(tags),
        "channels": json.dumps(channels),
        "variants": json.dumps(variants, sort_keys=True),
        "schedule_at": schedule_at,
        "rrule": rrule,
        "starts": starts,
        "until": until,
        "count": count,
        "time_zone": zone_name,
        "source_file": str(path),
    }
    row["content_hash"] = content_hash(row)
    row["file_status"] = status
    row["file_approved_by"] = approved_by
    return row


def schedule_fields(data, fail):
    at, rule = data.get("at"), data.get("rrule")
    if (at is None) == (rule is None):
        fail("at", 'give either at = "2026-12-01T09:00" (one-off, local time) or rrule = "FREQ=WEEKLY;..."')
    if at is not None:
        return local_time(at, "at", fail), None, None, None, None
    if not isinstance(rule, str):
        fail("rrule", 'must be a string like "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9"')
    starts = local_time(data.get("starts", "2026-01-01T00:00"), "starts", fail)
    until = local_time(data["until"], "until", fail) if "until" in data else None
    count = data.get("count")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
        fail("count", "must be a positive whole number of occurrences")
    if any(part in rule.upper() for part in ("UNTIL=", "COUNT=", "DTSTART")):
        fail("rrule", "put UNTIL, COUNT and DTSTART in the until, count and starts keys instead")
    full = rule
    if until:
        full += ";UNTIL=" + datetime.fromisoformat(until).strftime("%Y%m%dT%H%M%S")
    if count:
        full += f";COUNT={count}"
    try:
        rrulestr(full, dtstart=datetime.fromisoformat(starts), ignoretz=True)
    except (ValueError, TypeError) as exc:
        fail("rrule", f"not a valid iCalendar RRULE ({exc}): e.g. FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0")
    return None, full, starts, until, count


def local_time(value, key, fail):
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            fail(key, "give a local time without offset; the zone comes from time_zone")
        return value.replace(second=0, microsecond=0).isoformat(timespec="minutes")
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        fail(key, f"{value!r} is not a local date-time like 2026-12-01T09:00")
    if parsed.tzinfo is not None:
        fail(key, "give a local time without offset; the zone comes from time_zone")
    return parsed.isoformat(timespec="minutes")


def content_hash(row):
    keys = ("text", "title", "channels", "variants", "schedule_at", "rrule", "starts", "time_zone")
    blob = json.dumps({k: row.get(k) for k in keys}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def sync(db, posts_dir, now):
    """Load every posts/*.toml into questions. Files that fail are reported and skipped."""
    posts_dir = Path(posts_dir)
    if not posts_dir.is_dir():
        raise ListenerError(f"posts folder {posts_dir} not found: create it or set [posts] dir")
    result = SyncResult()
    seen = set()
    for path in sorted(posts_dir.glob("*.toml")):
        try:
            row = parse_question(path)
        except QuestionError as exc:
            result.errors.append(str(exc))
            seen.add(path.stem)  # a broken file keeps its question as it was, it is not deleted
            continue
        seen.add(row["id"])
        with transaction(db):
            upsert_question(db, row, iso(now))
        result.loaded.append(row["id"])
    with transaction(db):
        for (qid,) in db.execute("SELECT id FROM questions WHERE deleted_at IS NULL").fetchall():
            if qid not in seen:
                db.execute("UPDATE questions SET deleted_at = ?, status = 'archived', updated_at = ? "
                           "WHERE id = ?", [iso(now), iso(now), qid])
                cancel_planned(db, qid, "question file removed")
                result.removed.append(qid)
    return result


def upsert_question(db, row, now):
    file_status = row.pop("file_status")
    file_approved_by = row.pop("file_approved_by")
    old = db.execute("SELECT status, approved_by, approved_at, approved_hash FROM questions WHERE id = ?",
                     [row["id"]]).fetchone()
    approved_by = approved_at = approved_hash = None
    if old:
        _, approved_by, approved_at, approved_hash = old
    if file_status in ("paused", "archived"):
        status = file_status
    elif old and old[0] == "paused":
        status = "paused"  # paused with `listener pause`: only `listener approve` resumes it
    elif file_status == "approved":
        status = "approved"
        if approved_hash != row["content_hash"] or approved_by != file_approved_by:
            approved_by, approved_at, approved_hash = file_approved_by, now, row["content_hash"]
    elif approved_hash and approved_hash == row["content_hash"]:
        status = "approved"  # approved with `listener approve` and unchanged since
    else:
        status = "draft"
    row.update(status=status, approved_by=approved_by if status == "approved" else None,
               approved_at=approved_at if status == "approved" else None,
               approved_hash=approved_hash, updated_at=now, deleted_at=None)
    if old:
        columns = [k for k in row if k not in ("id", "updated_at")]
        sets = ", ".join(f"{k} = :{k}" for k in columns)
        changed = " OR ".join(f"{k} IS NOT :{k}" for k in columns)
        # updated_at moves only when something did: the worker syncs every tick
        db.execute(f"UPDATE questions SET {sets}, updated_at = :updated_at WHERE id = :id AND ({changed})", row)
    else:
        row["created_at"] = now
        cols = ", ".join(row)
        db.execute(f"INSERT INTO questions ({cols}) VALUES ({', '.join(':' + k for k in row)})", row)
    if status != "approved":
        cancel_planned(db, row["id"], f"question is {status}")


def cancel_planned(db, question_id, reason):
    db.execute("UPDATE publications SET state = 'cancelled', error = ? WHERE question_id = ? "
               "AND state = 'planned'", [reason, question_id])


def approve(db, question_id, by, now):
    with transaction(db):
        row = db.execute("SELECT content_hash, deleted_at FROM questions WHERE id = ?", [question_id]).fetchone()
        if not row or row[1]:
            raise ListenerError(f"no question {question_id!r}: run `listener sync`, then `listener questions`")
        db.execute("UPDATE questions SET status = 'approved', approved_by = ?, approved_at = ?, "
                   "approved_hash = ?, updated_at = ? WHERE id = ?", [by, iso(now), row[0], iso(now), question_id])


def set_status(db, question_id, status, now):
    with transaction(db):
        if not db.execute("SELECT 1 FROM questions WHERE id = ?", [question_id]).fetchone():
            raise ListenerError(f"no question {question_id!r}: run `listener sync`, then `listener questions`")
        db.execute("UPDATE questions SET status = ?, updated_at = ? WHERE id = ?", [status, iso(now), question_id])
        cancel_planned(db, question_id, f"question {status}")
