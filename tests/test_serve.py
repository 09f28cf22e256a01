"""`listener serve`: the Datasette child stops with us, a busy port or a failed start is one line,
and only the configured host names are answered (DNS-rebinding protection)."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from listener.db import open_db
from listener.serve import make_datasette
from ui_support import run

LISTENER = str(Path(sys.executable).with_name("listener"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def small_db(tmp_path):
    path = tmp_path / "listener.db"
    open_db(path).conn.close()
    return path


def env_without_listener():
    return {k: v for k, v in os.environ.items() if not k.startswith("LISTENER_")}


def children(pid):
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_datasette_child_stops_with_the_parent(small_db, tmp_path, sig):
    port = free_port()
    proc = subprocess.Popen([LISTENER, "serve", "--db", str(small_db), "--port", str(port)], cwd=tmp_path,
                            env=env_without_listener(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "Datasette on http://127.0.0.1:" in proc.stdout.readline()  # printed once it listens
        urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=5).read()
        child = children(proc.pid)
        assert len(child) == 1 and alive(child[0])
        proc.send_signal(sig)
        assert proc.wait(20) == 0
        deadline = time.monotonic() + 5
        while alive(child[0]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(child[0]), "Datasette outlived `listener serve`"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_busy_port_is_one_line_and_exit_1(small_db, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([LISTENER, "serve", "--db", str(small_db), "--port", str(port)], cwd=tmp_path,
                                env=env_without_listener(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == f"Error: port {port} is in use: pass --port or stop the other server\n"


def test_a_datasette_that_fails_to_start_is_one_line_and_exit_1(small_db, tmp_path):
    bad = tmp_path / "dashboards"
    bad.mkdir()
    (bad / "metadata.yaml").write_text("databases: [\n", encoding="utf-8")
    env = dict(env_without_listener(), LISTENER_SERVE_DASHBOARDS_DIR=str(bad))
    result = subprocess.run([LISTENER, "serve", "--db", str(small_db), "--port", str(free_port())], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: Datasette did not start (exit code 1): ")
    assert "Metadata is not valid" in lines[0]


def test_only_configured_host_names_are_answered(small_db, monkeypatch):
    monkeypatch.setenv("LISTENER_ALLOWED_HOSTS", "listener.example.com")
    ds = make_datasette(small_db)

    async def go():
        out = {}
        for host in ["localhost", "127.0.0.1:8001", "[::1]:8001", "listener.example.com",
                     "evil.example", "evil.example:8001", "127.0.0.1.nip.io"]:
            response = await ds.client.get("/-/versions.json", headers={"host": host})
            out[host] = response.status_code
        return out

    assert run(go()) == {"localhost": 200, "127.0.0.1:8001": 200, "[::1]:8001": 200, "listener.example.com": 200,
                         "evil.example": 400, "evil.example:8001": 400, "127.0.0.1.nip.io": 400}


def test_serve_allows_its_configured_names(cfg):
    from listener.serve import allowed_hosts

    cfg["serve"].update(allowed_hosts=["listener.example.com"], base_url="https://cx.example.org/listener")
    assert allowed_hosts(cfg, "127.0.0.1") == "127.0.0.1,cx.example.org,listener.example.com"
    assert "0.0.0.0" not in allowed_hosts(cfg, "0.0.0.0")


def test_the_csp_refuses_inline_handlers_and_anything_beyond_this_server(small_db):
    ds = make_datasette(small_db)

    async def go():
        return (await ds.client.get("/")).headers["content-security-policy"]

    policy = dict(part.strip().split(" ", 1) for part in run(go()).split(";"))
    assert policy["default-src"] == "'none'" and policy["script-src-attr"] == "'none'"
    assert policy["base-uri"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert all("http" not in value and "*" not in value for value in policy.values())
