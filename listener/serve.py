"""`listener serve`: Datasette on the database with the dashboards/ configuration."""

import errno
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from .errors import ConfigError, ListenerError
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


def allowed_hosts(cfg, host):
    """Host names the served pages answer to, besides loopback (see dashboards/plugins/listener_ui.py)."""
    names = set(cfg["serve"]["allowed_hosts"])
    names.add(urllib.parse.urlsplit(cfg["serve"]["base_url"]).hostname or "")
    if host not in ("0.0.0.0", "::"):
        names.add(host)
    return ",".join(sorted(name for name in names if name))


def check_port_free(host, port):
    """ConfigError when something already listens on host:port (bound the way uvicorn binds)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(f"port {port} is in use: pass --port or stop the other server") from None
            raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror}): check --host and --port") from None


def serve(cfg, host=None, port=None):
    """Run Datasette as a child until it stops or we are told to stop (SIGTERM and SIGINT reach it too).

    A busy port, or a Datasette that fails to start or dies, is one line and a non-zero exit.
    """
    host = host or cfg["serve"]["host"]
    port = port or cfg["serve"]["port"]
    users = load_users()  # a malformed entry stops here, with its fix
    if not is_loopback(host) and not users:
        raise ConfigError(
            f"refusing to serve on {host} without logins: set LISTENER_USERS (or the older LISTENER_PASSWORD_HASH; "
            "see README) or use --host 127.0.0.1"
        )
    check_port_free(host, port)
    env = os.environ.copy()
    password_hash = cfg.secret("serve", "password_hash")
    if password_hash:  # dashboards/plugins/auth.py: user "listener"
        env["LISTENER_PASSWORD_HASH"] = password_hash
    env["LISTENER_TIME_ZONE"] = team_time_zone(cfg)  # the pages show times in the team's zone
    env["LISTENER_ALLOWED_HOSTS"] = allowed_hosts(cfg, host)
    child = subprocess.Popen(datasette_args(cfg, host, port), env=env, stderr=subprocess.PIPE, text=True,
                             errors="replace")
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    log = ChildLog(child.stderr)
    try:
        started = wait_until_listening(child, host, port, stop)
        if started:
            log.quiet = False
            print(f"Datasette on http://{host}:{port}/ ; overview: http://{host}:{port}/-/dashboards/overview ; "
                  f"inbox: http://{host}:{port}/-/inbox (Ctrl-C to stop)", flush=True)
        while child.poll() is None and not stop.wait(0.2):
            pass
    finally:
        stop_child(child)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.join()
    if child.returncode not in (0, -signal.SIGTERM, -signal.SIGINT) and not stop.is_set():
        raise ListenerError(f"Datasette {'stopped' if started else 'did not start'} (exit code {child.returncode}): "
                            f"{log.last_line() or 'no message'}")


class ChildLog(threading.Thread):
    """Drains the child's stderr: kept quiet while it starts (a failure becomes our one line), then passed on."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream, self.quiet, self.lines = stream, True, []
        self.start()

    def run(self):
        for line in self.stream:
            self.lines = (self.lines + [line.rstrip()])[-20:]
            if not self.quiet:
                sys.stderr.write(line)

    def last_line(self):
        return next((line.strip() for line in reversed(self.lines) if line.strip()), "")


def wait_until_listening(child, host, port, stop, seconds=60):
    """True once host:port accepts connections; False if the child exits (or we are stopped) first."""
    deadline = time.monotonic() + seconds
    target = "127.0.0.1" if host == "0.0.0.0" else ("::1" if host == "::" else host)
    while time.monotonic() < deadline and child.poll() is None and not stop.is_set():
        try:
            with socket.create_connection((target, port), timeout=0.5):
                return True
        except OSError:
            stop.wait(0.1)
    return False


def stop_child(child, grace=10):
    """SIGTERM the child and wait for it; SIGKILL if it will not stop."""
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(grace)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
