"""The answer a platform route raises to reply right away (an error, or a body with extra headers)."""


class Reply(Exception):
    """Raised by a route to answer right away: status, JSON-able body, extra headers."""

    def __init__(self, status, body, headers=None, content_type="application/json"):
        self.status, self.body, self.headers, self.content_type = status, body, headers or {}, content_type
