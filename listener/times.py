"""UTC ISO-8601 text times, the only form stored: 2026-11-24T09:00:00Z."""

from datetime import datetime, timedelta, timezone
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DURATION = re.compile(r"^(\d+)\s*(s|m|h|d|w)$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def utcnow():
    return datetime.now(timezone.utc).replace(microsecond=0)


def iso(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text):
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def parse_duration(text):
    """'15m', '6h', '3d' -> timedelta; raises ValueError otherwise."""
    match = DURATION.match(str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration like 15m, 6h or 3d")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def iso_epoch(epoch):
    """Epoch seconds -> stored text form (None stays None)."""
    return iso(datetime.fromtimestamp(epoch, timezone.utc)) if epoch else None


def zone_or_none(name):
    """ZoneInfo(name), or None when `name` is not an IANA zone (a tzdata folder like "Europe" too)."""
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" is a folder in tzdata
        return None
