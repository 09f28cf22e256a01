"""Reddit through praw (script app, password grant).

praw is pointed at the configured hosts with oauth_url (trailing slash kept) and reddit_url.
prawcore ignores praw's timeout and retries any request on 5xx, POST included, which would post
a submission twice: this channel gives prawcore a requestor that always applies our timeout and
records rate-limit headers, and turns its retries and its sleeping rate limiter off. Retrying and
pacing are the harvester's job, and a lost publish is reconciled, never retried.
"""

import json
import time
from functools import partial

import praw
import prawcore
from praw.models import MoreComments
from prawcore.sessions import FiniteRetryStrategy

from ..errors import ChannelError, NotFound, OutcomeUnknown, RateLimited, Unreachable
from .base import Channel, Page, Published, RateLimit, ReplyRecord


class NoRetryStrategy(FiniteRetryStrategy):
    """No retries and no sleep: FiniteRetryStrategy(retries=0) sleeps 2-4 s before every request."""

    def _sleep_seconds(self):
        return None


DELETED_BODIES = {"[deleted]", "[removed]"}
MORECHILDREN_BATCH = 100


# -- pure functions: Reddit JSON -> records ---------------------------------------------------

def epoch_to_iso(value):
    if value in (None, False):
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(value)))


def comment_record(data, web_url):
    """A ReplyRecord from a t1 comment's data (author as a name or None)."""
    body = data.get("body") or ""
    author = data.get("author")
    deleted = body in DELETED_BODIES and author in (None, "[deleted]")
    parent = data.get("parent_id") or ""
    return ReplyRecord(
        remote_id=data["id"],
        parent_remote_id=parent.split("_", 1)[1] if "_" in parent else None,
        author=None if author in (None, "[deleted]") else author,
        text=body,
        created_at=epoch_to_iso(data.get("created_utc")),
        depth=int(data.get("depth", 0)) + 1,
        url=web_url + data["permalink"] if data.get("permalink") else None,
        like_count=data.get("score"),
        edited_at=epoch_to_iso(data.get("edited")),
        deleted=deleted,
    )


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
        limit = rate_limit_from_headers(response.headers)
        if limit:
            self.rate_limits["oauth"] = limit

    def call(self, what, fn, *args, **kwargs):
        """Run a praw call and map its failures to our errors (reads only; publish is stricter)."""
        try:
            return fn(*args, **kwargs)
        except prawcore.TooManyRequests as exc:
            reset = time.time() + float(exc.response.headers.get("x-ratelimit-reset", 60))
            raise RateLimited(f"Reddit rate limit on {what}: try again after the reset", reset_at=reset) from None
        except prawcore.OAuthException:
            raise ChannelError("Reddit rejected the login: check REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET, "
                               "REDDIT_USERNAME, REDDIT_PASSWORD") from None
        except prawcore.InvalidToken:
            raise ChannelError("Reddit rejected the access token: check the REDDIT_* credentials") from None
        except prawcore.NotFound:
            raise NotFound(f"Reddit says {what} is gone (deleted or never existed)") from None
        except prawcore.ServerError as exc:
            raise ChannelError(f"Reddit server error on {what} ({exc.response.status_code}): will try again later") from None
        except prawcore.BadJSON:
            raise ChannelError(f"Reddit sent malformed JSON on {what}: will try again later") from None
        except prawcore.RequestException as exc:
            raise Unreachable(f"cannot reach Reddit at {self.base_url} ({type(exc.original_exception).__name__}): "
                               "check [reddit] base_url and the network") from None
        except prawcore.ResponseException as exc:
            raise ChannelError(f"Reddit refused {what} ({exc.response.status_code}): check the "
                               "[reddit] settings and the account's permissions") from None
        except praw.exceptions.RedditAPIException as exc:
            raise ChannelError(f"Reddit refused {what}: {exc}") from None

    def publish(self, text, title=None, target=None):
        subreddit = target or self.subreddit
        try:
            submission = self.reddit.subreddit(subreddit).submit(title or text[:300], selftext=text)
        except prawcore.TooManyRequests as exc:
            reset = time.time() + float(exc.response.headers.get("x-ratelimit-reset", 60))
            raise RateLimited("Reddit rate limit on submit: will post after the reset", reset_at=reset) from None
        except (prawcore.ServerError, prawcore.BadJSON):
            raise OutcomeUnknown("Reddit's answer to the submission was lost or broken: it may exist") from None
        except prawcore.RequestException as exc:
            original = repr(exc.original_exception)
            if "NewConnectionError" in original or "Connection refused" in original:
                raise Unreachable(f"cannot reach Reddit at {self.base_url}: check [reddit] base_url") from None
            raise OutcomeUnknown("the connection to Reddit dropped during the submission: it may exist") from None
        except praw.exceptions.RedditAPIException as exc:
            raise ChannelError(f"Reddit refused the submission to r/{subreddit}: {exc}") from None
        except prawcore.OAuthException:
            raise ChannelError("Reddit rejected the login: check the REDDIT_* credentials") from None
        except prawcore.ResponseException as exc:
            raise ChannelError(f"Reddit refused the submission to r/{subreddit} "
                               f"({exc.response.status_code}): check the subreddit and permissions") from None
        return Published(remote_id=submission.id,
                         url=f"{self.web_url}/r/{subreddit}/comments/{submission.id}/")

    def find_own_post(self, text, title=None, target=None, since=None):
        subreddit = (target or self.subreddit).lower()

        def recent():
            """Newest first, back to `since` (up to 1,000: a busy account posts more than 100)."""
            posts = []
            for post in self.reddit.redditor(self.username).submissions.new(limit=1000):
                posts.append(post)
                if since is not None and post.created_utc < since.timestamp():
                    break
            return posts

        found = []
        for s in self.call("the account's submissions", recent):
            if since is not None and s.created_utc < since.timestamp():
                continue
            if s.selftext == text and s.title == (title or text[:300]) and str(s.subreddit).lower() == subreddit:
                found.append(Published(remote_id=s.id, url=self.web_url + s.permalink,
                                       published_at=epoch_to_iso(s.created_utc)))
        return found

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
        self.walk(forest, records, pending)
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
            "score": d.get("score"), "depth": d.get("depth", 0), "permalink": d.get("permalink"),
        }
