"""Shared fixtures: the fake platform on 127.0.0.1, a config pointing at it, a fresh database.

A guard makes any connection beyond loopback fail the test: nothing here may reach the network.
"""

import email
import ipaddress
import json
import socket
import urllib.request
from email import policy
from pathlib import Path

import pytest

from listener.config import load_config
from listener.db import open_db
from listener.channels import channel_classes
from listener.demo import DEMO_SECRETS, fake_overrides
from listener.fake import start_server, stop_server

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check(address):
    host = address[0] if isinstance(address, tuple) else None
    if host is None:
        return  # unix sockets
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise AssertionError(f"test tried to reach {address}: only 127.0.0.1 is allowed")


def _guarded_connect(self, address):
    _check(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _check(address)
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex


@pytest.fixture
def fake(tmp_path):
    server = start_server(state_file=str(tmp_path / "fake.json"))
    yield server
    stop_server(server)


class FakeControl:
    """Talks to the fake's /_fake/ control endpoints."""

    def __init__(self, base_url):
        self.base_url = base_url

    def post(self, path, body):
        request = urllib.request.Request(self.base_url + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def get(self, path):
        with urllib.request.urlopen(self.base_url + path, timeout=60) as response:
            return json.loads(response.read())

    def posts(self, channel=None):
        return [p for p in self.get("/_fake/posts")["posts"] if channel in (None, p["channel"])]

    def add_replies(self, channel, post_id, count=0, seed=0, replies=None):
        return self.post("/_fake/replies", {"channel": channel, "post_id": post_id, "count": count,
                                            "seed": seed, "replies": replies})["ids"]

    def fault(self, route, kind, count=1, **extra):
        return self.post("/_fake/faults", {"route": route, "kind": kind, "count": count, **extra})


@pytest.fixture
def control(fake):
    return FakeControl(fake.base_url)


@pytest.fixture
def cfg(fake, tmp_path):
    config = load_config(environ={}, overrides={
        **fake_overrides(fake.base_url),
        "database.path": str(tmp_path / "listener.db"), "posts.dir": str(tmp_path / "posts"),
        "x.base_url": fake.base_url, "x.timeout": 3.0,
        "reddit.base_url": fake.base_url + "/reddit", "reddit.auth_url": fake.base_url + "/reddit",
        "reddit.timeout": 3.0, "reddit.subreddit": "listeningposts",
    })
    config.secret_overrides = DEMO_SECRETS
    (tmp_path / "posts").mkdir()
    return config


@pytest.fixture
def db(cfg):
    return open_db(cfg["database"]["path"])


@pytest.fixture
def env_for_cli(fake, tmp_path):
    """Environment for running the real `listener` CLI against the fake platform."""
    import os

    classes = channel_classes()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LISTENER_", *(f"{name.upper()}_" for name in classes)))}
    for name, cls in classes.items():  # every channel at the fake, with its stand-in credentials
        env.update({f"LISTENER_{name}_{key}".upper(): str(value) for key, value in cls.fake_settings(fake.base_url).items()})
        env.update({cls.secrets[key]: value for key, value in cls.fake_secrets.items()})
    env.update({
        "LISTENER_DATABASE_PATH": str(tmp_path / "listener.db"),
        "LISTENER_POSTS_DIR": str(tmp_path / "posts"),
        "LISTENER_X_BASE_URL": fake.base_url,
        "LISTENER_REDDIT_BASE_URL": fake.base_url + "/reddit",
        "LISTENER_REDDIT_AUTH_URL": fake.base_url + "/reddit",
        "LISTENER_X_TIMEOUT": "3", "LISTENER_REDDIT_TIMEOUT": "3",
        "X_API_KEY": "k", "X_API_SECRET": "s", "X_ACCESS_TOKEN": "t", "X_ACCESS_TOKEN_SECRET": "ts",
        "REDDIT_CLIENT_ID": "c", "REDDIT_CLIENT_SECRET": "s", "REDDIT_USERNAME": "listener_brand",
        "REDDIT_PASSWORD": "p",
    })
    (tmp_path / "posts").mkdir(exist_ok=True)
    return env


def write_question(posts_dir, name, **fields):
    """Write posts/<name>.toml from keyword fields (tables as dicts)."""
    lines, tables = [], []
    for key, value in fields.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    for key, table in tables:
        lines.append(f"[{key}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in table.items()]
    path = Path(posts_dir) / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collector:
    """An SMTP handler that keeps every accepted message; `fail_next` DATA commands get a 451."""

    def __init__(self):
        self.envelopes = []
        self.fail_next = 0

    async def handle_DATA(self, server, session, envelope):
        if self.fail_next:
            self.fail_next -= 1
            return "451 4.3.0 mailbox temporarily unavailable"
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self):
        return [email.message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that collects what it is sent."""
    from aiosmtpd.controller import Controller

    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()
