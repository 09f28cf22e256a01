"""Showing stored values to people: strangers' text made safe, a question without its posts' date,
local times, JSON lists and recurrence rules in words. Pure functions for the CLI, the digest and
the Datasette pages (`without_date` is also an SQL function there: listener/sql_functions.py).

`display_text` drops NUL, turns the other C0/C1 control characters (ESC sequences that would
drive the reader's terminal, but not newline and tab) and lone surrogates (which no mail or
terminal can encode) into U+FFFD, and replaces bidi embeddings, overrides and isolates
(U+202A-202E, U+2066-2069) the same way, so a reply can never reorder the text around it.
Markup is not touched here: HTML views escape it (Jinja autoescape, Datasette). Storage stays
byte-exact.
"""

import json
import re
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


REPLACEMENT = "\ufffd"
UNSAFE = re.compile("[\x01-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
STORED_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?Z$")
DAYS = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday",
        "SA": "Saturday", "SU": "Sunday"}
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
FREQS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}
DATE_PLACEHOLDER = "{date}"  # in a question's text: replaced by the occurrence's local date when published
DATED_BRACKET = re.compile(r"\s*\([^()]*" + re.escape(DATE_PLACEHOLDER) + r"[^()]*\)")


def display_text(text):
    """`text` fit to show; None stays None."""
    if text is None:
        return None
    return UNSAFE.sub(REPLACEMENT, str(text).replace("\x00", ""))


def without_date(text):
    """A question's text as people read it: a bracket with its {date} is only for the posts; a {date}
    inside the sentence reads "[date]". None stays None."""
    if text is None:
        return None
    return DATED_BRACKET.sub("", str(text)).replace(DATE_PLACEHOLDER, "[date]")


@lru_cache(maxsize=16)
def zone_or_utc(name):
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(text, zone):
    """'2026-11-24T08:14:00Z' -> 'Tue 24 Nov 09:14' in `zone` (a ZoneInfo); None if not a stored time.

    Called for every cell of a page, so it avoids strftime (and is English, like the rest of the UI).
    """
    if not isinstance(text, str) or not STORED_TIME.match(text):
        return None
    when = datetime.fromisoformat(text[:-1] + "+00:00").astimezone(zone)
    return f"{WEEKDAYS[when.weekday()]} {when.day} {MONTHS[when.month - 1]} {when.hour:02d}:{when.minute:02d}"


def list_words(text):
    """'["a", "b"]' -> 'a, b'; None if it is not a JSON list of plain values."""
    if not isinstance(text, str) or not text.startswith("["):
        return None
    try:
        items = json.loads(text)
    except ValueError:
        return None
    if not isinstance(items, list) or any(isinstance(i, (list, dict)) for i in items):
        return None
    return ", ".join(str(i) for i in items) if items else "(none)"


def rrule_words(rule):
    """'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0' -> 'every Monday at 09:00'; None if not understood."""
    if not isinstance(rule, str) or "FREQ=" not in rule.upper():
        return None
    parts = dict(p.split("=", 1) for p in rule.upper().removeprefix("RRULE:").split(";") if "=" in p)
    unit = FREQS.get(parts.get("FREQ"))
    if unit is None:
        return None
    interval = int(parts["INTERVAL"]) if parts.get("INTERVAL", "").isdigit() else 1
    every = f"every {interval} {unit}s" if interval > 1 else f"every {unit}"
    days = [day_words(d) for d in parts["BYDAY"].split(",")] if parts.get("BYDAY") else []
    if None in days:
        return None
    if unit == "week" and days and interval == 1:
        text = "every " + join(days)
    elif unit == "month" and days:
        text = f"{every} on the {join(days)}"
    elif parts.get("BYMONTHDAY"):
        text = f"{every} on day {join(parts['BYMONTHDAY'].split(','))}"
    elif days:
        text = f"{every} on {join(days)}"
    else:
        text = every
    hours, minutes = parts.get("BYHOUR"), parts.get("BYMINUTE", "0")
    if hours and all(h.isdigit() for h in hours.split(",")) and minutes.isdigit():
        text += " at " + join([f"{int(h):02d}:{int(minutes):02d}" for h in hours.split(",")])
    if parts.get("COUNT", "").isdigit():
        text += f", {parts['COUNT']} times"
    if parts.get("UNTIL"):
        text += f", until {parts['UNTIL'][:4]}-{parts['UNTIL'][4:6]}-{parts['UNTIL'][6:8]}"
    return text


def day_words(code):
    """'MO' -> 'Monday', '1MO' -> 'first Monday', '-1FR' -> 'last Friday'."""
    match = re.fullmatch(r"([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)", code.strip())
    if not match:
        return None
    ordinal = int(match.group(1)) if match.group(1) else None
    if ordinal is not None and ordinal not in ORDINALS:
        return None
    return (ORDINALS[ordinal] + " " if ordinal else "") + DAYS[match.group(2)]


def join(items):
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
