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
    """Base class: subclasses set `name` and implement the methods below."""

    name = "base"
    billable = False  # True where reads and posts cost money (X pay-per-use)

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

    def publish(self, text, title=None, target=None) -> Published:
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
