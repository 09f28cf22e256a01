"""The content calendar: upcoming occurrences of approved questions, per channel, local and UTC.

Reads the questions table (run `listener sync` first); nothing here writes.
"""

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from .errors import ListenerError
from .recurrence import occurrences
from .times import iso


def parse_from(value, now):
    """--from: a date (UTC midnight) or a date-time (UTC unless it has an offset); None is `now`."""
    if value is None:
        return now
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ListenerError(f"--from {value!r} is not a date like 2026-12-01 or 2026-12-01T09:00") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def approved_questions(db):
    cursor = db.execute("SELECT * FROM questions WHERE status = 'approved' AND deleted_at IS NULL ORDER BY id")
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def upcoming(db, cfg, start, days):
    """Occurrences with start <= t < start + days, one entry per (question, occurrence, channel).

    Each entry: question, channel, account, time_zone, local (ISO with offset), utc, and state:
    the publication's state when the worker has already planned it, else "scheduled".
    """
    if days < 1:
        raise ListenerError("--days must be at least 1")
    end = start + timedelta(days=days)
    entries = []
    for question in approved_questions(db):
        zone = ZoneInfo(question["time_zone"])
        for when in occurrences(question, start, end):
            for channel in json.loads(question["channels"]):
                if not cfg[channel]["enabled"]:
                    continue
                account = cfg[channel]["account"]
                row = db.execute(
                    "SELECT state FROM publications WHERE question_id = ? AND occurrence_at = ? "
                    "AND channel = ? AND account = ?", [question["id"], iso(when), channel, account]).fetchone()
                entries.append({
                    "question": question["id"],
                    "channel": channel,
                    "account": account,
                    "time_zone": question["time_zone"],
                    "local": when.astimezone(zone).isoformat(timespec="minutes"),
                    "utc": iso(when),
                    "state": row[0] if row else "scheduled",
                })
    entries.sort(key=lambda e: (e["utc"], e["question"], e["channel"]))
    return entries


def format_calendar(entries, start, days):
    if not entries:
        return (f"nothing scheduled from {iso(start)} for {days} day(s): "
                "approve a question (`listener approve ID --by NAME`) or run `listener sync`")
    lines = [f"{'UTC':<20}  {'local':<25} {'zone':<20} {'channel':<7} {'state':<10} question"]
    for e in entries:
        lines.append(f"{e['utc']:<20}  {e['local']:<25} {e['time_zone']:<20} {e['channel']:<7} "
                     f"{e['state']:<10} {e['question']}")
    return "\n".join(lines)
