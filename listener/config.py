"""Settings from TOML and the environment. Precedence: flag > env > file > defaults.

Secrets are never read from the file: only from the environment variables named in SECRETS.
"""

import copy
import os
import tomllib
import urllib.parse
from pathlib import Path

from .errors import ConfigError
from .times import parse_duration, zone_or_none

DEFAULTS = {
    "database": {"path": "listener.db"},
    "posts": {"dir": "posts"},
    "x": {
        "enabled": True,
        "account": "brand",
        "base_url": "https://api.twitter.com",
        "timeout": 10.0,
    },
    "reddit": {
        "enabled": True,
        "account": "brand",
        "subreddit": "test",
        "base_url": "https://oauth.reddit.com",
        "auth_url": "https://www.reddit.com",
        "user_agent": "python:listener:0.1 (by /u/brand)",
        "timeout": 10.0,
    },
    "publish": {
        "reconcile_window_minutes": 30,
        "missed_grace_minutes": 60,
        "min_interval_minutes": 60,
    },
    "harvest": {
        "schedule": ["15m", "1h", "6h", "1d", "3d", "6d"],
        "page_size": 100,
        "max_pages_per_run": 50,
    },
    "cost": {
        "x_read_usd": 0.005,
        "x_post_usd": 0.015,
        "budget_per_question_usd": 0.0,
    },
    "serve": {
        "host": "127.0.0.1",
        "port": 8001,
        "base_url": "http://127.0.0.1:8001",
        "dashboards_dir": "dashboards",
        "time_zone": "",
        "allowed_hosts": [],
    },
    "digest": {
        "recipients": [],
        "sender": "listener@localhost",
        "weekday": "monday",
        "hour": 8,
        "time_zone": "UTC",
        "quiet_questions": "section",
        "smtp_host": "127.0.0.1",
        "smtp_port": 25,
        "smtp_security": "none",
        "smtp_timeout": 30.0,
    },
    "worker": {"tick_seconds": 60},
    "alerts": {
        "enabled": True,
        "window": "1h",
        "baseline_days": 28,
        "min_negative": 9,
        "share_z": 2.5,
        "volume_min": 20,
        "volume_factor": 3.0,
        "volume_z": 4.0,
        "theme_min": 5,
        "theme_factor": 3.0,
        "cooldown": "2h",
        "quiet_hours": "",
        "time_zone": "UTC",
        "recipients": [],
        "webhook_url": "",
        "webhook_timeout": 10.0,
    },
}

# Each secret and the environment variable it comes from. Never stored anywhere else.
SECRETS = {
    "x": {
        "api_key": "X_API_KEY",
        "api_secret": "X_API_SECRET",
        "access_token": "X_ACCESS_TOKEN",
        "access_token_secret": "X_ACCESS_TOKEN_SECRET",
    },
    "reddit": {
        "client_id": "REDDIT_CLIENT_ID",
        "client_secret": "REDDIT_CLIENT_SECRET",
        "username": "REDDIT_USERNAME",
        "password": "REDDIT_PASSWORD",
    },
    "digest": {"smtp_username": "SMTP_USERNAME", "smtp_password": "SMTP_PASSWORD"},
    "serve": {"password_hash": "LISTENER_PASSWORD_HASH"},
    "alerts": {"webhook_secret": "LISTENER_ALERTS_WEBHOOK_SECRET"},
}

CONFIG_ENV = "LISTENER_CONFIG"


class Config(dict):
    """Sections of settings: cfg["x"]["base_url"]. `cfg.secret("x", "api_key")` reads the env."""

    secret_overrides = None  # the offline demo's stand-in credentials for the fake platform

    def secret(self, section, key):
        if self.secret_overrides and (section, key) in self.secret_overrides:
            return self.secret_overrides[(section, key)]
        return os.environ.get(SECRETS[section][key]) or None

    def require_secret(self, section, key):
        value = self.secret(section, key)
        if not value:
            raise ConfigError(
                f"{SECRETS[section][key]} is not set: export it with your {section} credential"
            )
        return value


def load_config(path=None, overrides=None, environ=None) -> Config:
    """Defaults, then the TOML file, then LISTENER_<SECTION>_<KEY> env vars, then `overrides`."""
    environ = os.environ if environ is None else environ
    cfg = copy.deepcopy(DEFAULTS)
    sources = {}
    path = path or environ.get(CONFIG_ENV)
    if path is None and Path("listener.toml").exists():
        path = "listener.toml"
    if path is not None:
        data = _read_toml(Path(path))
        _merge(cfg, data, str(path))
        sources.update({(s, k): str(path) for s, values in data.items() for k in values})
    for section, values in cfg.items():
        for key, default in values.items():
            name = f"LISTENER_{section}_{key}".upper()
            if name in environ:
                values[key] = _coerce(environ[name], default, name)
                sources[(section, key)] = name
    for dotted, value in (overrides or {}).items():
        if value is not None:
            section, key = dotted.split(".", 1)
            cfg[section][key] = value
            sources[(section, key)] = "the command line"
    validate(cfg, sources)
    return Config(cfg)


# -- ranges and formats: each bad value is one line naming the setting, where it came from, the fix


def _url(value):
    parts = urllib.parse.urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host, e.g. https://api.twitter.com"
    try:
        parts.port
    except ValueError:
        return "has a bad port number"


def _at_least(low, unit):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
            return f"must be a number of {unit} of at least {low}"
    return check


def _positive(unit):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            return f"must be a number of {unit} greater than 0"
    return check


def _port(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        return "must be a port number 1-65535"


def _hour(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 23:
        return "must be a whole hour 0-23"


def _one_of(*choices):
    def check(value):
        if str(value).lower() not in choices:
            return f"must be one of {', '.join(choices)}"
    return check


def _durations(value):
    if not isinstance(value, list) or not value:
        return 'must be a list of durations like ["15m", "1h", "1d"]'
    for item in value:
        try:
            if parse_duration(item).total_seconds() <= 0:
                raise ValueError
        except ValueError:
            return f'{item!r} is not a duration like 15m, 6h or 3d (s, m, h, d, w)'


def _zone(value):
    if zone_or_none(value) is None:
        return 'is not an IANA time zone: use e.g. "Europe/Berlin"'


def _text(value):
    if not isinstance(value, str) or not value.strip():
        return "must not be empty"


def _threshold(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1 <= value <= 1:
        return "must be a number between -1 and 1"


def _host_names(value):
    if not isinstance(value, list) or not all(
            isinstance(v, str) and v and not set(v) & set("/ @") and v.count(":") != 1 for v in value):
        return 'must be a list of host names, e.g. ["listener.example.com"] (no scheme, port or path)'


WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CHECKS = {
    ("database", "path"): _text,
    ("posts", "dir"): _text,
    ("x", "account"): _text, ("x", "base_url"): _url, ("x", "timeout"): _positive("seconds"),
    ("reddit", "account"): _text, ("reddit", "subreddit"): _text, ("reddit", "base_url"): _url,
    ("reddit", "auth_url"): _url, ("reddit", "user_agent"): _text, ("reddit", "timeout"): _positive("seconds"),
    ("publish", "reconcile_window_minutes"): _at_least(1, "minutes"),
    ("publish", "missed_grace_minutes"): _at_least(0, "minutes"),
    ("publish", "min_interval_minutes"): _at_least(1, "minutes"),
    ("harvest", "schedule"): _durations, ("harvest", "page_size"): _at_least(1, "replies"),
    ("harvest", "max_pages_per_run"): _at_least(1, "pages"),
    ("cost", "x_read_usd"): _at_least(0, "dollars"), ("cost", "x_post_usd"): _at_least(0, "dollars"),
    ("cost", "budget_per_question_usd"): _at_least(0, "dollars"),
    ("sentiment", "positive_threshold"): _threshold, ("sentiment", "negative_threshold"): _threshold,
    ("serve", "host"): _text, ("serve", "port"): _port, ("serve", "base_url"): _url,
    ("serve", "allowed_hosts"): _host_names,
    ("digest", "weekday"): _one_of(*WEEKDAY_NAMES), ("digest", "hour"): _hour, ("digest", "time_zone"): _zone,
    ("digest", "quiet_questions"): _one_of("section", "skip"), ("digest", "smtp_port"): _port,
    ("digest", "smtp_security"): _one_of("none", "starttls", "ssl"),
    ("digest", "smtp_timeout"): _positive("seconds"),
    ("worker", "tick_seconds"): _at_least(1, "seconds"),
}


def validate(cfg, sources=None):
    """Raise ConfigError, one line, for the first value out of range or in a bad format."""
    for (section, key), check in CHECKS.items():
        if section not in cfg or key not in cfg[section]:
            continue
        problem = check(cfg[section][key])
        if problem:
            where = (sources or {}).get((section, key), "the defaults")
            raise ConfigError(f"[{section}] {key} = {cfg[section][key]!r} (from {where}) {problem}: fix the value")


def _read_toml(path):
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found: run `listener init` or pass --config") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc}): fix the file") from None


def _merge(cfg, data, source):
    for section, values in data.items():
        if section not in cfg:
            raise ConfigError(f"{source}: unknown section [{section}]: see config.example.toml")
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: [{section}] must be a table: see config.example.toml")
        for key, value in values.items():
            if key in SECRETS.get(section, {}):
                raise ConfigError(
                    f"{source}: [{section}] {key} is a secret: remove it and set "
                    f"{SECRETS[section][key]} in the environment"
                )
            if key not in cfg[section]:
                raise ConfigError(f"{source}: unknown key [{section}] {key}: see config.example.toml")
            default = cfg[section][key]
            if not _same_type(value, default):
                raise ConfigError(
                    f"{source}: [{section}] {key} must be {type(default).__name__}, "
                    f"got {value!r}: fix the value"
                )
            cfg[section][key] = float(value) if isinstance(default, float) else value


def _same_type(value, default):
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, type(default))


def _coerce(raw, default, name):
    try:
        if isinstance(default, bool):
            if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError
            return raw.lower() in ("1", "true", "yes")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, list):
            return [item.strip() for item in raw.split(",") if item.strip()]
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a valid {type(default).__name__}: fix the variable") from None
    return raw
