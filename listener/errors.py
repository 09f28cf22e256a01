"""Errors shown to the user as one line that names the problem and the fix."""


class ListenerError(Exception):
    """Any error the CLI shows verbatim, on one line, without a traceback."""


class ConfigError(ListenerError):
    """A setting is missing or invalid."""


class QuestionError(ListenerError):
    """A file in posts/ is malformed."""


class ChannelError(ListenerError):
    """A channel (X, Reddit, ...) failed or could not be reached."""


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


class NotFound(ChannelError):
    """The platform says the post is gone (deleted or never existed)."""


class DigestError(ListenerError):
    """The digest could not be sent (SMTP settings, server unreachable); the period stays due."""


class NoticeError(ListenerError):
    """An alert notice could not be delivered (the webhook failed); it is retried with a backoff."""
