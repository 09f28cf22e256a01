"""Occurrences of a question in its own IANA time zone, DST-correct.

Rules run on local wall-clock times (so 09:00 stays 09:00 across DST), then each local time is
turned into UTC: a time that does not exist (spring forward) moves forward by the gap, an
ambiguous one (fall back) happens once, at its first instance.
"""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr


def to_utc(local_naive, zone):
    """A local wall-clock time in `zone` as an aware UTC datetime."""
    aware = local_naive.replace(tzinfo=zone, fold=0)
    roundtrip = aware.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None)
    if roundtrip != local_naive:  # in a spring-forward gap: move forward by the gap
        gap = aware.replace(fold=1).utcoffset() - aware.replace(fold=0).utcoffset()
        aware = (local_naive + abs(gap)).replace(tzinfo=zone)
        return aware.astimezone(timezone.utc)
    return aware.astimezone(timezone.utc)


def occurrences(question, start, end):
    """UTC datetimes of `question`'s occurrences with start <= t < end (both aware)."""
    zone = ZoneInfo(question["time_zone"])
    if question.get("schedule_at"):
        when = to_utc(datetime.fromisoformat(question["schedule_at"]), zone)
        return [when] if start <= when < end else []
    if not question.get("rrule"):
        return []
    rule = rule_for(question)
    # Walk local times a day either side, then filter on the exact UTC bounds.
    local_start = start.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    local_end = end.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
    found = []
    for local in rule.between(local_start, local_end, inc=True):
        when = to_utc(local, zone)
        if start <= when < end and when not in found:
            found.append(when)
    return found


def rule_for(question):
    dtstart = datetime.fromisoformat(question.get("starts") or "2026-01-01T00:00")
    rule = rrulestr(question["rrule"], dtstart=dtstart, ignoretz=True)
    return rule
