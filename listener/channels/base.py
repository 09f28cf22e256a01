"""The contract every channel implements, and the plain records channels hand back.

A channel wraps one client library and one account. Its methods make HTTP calls (each with a
timeout) and raise only ListenerError subclasses:
- RateLimited(reset_at): the platform said slow down; nothing happened, try after reset_at.
- UsageCapReached: stop this channel until the cap resets.
- OutcomeUnknown: a publish whose answer was lost; reconcile, never retry blind.
- ChannelError: anything else, with a one-line message that says the fix.
"""

import socket
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from urllib3.exceptions import NewConnectionError


@dataclass
class Published:
    remote_id: str
    url: str
    published_at: str | None = None


@dataclass
class ReplyRecord:
    remote_id: str
    parent_remote_id: str | None
    author: str | None
    text: str
    created_at: str | None
    depth: int | None = None
    url: str | None = None
    like_count: int | None = None
    edited_at: str | None = None
    deleted: bool = False
    html: str | None = None  # the platform's own markup of the text, where it sends HTML (Mastodon)


@dataclass
class Page:
    replies: list
    cursor: str | None  # where the next page starts; None when the walk is complete
    requests: int = 1
    notes: list = field(default_factory=list)  # reasons some replies could not be reached
    reported_count: int | None = None  # the platform's own reply count, when the page carries it


@dataclass
class RateLimit:
    route: str
    limit: int | None
    remaining: float | None
    reset_at: float | None  # epoch seconds


class Channel:
    """Base class: a subclass sets the policy attributes and implements the methods below.

    Policy (read by the core without opening a connection, so it lives on the class):
    - name, display_name, position: the registry key ("x"), what people read ("X"), list order.
    - settings, setting_checks: the channel's config table [name] (defaults; `enabled` and
      `account` are added for every channel) and a check per key (listener.checks).
    - secrets: secret key -> environment variable; never read from the file.
    - variant_keys: what a question file's [name] table may override (text, title, ...).
    - refuses_duplicates: the platform refuses the same text twice, so a recurring question
      needs {date} in its text.
    - billable, cost_settings: pay-per-use platforms; the [cost] keys they add (see cost()).
    - harvest_route: the rate-limit route the harvester paces on (a key of self.rate_limits).
    - search_window: how far back replies can be read (None: no limit).
    - in_default_channels: a question file that lists no channels is posted here.
    - fake_settings(), fake_secrets, fake_create_route, fake_limit_routes: how the demo and tests
      point it at the fake and drive it.
    """

    name = "base"
    display_name = "Base"
    position = 100  # where it is listed among channels (the built-ins first)
    billable = False  # True where reads and posts cost money (X pay-per-use)
    enabled_by_default = True
    settings = {}
    setting_checks = {}
    secrets = {}
    cost_settings = {}
    variant_keys = {"text"}
    refuses_duplicates = False
    harvest_route = "api"
    search_window = None
    in_default_channels = False
    fake_secrets = {}
    fake_create_route = None  # the fake's route name for posting (the contract tests inject faults there)
    fake_limit_routes = ()

    # -- policy: questions, rendering, cost, coverage (class methods: no connection needed) ----

    @classmethod
    def check_question(cls, text, variant, fail, cfg=None):
        """Call fail(key, fix) when the text (with {date} filled at its longest) does not fit."""

    @classmethod
    def render(cls, text, title, variant, cfg):
        """(text, title, target) to post, from the question's text and title with {date} filled."""
        return variant.get("text", text), None, None

    @classmethod
    def cost(cls, cfg, reads, posts):
        """Dollars for `reads` posts read and `posts` posts made (free platforms: 0)."""
        return 0.0

    @classmethod
    def coverage_reasons(cls, harvested, reported, published, now):
        """Why `harvested` differs from the platform's `reported` count, as short phrases."""
        return []

    @classmethod
    def fake_settings(cls, base_url):
        """Settings that point this channel at the fake platform at `base_url` (demo, tests)."""
        return {}

    def __init__(self, account):
        self.account = account
        self.rate_limits = {}  # route -> RateLimit, from the latest response headers
        self.clock_skew = 0.0  # seconds this machine's clock is ahead of the platform's (Date header)
        self.reads = 0  # billable posts read (reconcile and harvest), for the cost estimate

    def note_date(self, headers, received_at):
        """Measure the platform's clock from a response's Date header (one-second precision)."""
        try:
            server_time = parsedate_to_datetime(headers["Date"]).timestamp()
        except (KeyError, TypeError, ValueError, IndexError):
            return
        self.clock_skew = received_at - server_time

    def publish(self, text, title=None, target=None, key=None) -> Published:
        """Post once; `key` is the outbox's idempotency key, for platforms that honour one."""
        raise NotImplementedError

    def find_own_post(self, text, title=None, target=None, since=None):
        """Reconcile: the account's own recent post with this content, or None. Several: a list."""
        raise NotImplementedError

    def reported_reply_count(self, remote_id) -> int | None:
        raise NotImplementedError

    def fetch_replies(self, remote_id, cursor=None) -> Page:
        """One page of the reply walk starting at `cursor` (None: from the start)."""
        raise NotImplementedError


# Exceptions that prove no connection was ever made, so nothing reached the platform: a name that
# does not resolve (urllib3's NameResolutionError is a NewConnectionError), a refused connection.
NOT_CONNECTED = (NewConnectionError, socket.gaierror, ConnectionRefusedError)


def never_connected(exc):
    """True when `exc`, or anything it wraps (cause, context, args, urllib3's `reason`), shows that
    the connection was never made. Decided from exception types, never from message words."""
    seen, stack = set(), [exc]
    while stack:
        current = stack.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, NOT_CONNECTED):
            return True
        stack += [current.__cause__, current.__context__, getattr(current, "reason", None),
                  getattr(current, "original_exception", None), *current.args]
    return False
