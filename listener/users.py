"""Who may log in to `listener serve`, with which role, and how passwords are checked.

Users come from the environment, never from the database or a config file in the repository:

- LISTENER_USERS="maria:editor:pbkdf2_sha256$...,sam:viewer:pbkdf2_sha256$..." (name:role:hash,
  comma-separated), and/or
- LISTENER_USERS_FILE=/etc/listener/users: the same name:role:hash entries, one a line (# comments),
- LISTENER_PASSWORD_HASH (older set-ups): one editor called "listener".

Hashes are datasette-auth-passwords' pbkdf2_sha256 ones: make one with `listener users hash`.
Roles: viewer (reads) and editor (reads and acts in the inbox).
"""

import getpass
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from datasette_auth_passwords.utils import hash_password, verify_password

from .errors import ConfigError

ROLES = ("viewer", "editor")
LEGACY_USER = "listener"


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str = field(repr=False)

    @property
    def can_act(self):
        return self.role == "editor"


def load_users(environ=None):
    """{name: User} from LISTENER_USERS, LISTENER_USERS_FILE and LISTENER_PASSWORD_HASH."""
    environ = os.environ if environ is None else environ
    users = {}
    if environ.get("LISTENER_PASSWORD_HASH"):
        users[LEGACY_USER] = User(LEGACY_USER, "editor", environ["LISTENER_PASSWORD_HASH"].strip())
    entries = [("LISTENER_USERS", e) for e in (environ.get("LISTENER_USERS") or "").split(",")]
    if environ.get("LISTENER_USERS_FILE"):
        path = Path(environ["LISTENER_USERS_FILE"])
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read LISTENER_USERS_FILE {path} ({exc.strerror}): fix the path") from None
        entries += [(f"{path} line {n}", line) for n, line in enumerate(lines, 1) if not line.startswith("#")]
    for where, entry in entries:
        if entry.strip():
            user = parse_user(entry.strip(), where)
            users[user.name] = user
    return users


def serving_users():
    """load_users() for a running server: a setting broken since start (say the users file) lets nobody in."""
    try:
        return load_users()
    except ConfigError:
        return {"": None}


def parse_user(entry, where):
    name, _, rest = entry.partition(":")
    role, _, password_hash = rest.partition(":")
    if not name or role not in ROLES or password_hash.count("$") != 3 or not password_hash.startswith("pbkdf2_sha256$"):
        raise ConfigError(f"{where}: {name or entry[:20]!r} is not name:role:hash with role viewer or editor and a "
                          "pbkdf2_sha256 hash: make the hash with `listener users hash`")
    return User(name, role, password_hash)


def check_password(users, name, password):
    """The User when `password` is theirs, else None."""
    user = users.get(name)
    if user and verify_password(password, user.password_hash):
        return user
    return None


def make_hash(password):
    if len(password) < 8:
        raise ConfigError("that password is shorter than 8 characters: choose a longer passphrase")
    return hash_password(password)


class Throttle:
    """At most `limit` failed logins per (user, address) in `window` seconds; then refuse until they age out."""

    def __init__(self, limit=5, window=60.0, clock=time.monotonic):
        self.limit, self.window, self.clock, self.failures = limit, window, clock, {}

    def blocked(self, key):
        recent = [t for t in self.failures.pop(key, []) if t > self.clock() - self.window]
        if recent:  # keys with no recent failure are dropped: guessed names cannot pile up
            self.failures[key] = recent
        return len(recent) >= self.limit

    def failed(self, key):
        self.failures.setdefault(key, []).append(self.clock())

    def succeeded(self, key):
        self.failures.pop(key, None)


def local_name():
    """Who acts on a loopback server without logins: the OS user running it."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"


def is_local_request(scope):
    """Served on a loopback address to a loopback client (no one else can reach it)."""
    from .serve import is_loopback

    server = (scope.get("server") or ("", None))[0] or ""
    client = (scope.get("client") or ("", None))[0] or ""
    return is_loopback(server) and is_loopback(client)


def identify(users, actor, scope):
    """(name, role) of who makes a request, or (None, None) for an anonymous visitor.

    With users configured only a logged-in, still-configured user counts. Without any, the single
    person on a loopback-only server is an editor under their OS user name.
    """
    if users:
        user = users.get((actor or {}).get("id"))
        return (user.name, user.role) if user else (None, None)
    if is_local_request(scope):
        return local_name(), "editor"
    return None, None


def who(request):
    """identify() for a Datasette request, against the users the server runs with."""
    return identify(serving_users(), request.actor, request.scope)
