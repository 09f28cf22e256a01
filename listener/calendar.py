"""The content calendar: upcoming occurrences of approved questions, per channel, local and UTC.

Reads the questions table (run `listener sync` first); nothing here writes.
"""

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from .display import without_date
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
    return question_rows(db, "status = 'approved'")


def question_rows(db, where="1"):
    cursor = db.execute(f"SELECT * FROM questions WHERE deleted_at IS NULL AND {where} ORDER BY id")
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


WHY_ABSENT = {
    "draft": "a draft: `listener approve {id} --by NAME` (or approve it in its file)",
    "paused": "paused: `listener approve {id} --by NAME` resumes it (or status = \"approved\" in its file)",
}


def absent(db, start, days):
    """Lines for questions left out of the calendar (draft, paused) that would post in the window."""
    end = start + timedelta(days=days)
    lines = []
    for question in question_rows(db, "status IN ('draft', 'paused')"):
        try:
            times = occurrences(question, start, end)
        except ListenerError:
            times = []
        if times:
            lines.append(f"not shown: {question['id']} ({len(times)} occurrence(s)) is "
                         + WHY_ABSENT[question["status"]].format(id=question["id"]))
    return lines


def next_occurrence(question, now):
    """The first occurrence at or after `now` (a rule: looking a day, a month, then 400 days ahead), or None."""
    for days in (1, 31, 400) if question["rrule"] else (36500,):
        try:
            found = occurrences(question, now, now + timedelta(days=days))
        except ListenerError:
            return None
        if found:
            return found[0]
    return None


def question_list(db, cfg, now):
    """`listener questions`: every question, drafts too, with its next occurrence per channel and replies."""
    replies = dict(db.execute(
        "SELECT p.question_id, count(*) FROM replies r JOIN publications p ON p.id = r.publication_id "
        "WHERE r.deleted_at IS NULL GROUP BY p.question_id").fetchall())
    published = dict(db.execute("SELECT question_id, count(*) FROM publications WHERE state = 'published' "
                                "GROUP BY question_id").fetchall())
    out = []
    for question in question_rows(db):
        when = next_occurrence(question, now) if question["status"] != "archived" else None
        zone = ZoneInfo(question["time_zone"])
        out.append({
            "id": question["id"], "status": question["status"], "approved_by": question["approved_by"],
            "next": {channel: (iso(when) if when else None) for channel in json.loads(question["channels"])
                     if cfg[channel]["enabled"]},
            "next_local": when.astimezone(zone).isoformat(timespec="minutes") if when else None,
            "time_zone": question["time_zone"], "published": published.get(question["id"], 0),
            "replies": replies.get(question["id"], 0), "text": without_date(question["text"]),
        })
    return out


def format_questions(rows):
    if not rows:
        return "no questions: write posts/*.toml (see posts/README.md), then `listener sync`"
    wide = max(len("channels"), *(len(",".join(row["next"])) for row in rows))
    lines = [f"{'question':<28} {'status':<9} {'next (UTC)':<21} {'channels':<{wide}} {'posts':>5} {'replies':>7}"]
    for row in rows:
        when = next(iter(row["next"].values()), None) or "-"
        lines.append(f"{row['id'][:28]:<28} {row['status']:<9} {when:<21} {','.join(row['next']) or '-':<{wide}} "
                     f"{row['published']:>5} {row['replies']:>7}")
    waiting = [row["id"] for row in rows if row["status"] in ("draft", "paused")]
    if waiting:
        lines.append(f"not published until approved: {', '.join(waiting)} (`listener approve ID --by NAME`)")
    return "\n".join(lines)


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
        try:
            times = occurrences(question, start, end)
        except ListenerError:  # a rule that expands too far (saved before it was refused) is skipped
            continue
        for when in times:
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


def format_calendar(entries, start, days, absent_lines=()):
    if not entries:
        lines = [f"nothing scheduled from {iso(start)} for {days} day(s): try a longer --days, "
                 "approve a question (`listener approve ID --by NAME`) or run `listener sync`"]
    else:
        lines = [f"{'UTC':<20}  {'local':<25} {'zone':<20} {'channel':<8} {'state':<10} question"]
    for e in entries:
        lines.append(f"{e['utc']:<20}  {e['local']:<25} {e['time_zone']:<20} {e['channel']:<8} "
                     f"{e['state']:<10} {e['question']}")
    return "\n".join(lines + list(absent_lines))
