"""`listener serve`: Datasette on the database with the dashboards/ configuration."""

import ipaddress
import os
import subprocess
import sys
from pathlib import Path

from .errors import ConfigError
from .users import load_users

REPO_DASHBOARDS = Path(__file__).resolve().parent.parent / "dashboards"


def dashboards_dir(cfg):
    configured = Path(cfg["serve"]["dashboards_dir"])
    if configured.is_dir():
        return configured
    if REPO_DASHBOARDS.is_dir():
        return REPO_DASHBOARDS
    raise ConfigError(f"dashboards folder {configured} not found: set [serve] dashboards_dir")


def is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def datasette_args(cfg, host, port):
    folder = dashboards_dir(cfg)
    args = [sys.executable, "-m", "datasette", "serve", str(cfg["database"]["path"]),
            "--metadata", str(folder / "metadata.yaml"), "--host", host, "--port", str(port),
            *datasette_settings()]
    if (folder / "templates").is_dir():
        args += ["--template-dir", str(folder / "templates")]
    if (folder / "plugins").is_dir():
        args += ["--plugins-dir", str(folder / "plugins")]
    return args


# Settings for every Datasette we run (the tests and benchmarks/pages.py use the same ones).
SETTINGS = {
    "sql_time_limit_ms": 3000,
    "allow_download": False,       # no copy of the whole file from the web
    "suggest_facets": False,       # suggestions cost a scan per column at a million replies
    "facet_time_limit_ms": 1000,
    "default_page_size": 50,
}


def datasette_settings():
    args = []
    for name, value in SETTINGS.items():
        args += ["--setting", name, {True: "on", False: "off"}.get(value, str(value))]
    return args


def make_datasette(db_path, folder=REPO_DASHBOARDS):
    """The same Datasette `listener serve` runs, in-process (tests, benchmarks): read-only on the file."""
    import yaml
    from datasette.app import Datasette

    metadata = yaml.safe_load((Path(folder) / "metadata.yaml").read_text(encoding="utf-8"))
    plugins, templates = Path(folder) / "plugins", Path(folder) / "templates"
    return Datasette([str(db_path)], metadata=metadata, settings=SETTINGS,
                     plugins_dir=str(plugins) if plugins.is_dir() else None,
                     template_dir=str(templates) if templates.is_dir() else None)


def team_time_zone(cfg):
    """The zone the inbox shows times in: [serve] time_zone, else the digest's."""
    return cfg["serve"]["time_zone"] or cfg["digest"]["time_zone"]


def serve(cfg, host=None, port=None):
    host = host or cfg["serve"]["host"]
    port = port or cfg["serve"]["port"]
    users = load_users()  # a malformed entry stops here, with its fix
    if not is_loopback(host) and not users:
        raise ConfigError(
            f"refusing to serve on {host} without logins: set LISTENER_USERS (or the older LISTENER_PASSWORD_HASH; "
            "see README) or use --host 127.0.0.1"
        )
    print(f"Datasette on http://{host}:{port}/ ; overview: http://{host}:{port}/-/dashboards/overview ; "
          f"inbox: http://{host}:{port}/-/inbox (Ctrl-C to stop)", flush=True)
    try:
        env = os.environ.copy()
        env["LISTENER_SERVE_TIME_ZONE"] = team_time_zone(cfg)
        password_hash = cfg.secret("serve", "password_hash")
        if password_hash:  # dashboards/plugins/auth.py: user "listener"
            env["LISTENER_PASSWORD_HASH"] = password_hash
        env["LISTENER_TIME_ZONE"] = cfg["digest"]["time_zone"]  # the pages show times in the team's zone
        subprocess.run(datasette_args(cfg, host, port), check=False, env=env)
    except KeyboardInterrupt:
        pass
