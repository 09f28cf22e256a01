"""posts/*.toml -> the questions table: validation, sync, approval.

A bad file gives one error naming the file, the key and the fix; the other files still load.
"""

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from .channels import channel_classes, display_name
from .db import transaction
from .display import DATE_PLACEHOLDER
from .errors import ListenerError, QuestionError
from .recurrence import local_times, occurrences, to_utc
from .status import credentials
from .times import iso, zone_or_none

STATUSES = ("draft", "approved", "paused", "archived")
KEYS = {"text", "goal", "tags", "channels", "status", "approved_by", "at", "rrule", "starts", "until",
        "count", "time_zone", "alerts"}  # and a [name] table of overrides per channel
LONGEST_DATE = "30 Sep 2026"
OTHER_FORMATS = {".yaml", ".yml", ".json"}  # question files people may write by mistake: sync says so
PLACEHOLDER = re.compile(r"\{\s*\w+\s*\}")  # {date}, and the typos people make of it: {Date}, {dat}


@dataclass
class SyncResult:
    loaded: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    new: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    waiting: list = field(default_factory=list)     # drafts: waiting for approval
    notes: list = field(default_factory=list)       # one line each: a status kept, the time used
    weekly_posts: dict = field(default_factory=dict)  # channel -> posts in the next 7 days


def parse_question(path, min_interval_minutes=60, cfg=None):
    """Read and validate one file; returns the questions row (without timestamps).

    A recurrence must not repeat more often than `min_interval_minutes`, nor twice on a local date
    on a platform that refuses the same text twice ({date} is the only part that varies).
    """
    path = Path(path)
    name = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise QuestionError(f"{name}: not UTF-8 text: save the file as UTF-8") from None
    except OSError as exc:  # a folder named *.toml, a file we may not read
        raise QuestionError(f"{name}: cannot be read ({exc.strerror}): make it a readable question file, "
                            "or move it out of the posts folder") from None
    except tomllib.TOMLDecodeError as exc:
        raise QuestionError(f"{name}: invalid TOML ({exc}): fix the syntax at that line") from None

    def fail(key, fix):
        raise QuestionError(f"{name}: {key}: {fix}")

    classes = channel_classes()
    unknown = sorted(set(data) - KEYS - set(classes))
    if unknown:
        fail(unknown[0], f"unknown key: use one of {', '.join(sorted(KEYS))}")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        fail("text", "required: the question to ask, as a string")
    channels = data.get("channels", [name for name, cls in classes.items() if cls.in_default_channels])
    if not isinstance(channels, list) or not channels:
        fail("channels", f"must be a non-empty list of {', '.join(classes)}")
    unknown = [c for c in channels if c not in classes]
    if unknown:
        fail("channels", f"{unknown[0]!r} is not an installed channel: use {', '.join(classes)}")
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
    for channel, cls in classes.items():
        variant = data.get(channel, {})
        keys = ", ".join(sorted(cls.variant_keys))
        if not isinstance(variant, dict):
            fail(channel, f"must be a table [{channel}] with {keys}")
        bad = sorted(set(variant) - cls.variant_keys)
        if bad:
            fail(f"{channel}.{bad[0]}", f"unknown key: use {keys}")
        for key, value in variant.items():
            if not isinstance(value, str) or not value.strip():
                fail(f"{channel}.{key}", "must be a non-empty string")
        if variant:
            variants[channel] = variant
    for key, value in [("text", text)] + [(f"{c}.{k}", v) for c, variant in variants.items() for k, v in variant.items()]:
        unknown_placeholder = next((p for p in PLACEHOLDER.findall(value) if p != DATE_PLACEHOLDER), None)
        if unknown_placeholder:
            fail(key, f"{unknown_placeholder} is not a placeholder: the only one is {DATE_PLACEHOLDER}, the post's date")
    schedule_at, rrule, starts, until, count = schedule_fields(data, fail)
    for channel in channels:
        check_for_channel(classes[channel], text, variants.get(channel, {}), rrule, fail, cfg)
    refusing = [classes[c] for c in channels if classes[c].refuses_duplicates]
    title = next((v["title"] for v in variants.values() if "title" in v), None)
    alerts = alert_prefs(data.get("alerts", {}), fail)
    if rrule:
        check_rule_time(rrule, "starts" in data, fail)
        check_rule_pace(path.stem, rrule, starts, until, zone_name, refusing, min_interval_minutes, fail)
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
        "alerts": json.dumps(alerts, sort_keys=True),
    }
    row["content_hash"] = content_hash(row)
    row["file_status"] = status
    row["file_approved_by"] = approved_by
    return row


def check_for_channel(cls, text, variant, rrule, fail, cfg=None):
    """The channel's own rules (length counted its way), with {date} at its longest; a platform that
    refuses duplicates needs {date} in a recurring question's text."""
    longest = {key: value.replace(DATE_PLACEHOLDER, LONGEST_DATE) for key, value in variant.items()}
    cls.check_question(text.replace(DATE_PLACEHOLDER, LONGEST_DATE), longest, fail, cfg)
    own_text = variant.get("text", text)
    if cls.refuses_duplicates and rrule and DATE_PLACEHOLDER not in own_text:
        fail(f"{cls.name}.text" if "text" in variant else "text",
             f"a recurring question on {cls.display_name} needs {{date}} in its text ({cls.display_name} refuses "
             f'the same text twice): e.g. [{cls.name}] text = "... ({{date}})"')


def alert_prefs(value, fail):
    """`alerts = false` or an [alerts] table with enabled and quiet_hours (local, in time_zone)."""
    from .alerts import parse_quiet_hours
    from .errors import ConfigError

    if isinstance(value, bool):
        return {"enabled": value}
    if not isinstance(value, dict):
        fail("alerts", 'must be false or a table [alerts] with enabled = false, quiet_hours = "22:00-07:00"')
    bad = sorted(set(value) - {"enabled", "quiet_hours"})
    if bad:
        fail(f"alerts.{bad[0]}", "unknown key: use enabled, quiet_hours")
    if "enabled" in value and not isinstance(value["enabled"], bool):
        fail("alerts.enabled", "must be true or false")
    try:
        parse_quiet_hours(value.get("quiet_hours", ""), "quiet_hours")
    except ConfigError:
        fail("alerts.quiet_hours", 'must look like "22:00-07:00" (local time in time_zone, may cross midnight)')
    return dict(value)


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


def rule_parts(rule):
    """{"FREQ": "WEEKLY", "BYHOUR": "9", ...} of an RRULE string (already parsed once by dateutil)."""
    parts = {}
    for item in rule.upper().split(";"):
        name, _, value = item.partition("=")
        parts[name.strip()] = value.strip()
    return parts


def needs_time_of_day(rule):
    """True for a daily or slower rule without BYHOUR: it posts at the time of `starts`."""
    parts = rule_parts(rule)
    return parts.get("FREQ") in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY") and "BYHOUR" not in parts


def check_rule_time(rule, has_starts, fail):
    """A rule without a time of day needs one chosen: BYHOUR, or the time of `starts`."""
    if needs_time_of_day(rule) and not has_starts:
        fail("rrule", "no time of day: add BYHOUR (e.g. ;BYHOUR=9;BYMINUTE=0), or a starts = \"2026-01-05T09:00\" "
             "whose time is used")


def check_rule_pace(question_id, rule, starts, until, zone_name, refusing, min_interval_minutes, fail):
    """Refuse rules faster than the minimum interval, and two posts on one local date on a channel
    among `refusing` (the channel classes that refuse the same text twice)."""
    parts = rule_parts(rule)
    if parts.get("FREQ") in ("SECONDLY", "MINUTELY"):
        fail("rrule", f"FREQ={parts['FREQ']} posts far too often: use HOURLY or slower "
             f"(at most one post every {min_interval_minutes} minutes, [publish] min_interval_minutes)")
    if "INTERVAL" in parts and (not parts["INTERVAL"].isdigit() or int(parts["INTERVAL"]) < 1):
        fail("rrule", f"INTERVAL={parts['INTERVAL']} must be a whole number of at least 1")
    zone = ZoneInfo(zone_name)
    first = datetime.fromisoformat(starts)
    question = {"id": question_id, "rrule": rule, "starts": starts, "until": until}
    sample = []
    try:  # the first two years (or 500 occurrences) show the pace of any rule
        for local in local_times(question, first, first + timedelta(days=731), limit=500, seconds=1.0):
            sample.append(local)
            if len(sample) == 500:
                break
    except QuestionError:
        fail("rrule", "expands to too many occurrences too slowly: use a simpler or less frequent rule")
    if not sample:
        fail("rrule", "no occurrence in the two years from starts: check BYMONTH, BYMONTHDAY and starts")
    utc_times = [to_utc(local, zone) for local in sample]
    for (a, local_a), (b, local_b) in zip(zip(utc_times, sample), zip(utc_times[1:], sample[1:])):
        minutes = (b - a).total_seconds() / 60
        if minutes < min_interval_minutes:
            fail("rrule", f"repeats {minutes:g} minutes apart ({local_a:%Y-%m-%d %H:%M} and {local_b:%H:%M}): "
                 f"at most one post every {min_interval_minutes} minutes ([publish] min_interval_minutes)")
        if refusing and local_a.date() == local_b.date():
            cls = refusing[0]
            fail("rrule", f"posts twice on {local_a:%Y-%m-%d} on {cls.display_name}, which refuses the same text "
                 f"on the same date (only {{date}} varies): repeat at most daily, or leave {cls.name} out of channels")


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


def sync(db, posts_dir, now, cfg=None):
    """Load every posts/*.toml into questions. Files that fail are reported and skipped.

    `cfg` gives [publish] min_interval_minutes (default 60) and the enabled channels counted in
    the projection of the next 7 days' posts.
    """
    posts_dir = Path(posts_dir)
    if not posts_dir.is_dir():
        raise ListenerError(f"posts folder {posts_dir} not found: create it, pass --posts or set [posts] dir")
    min_interval = cfg["publish"]["min_interval_minutes"] if cfg else 60
    result = SyncResult()
    seen = set()
    for path in sorted(posts_dir.glob("*.toml")):
        try:
            row = parse_question(path, min_interval, cfg)
        except QuestionError as exc:
            result.errors.append(str(exc))
            seen.add(path.stem)  # a broken file keeps its question as it was, it is not deleted
            continue
        seen.add(row["id"])
        with transaction(db):
            kind, status, note = upsert_question(db, row, iso(now))
        result.loaded.append(row["id"])
        {"new": result.new, "changed": result.changed}.get(kind, []).append(row["id"])
        if status == "draft":
            result.waiting.append(row["id"])
        if note:
            result.notes.append(f"{row['id']}: {note}")
        if row["rrule"] and needs_time_of_day(row["rrule"]):
            result.notes.append(f"{row['id']}: no BYHOUR in the rule: posts at {row['starts'][11:16]} "
                                f"{row['time_zone']} (the time of starts)")
        if status == "approved":
            count_week(result, row, now, cfg)
            result.notes += [f"{row['id']}: {note}" for note in unusable_channels(row, now, cfg)]
    for path in sorted(p for p in posts_dir.iterdir() if p.suffix.lower() in OTHER_FORMATS):
        result.notes.append(f"{path.name}: skipped: question files are TOML: write it as {path.stem}.toml "
                            "(see posts/README.md)")
    with transaction(db):
        for (qid,) in db.execute("SELECT id FROM questions WHERE deleted_at IS NULL").fetchall():
            if qid not in seen:
                db.execute("UPDATE questions SET deleted_at = ?, status = 'archived', updated_at = ? "
                           "WHERE id = ?", [iso(now), iso(now), qid])
                cancel_planned(db, qid, "question file removed")
                result.removed.append(qid)
    return result


def count_week(result, row, now, cfg):
    """Add an approved question's posts in the 7 days from `now` to result.weekly_posts."""
    try:
        times = occurrences(row, now, now + timedelta(days=7))
    except QuestionError as exc:
        result.notes.append(str(exc))
        return
    for channel in json.loads(row["channels"]):
        if cfg is None or cfg[channel]["enabled"]:
            result.weekly_posts[channel] = result.weekly_posts.get(channel, 0) + len(times)


def unusable_channels(row, now, cfg):
    """Why an approved question's channels cannot post its coming occurrences from here (disabled, or
    a secret not set)."""
    grace = timedelta(minutes=cfg["publish"]["missed_grace_minutes"]) if cfg else None
    try:
        if cfg is None or not occurrences(row, now - grace, now + timedelta(days=366)):
            return []
    except QuestionError:
        return []
    usable, notes = credentials(cfg), []
    for channel in json.loads(row["channels"]):
        fix = f"or leave {channel} out of its channels"
        if channel not in usable:
            notes.append(f"will not post on {display_name(channel)}: [{channel}] enabled = false (enable it, {fix})")
        elif not usable[channel]["set"]:
            notes.append(f"will not post on {display_name(channel)}: {', '.join(usable[channel]['missing'])} not set "
                         f"(export it, {fix})")
    return notes


def format_sync(result, cfg):
    """What `listener sync` prints: counts, what is new, changed and waiting, the week ahead."""
    lines = [f"synced {len(result.loaded)} question(s)"
             + (f", archived {len(result.removed)} whose file is gone ({', '.join(result.removed)})"
                if result.removed else "")]
    for label, ids in (("new", result.new), ("changed", result.changed)):
        if ids:
            lines.append(f"  {label}: {', '.join(ids)}")
    if result.waiting:
        lines.append(f"  waiting for approval: {', '.join(result.waiting)} "
                     "(`listener approve ID --by NAME`, or status = \"approved\" and approved_by in the file)")
    lines += [f"  {note}" for note in result.notes]
    posts = result.weekly_posts
    classes = channel_classes()
    costs = [f"{display_name(c)} posting cost ${classes[c].cost(cfg, 0, n):.3f}"
             for c, n in sorted(posts.items()) if c in classes and classes[c].billable]
    week = ", ".join(f"{channel} {n}" for channel, n in sorted(posts.items())) or "no"
    lines.append(f"next 7 days: {week} post(s) of approved questions"
                 + (f"; {', '.join(costs)} (harvest reads come on top: see `listener status`)" if costs else ""))
    return "\n".join(lines)


def upsert_question(db, row, now):
    """Insert or update one question; returns (new|changed|same, status, a note or None).

    The file is the source of truth for status: a status changed in the file wins. A pause made
    with `listener pause` holds while the file's status stays as it was.
    """
    file_status = row.pop("file_status")
    file_approved_by = row.pop("file_approved_by")
    old = db.execute("SELECT status, approved_by, approved_at, approved_hash, file_status, content_hash "
                     "FROM questions WHERE id = ?", [row["id"]]).fetchone()
    approved_by = approved_at = approved_hash = None
    note = None
    if old:
        _, approved_by, approved_at, approved_hash = old[:4]
    file_changed = not old or (old[4] is not None and old[4] != file_status)  # None: synced before m012
    if file_status in ("paused", "archived"):
        status = file_status
    elif old and old[0] == "paused" and not file_changed:
        status = "paused"
        note = (f"paused with `listener pause` (the file says {file_status}): `listener approve "
                f"{row['id']} --by NAME` resumes it, or change status in the file")
    elif file_status == "approved":
        status = "approved"
        if approved_hash != row["content_hash"] or approved_by != file_approved_by:
            approved_by, approved_at, approved_hash = file_approved_by, now, row["content_hash"]
    elif approved_hash and approved_hash == row["content_hash"] and not (old and old[0] == "paused"):
        status = "approved"  # approved with `listener approve` and unchanged since
    else:
        status = "draft"
    row.update(status=status, approved_by=approved_by if status == "approved" else None,
               approved_at=approved_at if status == "approved" else None,
               approved_hash=approved_hash, file_status=file_status, updated_at=now, deleted_at=None)
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
    kind = "new" if not old else ("changed" if old[5] != row["content_hash"] else "same")
    return kind, status, note


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
        if not db.execute("SELECT 1 FROM questions WHERE id = ? AND deleted_at IS NULL", [question_id]).fetchone():
            raise ListenerError(f"no question {question_id!r}: run `listener sync`, then `listener questions`")
        db.execute("UPDATE questions SET status = ?, updated_at = ? WHERE id = ?", [status, iso(now), question_id])
        cancel_planned(db, question_id, f"question {status}")
