"""Occurrences of a question in its own IANA time zone, DST-correct.

Rules run on local wall-clock times (so 09:00 stays 09:00 across DST), then each local time is
turned into UTC: a time that does not exist (spring forward) moves forward by the gap, an
ambiguous one (fall back) happens once, at its first instance.
"""

import time
import warnings
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from .errors import QuestionError

# One rule can never hang calendar, publish or run: an expansion stops at these bounds.
MAX_OCCURRENCES = 10000
EXPANSION_SECONDS = 2.0


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
    # Walk local times a day either side, then filter on the exact UTC bounds.
    local_start = start.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    local_end = end.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
    found = []
    for local in local_times(question, local_start, local_end):
        when = to_utc(local, zone)
        if start <= when < end and when not in found:
            found.append(when)
    return found


def rule_for(question):
    dtstart = datetime.fromisoformat(question.get("starts") or "2026-01-01T00:00")
    rule = rrulestr(question["rrule"], dtstart=dtstart, ignoretz=True)
    return rule


def local_times(question, local_start, local_end, *, limit=MAX_OCCURRENCES, seconds=EXPANSION_SECONDS):
    """The rule's local times from `local_start` to `local_end`, in order; QuestionError past `limit`
    of them or `seconds` of work.

    The rule is cut at `local_end`, so a rule that never matches (30 February) ends there instead
    of searching to the year 9999.
    """
    rule = rule_for(question)
    until = datetime.fromisoformat(question["until"]) if question.get("until") else None
    with warnings.catch_warnings():  # UNTIL beside COUNT: dateutil warns, and stops at either
        warnings.simplefilter("ignore", DeprecationWarning)
        rule = rule.replace(until=min(until, local_end) if until else local_end)
    deadline, n = time.monotonic() + seconds, 0
    for local in rule:
        n += local >= local_start
        if n > limit or time.monotonic() > deadline:
            raise QuestionError(f"{question['id']}: rrule: more than {limit} occurrences or {seconds:g}s to "
                                "expand: use a later starts or a less frequent rule")
        if local >= local_start:
            yield local
