"""Errors shown to the user as one line that names the problem and the fix."""

import html
import re

TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)


class ListenerError(Exception):
    """Any error the CLI shows verbatim, on one line, without a traceback."""


class ConfigError(ListenerError):
    """A setting is missing or invalid."""


class QuestionError(ListenerError):
    """A file in posts/ is malformed."""


class ChannelError(ListenerError):
    """A channel (X, Reddit, ...) failed or could not be reached. The message is kept to one line."""

    def __init__(self, message, *args):
        super().__init__(" ".join(str(message).split()), *args)


class Unreachable(ChannelError):
    """The platform could not be reached at all: nothing was sent, so trying again later is safe."""


class RateLimited(ChannelError):
    """The platform said to slow down; `reset_at` is when to try again (epoch seconds)."""

    def __init__(self, message, reset_at=None):
        super().__init__(message)
        self.reset_at = reset_at


class UsageCapReached(ChannelError):
    """The account's usage cap is spent: stop this channel until the cap resets."""


class OutcomeUnknown(ChannelError):
    """A publish whose answer was lost: the post may or may not exist. Reconcile, never retry blind."""


class DuplicateContent(OutcomeUnknown):
    """The platform refused the text as a duplicate of an existing post: an earlier attempt of ours
    (reconcile finds it) or another post with the same words (the text must change)."""


class NotFound(ChannelError):
    """The platform says the post is gone (deleted or never existed)."""


class DigestError(ListenerError):
    """The digest could not be sent (SMTP settings, server unreachable); the period stays due."""


class NoticeError(ListenerError):
    """An alert notice could not be delivered (the webhook failed); it is retried with a backoff."""
def one_line(value, limit=200):
    """Any exception, response body (JSON, HTML, plain text) or bytes as one line of at most `limit` chars.

    Markup is dropped, entities decoded and whitespace collapsed, so a proxy's HTML error page
    reads as its words, never as a multi-line dump.
    """
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = str(value)
    if "<" in text and ">" in text:
        text = html.unescape(TAG.sub(" ", text))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
