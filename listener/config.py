"""Settings from TOML and the environment. Precedence: flag > env > file > defaults.

Secrets are never read from the file: only from the environment variables named in SECRETS.
"""

import copy
import os
import tomllib
from pathlib import Path

from . import checks
from .channels import channel_classes
from .errors import ConfigError

DEFAULTS = {
    "database": {"path": "listener.db"},
    "posts": {"dir": "posts"},
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
    "digest": {"smtp_username": "SMTP_USERNAME", "smtp_password": "SMTP_PASSWORD"},
    "serve": {"password_hash": "LISTENER_PASSWORD_HASH"},
    "alerts": {"webhook_secret": "LISTENER_ALERTS_WEBHOOK_SECRET"},
}

# Settings that may hold a secret (a Slack webhook URL): a bad value is named, never shown.
SECRET_VALUES = {("alerts", "webhook_url")}

CONFIG_ENV = "LISTENER_CONFIG"


class Config(dict):
    """Sections of settings: cfg["serve"]["port"]. `cfg.secret("digest", "smtp_password")` reads the env."""

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


WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CHECKS = {
    ("database", "path"): checks.text,
    ("posts", "dir"): checks.text,
    ("publish", "reconcile_window_minutes"): checks.at_least(1, "minutes"),
    ("publish", "missed_grace_minutes"): checks.at_least(0, "minutes"),
    ("publish", "min_interval_minutes"): checks.at_least(1, "minutes"),
    ("harvest", "schedule"): checks.durations, ("harvest", "page_size"): checks.at_least(1, "replies"),
    ("harvest", "max_pages_per_run"): checks.at_least(1, "pages"),
    ("cost", "budget_per_question_usd"): checks.at_least(0, "dollars"),
    ("sentiment", "positive_threshold"): checks.threshold, ("sentiment", "negative_threshold"): checks.threshold,
    ("serve", "host"): checks.text, ("serve", "port"): checks.port,
    ("serve", "base_url"): checks.url("https://listener.example.com (the address of `listener serve`)"),
    ("serve", "allowed_hosts"): checks.host_names,
    ("digest", "weekday"): checks.one_of(*WEEKDAY_NAMES), ("digest", "hour"): checks.hour, ("digest", "time_zone"): checks.zone,
    ("digest", "quiet_questions"): checks.one_of("section", "skip"), ("digest", "smtp_port"): checks.port,
    ("digest", "smtp_security"): checks.one_of("none", "starttls", "ssl"),
    ("digest", "smtp_timeout"): checks.positive("seconds"),
    ("worker", "tick_seconds"): checks.at_least(1, "seconds"),
    ("serve", "time_zone"): checks.optional(checks.zone), ("digest", "recipients"): checks.addresses,
    ("alerts", "window"): checks.duration_within("5m", "1d"),
    ("alerts", "cooldown"): checks.duration_within("0m", "30d"),
    **{("alerts", key): checks.at_least(1, unit) for key, unit in (
        ("baseline_days", "days"), ("min_negative", "replies"), ("volume_min", "replies"), ("theme_min", "replies"))},
    **{("alerts", key): checks.positive(unit) for key, unit in (
        ("share_z", "spreads"), ("volume_factor", "times"), ("volume_z", "spreads"), ("theme_factor", "times"))},
    ("alerts", "quiet_hours"): checks.quiet_hours, ("alerts", "time_zone"): checks.zone,
    ("alerts", "recipients"): checks.addresses, ("alerts", "webhook_timeout"): checks.positive("seconds"),
    ("alerts", "webhook_url"): checks.optional(checks.url("https://hooks.slack.com/services/... (your receiver)")),
}


def add_channel_settings(classes):
    """Each channel's [name] table, secrets, checks and [cost] keys join the core ones."""
    for name, cls in classes.items():
        DEFAULTS[name] = {"enabled": cls.enabled_by_default, "account": "brand", **cls.settings}
        SECRETS[name] = dict(cls.secrets)
        CHECKS[(name, "account")] = checks.text
        CHECKS.update({(name, key): check for key, check in cls.setting_checks.items()})
        DEFAULTS["cost"].update(cls.cost_settings)
        CHECKS.update({("cost", key): checks.at_least(0, "dollars") for key in cls.cost_settings})


add_channel_settings(channel_classes())


def validate(cfg, sources=None):
    """Raise ConfigError, one line, for the first value out of range or in a bad format."""
    for (section, key), check in CHECKS.items():
        if section not in cfg or key not in cfg[section]:
            continue
        problem = check(cfg[section][key])
        if problem:
            where = (sources or {}).get((section, key), "the defaults")
            shown = "" if (section, key) in SECRET_VALUES else f" = {cfg[section][key]!r}"
            raise ConfigError(f"[{section}] {key}{shown} (from {where}) {problem}: fix the value")


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
