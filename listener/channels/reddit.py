"""Reddit through praw (script app, password grant).

praw is pointed at the configured hosts with oauth_url (trailing slash kept) and reddit_url.
prawcore ignores praw's timeout and retries any request on 5xx, POST included, which would post
a submission twice: this channel gives prawcore a requestor that always applies our timeout and
records rate-limit headers, and turns its retries and its sleeping rate limiter off. Retrying and
pacing are the harvester's job, and a lost publish is reconciled, never retried.
"""

import json
import time
from datetime import timedelta
from functools import partial

import praw
import prawcore
import requests
from praw.models import MoreComments
from prawcore.sessions import FiniteRetryStrategy

from .. import checks
from ..errors import ChannelError, NotFound, OutcomeUnknown, RateLimited, Unreachable, one_line
from .base import Channel, Page, Published, RateLimit, ReplyRecord, never_connected

TITLE_MAX = 300


class NoRetryStrategy(FiniteRetryStrategy):
    """No retries and no sleep: FiniteRetryStrategy(retries=0) sleeps 2-4 s before every request."""

    def _sleep_seconds(self):
        return None


DELETED_BODIES = {"[deleted]", "[removed]"}
MORECHILDREN_BATCH = 100
LOGIN_PATH = "/api/v1/access_token"
CREDENTIALS = "check REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET, REDDIT_USERNAME, REDDIT_PASSWORD"


def transient(status):
    """Statuses that mean "not now" (prawcore knows only some of them: 408, 524... reach us raw)."""
    return status in (408, 425, 429) or status >= 500


# -- pure functions: Reddit JSON -> records ---------------------------------------------------

def epoch_to_iso(value):
    """Epoch seconds -> stored time; None for anything else (Reddit's `edited` is False, True or a time)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(value)))


def comment_record(data, web_url):
    """A ReplyRecord from a t1 comment's data (author as a name or None).

    Old comments (2016-17) may lack `depth` (the harvest derives it from the parent chain) and
    `permalink` (built from the submission and comment ids). `edited: true` (old comments: edited,
    time unknown) gives edited_at None, never 1970.
    """
    body = data.get("body") or ""
    author = data.get("author")
    deleted = body in DELETED_BODIES and author in (None, "[deleted]")
    parent = data.get("parent_id") or ""
    depth = data.get("depth")
    return ReplyRecord(
        remote_id=data["id"],
        parent_remote_id=parent.split("_", 1)[1] if "_" in parent else None,
        author=None if author in (None, "[deleted]") else author,
        text=body,
        created_at=epoch_to_iso(data.get("created_utc")),
        depth=int(depth) + 1 if isinstance(depth, int) else None,
        url=web_url + (data.get("permalink") or fallback_permalink(data)),
        like_count=data.get("score"),
        edited_at=epoch_to_iso(data.get("edited")),
        deleted=deleted,
    )


def fallback_permalink(data):
    submission = (data.get("link_id") or "").split("_", 1)[-1] or "_"
    return f"/comments/{submission}/_/{data['id']}/"


def rate_limit_from_headers(headers):
    """Reddit sends used, remaining (a float string) and reset (seconds from now) together or not at all."""
    if "x-ratelimit-remaining" not in headers:
        return None
    try:
        return RateLimit(route="oauth", limit=None, remaining=float(headers["x-ratelimit-remaining"]),
                         reset_at=time.time() + float(headers.get("x-ratelimit-reset", 0)))
    except ValueError:
        return None


def more_state(more):
    return {"id": more.id, "parent_id": more.parent_id, "children": list(more.children),
            "count": more.count, "depth": getattr(more, "depth", 0)}


# -- the channel ------------------------------------------------------------------------------

class TimeoutRequestor(prawcore.Requestor):
    """Always our timeout (prawcore passes its own constant otherwise); reports every response."""

    def __init__(self, *args, fixed_timeout=10.0, on_response=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_timeout = fixed_timeout
        self.on_response = on_response

    def request(self, *args, timeout=None, **kwargs):
        response = super().request(*args, timeout=self.fixed_timeout, **kwargs)
        if self.on_response:
            self.on_response(response)
        return response


class RedditChannel(Channel):
    name = "reddit"
    position = 20
    display_name = "Reddit"
    settings = {"subreddit": "test", "base_url": "https://oauth.reddit.com", "auth_url": "https://www.reddit.com",
                "user_agent": "python:listener:0.1 (by /u/brand)", "timeout": 10.0}
    setting_checks = {"subreddit": checks.text, "base_url": checks.url("https://oauth.reddit.com"),
                      "auth_url": checks.url("https://www.reddit.com"),
                      "user_agent": checks.text, "timeout": checks.positive("seconds")}
    secrets = {"client_id": "REDDIT_CLIENT_ID", "client_secret": "REDDIT_CLIENT_SECRET",
               "username": "REDDIT_USERNAME", "password": "REDDIT_PASSWORD"}
    variant_keys = {"text", "title", "subreddit"}
    harvest_route = "oauth"
    in_default_channels = True
    fake_secrets = {"client_id": "demo-client", "client_secret": "demo-secret", "username": "listener_brand",
                    "password": "demo-password"}
    fake_create_route = "reddit.submit"
    fake_limit_routes = ("reddit",)

    @classmethod
    def fake_settings(cls, base_url):
        return {"base_url": base_url + "/reddit", "auth_url": base_url + "/reddit", "subreddit": "listeningposts",
                "user_agent": "python:listener-demo:0.1 (by /u/listener_brand)"}

    @classmethod
    def check_question(cls, text, variant, fail, cfg=None):
        title = variant.get("title", text)
        if len(title) > TITLE_MAX:
            fail("reddit.title", f"Reddit titles are at most {TITLE_MAX} characters: add a shorter [reddit] title")

    @classmethod
    def render(cls, text, title, variant, cfg):
        return (variant.get("text", text), variant.get("title", title or text),
                variant.get("subreddit", cfg["reddit"]["subreddit"]))

    @classmethod
    def coverage_reasons(cls, harvested, reported, published, now):
        if harvested < reported:
            return ["Reddit's count includes removed and hidden comments the API does not list"]
        if harvested > reported:
            return ["Reddit's count lags behind the comments it lists"]
        return []

    def __init__(self, *, base_url, auth_url, account, subreddit, user_agent, client_id, client_secret,
                 username, password, timeout=10.0):
        super().__init__(account)
        self.base_url = base_url
        self.web_url = auth_url.rstrip("/")
        self.subreddit = subreddit
        self.username = username
        self.reddit = praw.Reddit(
            client_id=client_id, client_secret=client_secret, username=username, password=password,
            user_agent=user_agent, oauth_url=base_url.rstrip("/") + "/", reddit_url=self.web_url,
            check_for_updates=False, requestor_class=TimeoutRequestor,
            requestor_kwargs={"fixed_timeout": timeout, "on_response": self.note_limits},
        )
        for core in (self.reddit._core, self.reddit._authorized_core, self.reddit._read_only_core):
            if core is not None:
                core._retry_strategy_class = partial(NoRetryStrategy, retries=0)
                core._rate_limiter.delay = lambda: None

    @classmethod
    def from_config(cls, cfg):
        section = cfg["reddit"]
        return cls(
            base_url=section["base_url"], auth_url=section["auth_url"], account=section["account"],
            subreddit=section["subreddit"], user_agent=section["user_agent"], timeout=section["timeout"],
            client_id=cfg.require_secret("reddit", "client_id"),
            client_secret=cfg.require_secret("reddit", "client_secret"),
            username=cfg.require_secret("reddit", "username"),
            password=cfg.require_secret("reddit", "password"),
        )

    def note_limits(self, response):
        self.note_date(response.headers, time.time())
        limit = rate_limit_from_headers(response.headers)
        if limit:
            self.rate_limits["oauth"] = limit

    def call(self, what, fn, *args, **kwargs):
        """Run a praw call and map its failures to our errors (reads only; publish is stricter)."""
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # praw, prawcore and requests raise many kinds: all become ours
            raise self.read_error(what, exc) from None

    def read_error(self, what, exc):
        login = login_error(exc)
        if login:
            return login
        if isinstance(exc, prawcore.TooManyRequests):
            reset = time.time() + reset_seconds(exc.response)
            return RateLimited(f"Reddit rate limit on {what}: try again after the reset", reset_at=reset)
        if isinstance(exc, prawcore.OAuthException):
            return ChannelError(f"Reddit rejected the login: {CREDENTIALS}")
        if isinstance(exc, prawcore.InvalidToken):
            return ChannelError("Reddit rejected the access token: check the REDDIT_* credentials")
        if isinstance(exc, prawcore.NotFound):
            return NotFound(f"Reddit says {what} is gone (deleted or never existed)")
        if isinstance(exc, prawcore.BadJSON):
            return ChannelError(f"Reddit sent malformed JSON on {what}: will try again later")
        if isinstance(exc, prawcore.RequestException):
            if never_connected(exc):
                return Unreachable(f"cannot reach Reddit at {self.base_url} "
                                   f"({type(exc.original_exception).__name__}): check [reddit] base_url and the network")
            return ChannelError(f"the connection to Reddit dropped during {what}: will try again later")
        if isinstance(exc, prawcore.ResponseException):
            status = exc.response.status_code
            if transient(status):
                return ChannelError(f"Reddit answered {status} on {what}: will try again later")
            return ChannelError(f"Reddit refused {what} ({status}): check the [reddit] settings and the "
                                "account's permissions")
        if isinstance(exc, praw.exceptions.RedditAPIException):
            return ChannelError(f"Reddit refused {what}: {one_line(exc)}")
        if isinstance(exc, ChannelError):
            return exc
        return ChannelError(f"Reddit sent an unexpected answer on {what} ({type(exc).__name__}: "
                            f"{one_line(exc, 80)}): will try again later")

    def publish(self, text, title=None, target=None, key=None):
        subreddit = target or self.subreddit
        try:
            submission = self.reddit.subreddit(subreddit).submit(title or text[:300], selftext=text)
        except Exception as exc:  # every failure becomes ours; anything unexpected may have posted
            raise self.publish_error(subreddit, exc) from None
        return Published(remote_id=submission.id,
                         url=f"{self.web_url}/r/{subreddit}/comments/{submission.id}/")

    def publish_error(self, subreddit, exc):
        login = login_error(exc)
        if login:
            return login  # the login failed: nothing was submitted
        if isinstance(exc, prawcore.TooManyRequests):
            return RateLimited("Reddit rate limit on submit: will post after the reset",
                               reset_at=time.time() + reset_seconds(exc.response))
        if isinstance(exc, (prawcore.ServerError, prawcore.BadJSON)):
            return OutcomeUnknown("Reddit's answer to the submission was lost or broken: it may exist")
        if isinstance(exc, prawcore.RequestException):
            if never_connected(exc):
                return Unreachable(f"cannot reach Reddit at {self.base_url}: check [reddit] base_url")
            return OutcomeUnknown("the connection to Reddit dropped during the submission: it may exist")
        if isinstance(exc, praw.exceptions.RedditAPIException):
            return ChannelError(f"Reddit refused the submission to r/{subreddit}: {one_line(exc)}")
        if isinstance(exc, prawcore.OAuthException):
            return ChannelError(f"Reddit rejected the login: {CREDENTIALS}")
        if isinstance(exc, prawcore.ResponseException):
            status = exc.response.status_code
            if transient(status):  # a 408 or a proxy's 524 may come after Reddit stored the post
                return OutcomeUnknown(f"Reddit answered {status} to the submission: it may exist")
            return ChannelError(f"Reddit refused the submission to r/{subreddit} ({status}): "
                                "check the subreddit and permissions")
        return OutcomeUnknown(f"Reddit's answer to the submission was unexpected ({type(exc).__name__}): "
                              "it may exist")

    def find_own_post(self, text, title=None, target=None, since=None):
        subreddit = (target or self.subreddit).lower()
        if since is not None:  # on the platform's clock: a machine clock ahead of Reddit's never hides it
            since = since - timedelta(seconds=self.clock_skew)

        def recent():
            """Newest first, back to `since` (up to 1,000: a busy account posts more than 100)."""
            posts = []
            for post in self.reddit.redditor(self.username).submissions.new(limit=1000):
                posts.append(post)
                if since is not None and post.created_utc < since.timestamp():
                    break
            return posts

        found = {}
        for s in self.call("the account's submissions", recent):
            if since is not None and s.created_utc < since.timestamp():
                continue
            if s.selftext == text and s.title == (title or text[:300]) and str(s.subreddit).lower() == subreddit:
                found.setdefault(s.id, Published(remote_id=s.id, url=self.web_url + s.permalink,
                                                 published_at=epoch_to_iso(s.created_utc)))
        return list(found.values())

    def reported_reply_count(self, remote_id):
        submission = self.reddit.submission(remote_id)
        return self.call(f"submission {remote_id}", lambda: submission.num_comments)

    def fetch_replies(self, remote_id, cursor=None):
        state = json.loads(cursor) if cursor else None
        records, pending, notes = [], [], []
        if state is None:
            submission = self.reddit.submission(remote_id)
            submission.comment_limit = 500
            forest = self.call(f"submission {remote_id}", lambda: list(submission.comments))
            reported = submission.num_comments
        else:
            pending = state["more"]
            first = pending.pop(0)
            if len(first["children"]) > MORECHILDREN_BATCH:  # Reddit expands at most 100 per request
                rest = first["children"][MORECHILDREN_BATCH:]
                pending.insert(0, {**first, "id": rest[0], "children": rest, "count": len(rest)})
                first = {**first, "children": first["children"][:MORECHILDREN_BATCH]}
            more = MoreComments(self.reddit, first)
            more.submission = self.reddit.submission(remote_id)
            forest = self.call(f"more replies of {remote_id}", more.comments, update=False)
            forest = list(forest)
            reported = None
        try:
            self.walk(forest, records, pending)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ChannelError(f"Reddit sent an unexpected comment tree for {remote_id} "
                               f"({one_line(exc, 80)}): will try again later") from None
        cursor = json.dumps({"more": pending}) if pending else None
        return Page(records, cursor, notes=notes, reported_count=reported)

    def walk(self, things, records, pending):
        for thing in things:
            if isinstance(thing, MoreComments):
                if thing.count == 0 and not thing.children and thing.id != "_":
                    continue
                pending.append(more_state(thing))
                continue
            records.append(comment_record(self.comment_data(thing), self.web_url))
            replies = thing.__dict__.get("_replies") or []
            self.walk(list(replies), records, pending)

    @staticmethod
    def comment_data(comment):
        d = comment.__dict__
        author = d.get("author")
        return {
            "id": d["id"], "parent_id": d.get("parent_id"), "author": str(author) if author else None,
            "body": d.get("body"), "created_utc": d.get("created_utc"), "edited": d.get("edited"),
            "score": d.get("score"), "depth": d.get("depth"), "permalink": d.get("permalink"),
            "link_id": d.get("link_id"),
        }


def reset_seconds(response):
    try:
        return float(response.headers.get("x-ratelimit-reset", 60))
    except (TypeError, ValueError):
        return 60.0


def login_error(exc):
    """The error for a failed login (prawcore logs in lazily, inside any call), or None.

    The login has its own budget and its own outages: a 429, a 5xx or a page that is not JSON
    (a captive portal, a proxy) means nothing was sent, so the caller tries again later.
    """
    if isinstance(exc, requests.exceptions.JSONDecodeError):  # prawcore parses the token answer unguarded
        return Unreachable("Reddit's login (api/v1/access_token) answered with a page that is not JSON "
                           "(a captive portal or proxy?): nothing was sent, will try again later")
    response = getattr(exc, "response", None)
    if not isinstance(exc, prawcore.ResponseException) or LOGIN_PATH not in str(getattr(response, "url", "")):
        return None
    status = response.status_code
    if transient(status):
        return Unreachable(f"Reddit's login (api/v1/access_token) answered {status}: nothing was sent, "
                           "will try again later")
    return ChannelError(f"Reddit rejected the login ({status}): {CREDENTIALS}")
