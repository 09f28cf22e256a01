"""Checks for setting values: each returns None when the value is fine, or what is wrong with it.

Shared by config.py and the channel modules (each channel declares the checks of its own table).
"""

import urllib.parse

from .times import parse_duration, zone_or_none


def url(example):
    """A check for an http(s) URL; `example` is what that setting really holds."""
    def check(value):
        parts = urllib.parse.urlsplit(str(value))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return f"must be an http:// or https:// URL with a host, e.g. {example}"
        try:
            parts.port
        except ValueError:
            return "has a bad port number"
    return check


def at_least(low, unit):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
            return f"must be a number of {unit} of at least {low}"
    return check


def positive(unit):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            return f"must be a number of {unit} greater than 0"
    return check


def port(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        return "must be a port number 1-65535"


def hour(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 23:
        return "must be a whole hour 0-23"


def one_of(*choices):
    def check(value):
        if str(value).lower() not in choices:
            return f"must be one of {', '.join(choices)}"
    return check


def durations(value):
    if not isinstance(value, list) or not value:
        return 'must be a list of durations like ["15m", "1h", "1d"]'
    for item in value:
        try:
            if parse_duration(item).total_seconds() <= 0:
                raise ValueError
        except ValueError:
            return f'{item!r} is not a duration like 15m, 6h or 3d (s, m, h, d, w)'


def zone(value):
    if zone_or_none(value) is None:
        return 'is not an IANA time zone: use e.g. "Europe/Berlin"'


def text(value):
    if not isinstance(value, str) or not value.strip():
        return "must not be empty"


def threshold(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1 <= value <= 1:
        return "must be a number between -1 and 1"


def host_names(value):
    if not isinstance(value, list) or not all(
            isinstance(v, str) and v and not set(v) & set("/ @") and v.count(":") != 1 for v in value):
        return 'must be a list of host names, e.g. ["listener.example.com"] (no scheme, port or path)'


def optional(check):
    """`check`, but "" (the setting's "not set") is fine too."""
    def check_or_empty(value):
        if value != "":
            return check(value)
    return check_or_empty


def duration_within(low, high):
    """A check for one duration like "1h" from `low` to `high` (durations too, e.g. "5m", "1d")."""
    def check(value):
        try:
            if parse_duration(low) <= parse_duration(value) <= parse_duration(high):
                return None
        except ValueError:
            pass
        return f'must be a duration from {low} to {high} like "15m", "1h" or "1d"'
    return check


def quiet_hours(value):
    from .alerts import parse_quiet_hours  # alerts needs the settings loaded: imported when checked
    from .errors import ConfigError

    try:
        parse_quiet_hours(value, "")
    except ConfigError:
        return 'must look like "22:00-07:00" (local time, may cross midnight), or "" for none'


def addresses(value):
    if not isinstance(value, list) or not all(isinstance(v, str) and "@" in v for v in value):
        return 'must be a list of e-mail addresses, e.g. ["cx-team@example.com"]'
