"""`listener serve`: Datasette on the database with the dashboards/ configuration."""

import ipaddress
import os
import subprocess
import sys
from pathlib import Path

from .errors import ConfigError

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
            "--setting", "sql_time_limit_ms", "3000", "--setting", "allow_download", "off"]
    if (folder / "templates").is_dir():
        args += ["--template-dir", str(folder / "templates")]
    if (folder / "plugins").is_dir():
        args += ["--plugins-dir", str(folder / "plugins")]
    return args


def serve(cfg, host=None, port=None):
    host = host or cfg["serve"]["host"]
    port = port or cfg["serve"]["port"]
    if not is_loopback(host) and not cfg.secret("serve", "password_hash"):
        raise ConfigError(
            f"refusing to serve on {host} without authentication: set LISTENER_PASSWORD_HASH "
            "(see README) or use --host 127.0.0.1"
        )
    print(f"Datasette on http://{host}:{port}/  (Ctrl-C to stop)", flush=True)
    try:
        subprocess.run(datasette_args(cfg, host, port), check=False, env=os.environ.copy())
    except KeyboardInterrupt:
        pass
