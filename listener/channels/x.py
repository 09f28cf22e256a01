"""X (Twitter) through tweepy.Client, API v2, OAuth 1.0a user context.

tweepy fixes its host to https://api.twitter.com and sets no timeout, so the client's session
gets an adapter that rewrites that prefix to the configured base URL and always applies a
timeout. tweepy's signing, error mapping and parameters all still run.
"""

import json
import time

import requests
import tweepy
from requests.adapters import HTTPAdapter

from ..errors import ChannelError, NotFound, OutcomeUnknown, RateLimited, Unreachable, UsageCapReached
from ..times import parse_iso
from .base import Channel, Page, Published, RateLimit, ReplyRecord

TWEEPY_HOST = "https://api.twitter.com"
RECONCILE_PAGES = 10  # own posts read back when reconciling: up to 1,000, newest first
REPLY_FIELDS = ["author_id", "created_at", "conversation_id", "in_reply_to_user_id",
                "referenced_tweets", "public_metrics"]


class BaseURLAdapter(HTTPAdapter):
    """Sends tweepy's https://api.twitter.com requests to `base_url`, always with a timeout."""

    def __init__(self, base_url, timeout):
        super().__init__(max_retries=0)
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def send(self, request, **kwargs):
        if request.url.startswith(TWEEPY_HOST):
            request.url = self.base_url + request.url[len(TWEEPY_HOST):]
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        return super().send(request, **kwargs)


# -- pure functions: X JSON -> records ------------------------------------------------------

def reply_records(payload, root_id):
    """Records from one page of GET /2/tweets/search/recent (tweets in a conversation)."""
    users = {u["id"]: u.get("username") for u in payload.get("includes", {}).get("users", [])}
    records = []
    for tweet in payload.get("data") or []:
        if tweet["id"] == root_id:
            continue
        parent = next((r["id"] for r in tweet.get("referenced_tweets", []) if r.get("type") == "replied_to"),
                      None)
        author = users.get(tweet.get("author_id"))
        records.append(ReplyRecord(
            remote_id=str(tweet["id"]),
            parent_remote_id=str(parent) if parent else str(root_id),
            author=author,
            text=tweet.get("text", ""),
            created_at=x_time_to_iso(tweet.get("created_at")),
            url=f"https://x.com/{author or 'i'}/status/{tweet['id']}",
            like_count=tweet.get("public_metrics", {}).get("like_count"),
        ))
    return records


def x_time_to_iso(value):
    """2026-11-24T09:00:00.000Z -> 2026-11-24T09:00:00Z (our stored form)."""
    if not value:
        return None
    return value[:19] + "Z"


def rate_limit_from_headers(route, headers):
    lowered = {k.lower(): v for k, v in headers.items()}
    if "x-rate-limit-remaining" not in lowered:
        return None
    try:
        return RateLimit(
            route=route,
            limit=int(lowered.get("x-rate-limit-limit", 0)) or None,
            remaining=float(lowered["x-rate-limit-remaining"]),
            reset_at=float(lowered.get("x-rate-limit-reset", 0)) or None,
        )
    except ValueError:
        return None


def search_query(remote_ids):
    return " OR ".join(f"conversation_id:{rid}" for rid in remote_ids)


# -- the channel ------------------------------------------------------------------------------

class XChannel(Channel):
    name = "x"
    billable = True

    def __init__(self, *, base_url, account, api_key, api_secret, access_token, access_token_secret,
                 timeout=10.0, page_size=100):
        super().__init__(account)
        self.base_url = base_url
        self.page_size = max(10, min(100, int(page_size)))
        self.client = tweepy.Client(
            consumer_key=api_key, consumer_secret=api_secret, access_token=access_token,
            access_token_secret=access_token_secret, return_type=requests.Response,
            wait_on_rate_limit=False,
        )
        self.client.session.mount(TWEEPY_HOST, BaseURLAdapter(base_url, timeout))
        self.reads = 0  # billable posts read, for the cost estimate
        self._me = None

    @classmethod
    def from_config(cls, cfg):
        section = cfg["x"]
        return cls(
            base_url=section["base_url"], account=section["account"], timeout=section["timeout"],
            page_size=cfg["harvest"]["page_size"],
            api_key=cfg.require_secret("x", "api_key"),
            api_secret=cfg.require_secret("x", "api_secret"),
            access_token=cfg.require_secret("x", "access_token"),
            access_token_secret=cfg.require_secret("x", "access_token_secret"),
        )

    def call(self, route, fn, *args, **kwargs):
        """Call tweepy, record rate-limit headers, map every failure to our errors."""
        try:
            response = fn(*args, **kwargs)
        except tweepy.TooManyRequests as exc:
            self.note_limits(route, exc.response)
            if usage_capped(exc.response):
                raise UsageCapReached(
                    "X usage cap reached: harvesting and publishing on X pause until the cap resets "
                    "(raise the cap in the X developer portal)"
                ) from None
            reset = exc.reset_time or time.time() + 60
            raise RateLimited(f"X rate limit on {route}: try again after the reset", reset_at=reset) from None
        except tweepy.Unauthorized:
            raise ChannelError(
                "X rejected the credentials (401): check X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, "
                "X_ACCESS_TOKEN_SECRET"
            ) from None
        except tweepy.TwitterServerError as exc:
            raise ChannelError(f"X server error on {route} ({exc.response.status_code}): will try again later") from None
        except tweepy.HTTPException as exc:
            raise ChannelError(f"X refused {route}: {one_line(exc)}") from None
        except requests.exceptions.ConnectionError as exc:
            raise Unreachable(f"cannot reach X at {self.base_url} ({type(exc).__name__}): check [x] base_url "
                               "and the network") from None
        except requests.exceptions.Timeout:
            raise ChannelError(f"X did not answer {route} in time: will try again later") from None
        self.note_limits(route, response)
        return response

    def note_limits(self, route, response):
        limit = rate_limit_from_headers(route, response.headers) if response is not None else None
        if limit:
            self.rate_limits[route] = limit

    def json(self, route, response):
        try:
            return response.json()
        except ValueError:
            raise ChannelError(f"X sent malformed JSON on {route}: will try again later") from None

    def me(self):
        if self._me is None:
            response = self.call("users/me", self.client.get_me, user_auth=True)
            self._me = self.json("users/me", response)["data"]
        return self._me

    def publish(self, text, title=None, target=None):
        route = "tweets"
        try:
            response = self.client.create_tweet(text=text, user_auth=True)
        except tweepy.TooManyRequests as exc:
            self.note_limits(route, exc.response)
            if usage_capped(exc.response):
                raise UsageCapReached("X usage cap reached: publishing on X waits until the cap resets "
                                      "(raise the cap in the X developer portal)") from None
            raise RateLimited("X rate limit on posting: will post after the reset",
                              reset_at=exc.reset_time or time.time() + 60) from None
        except tweepy.Forbidden as exc:
            if "duplicate" in str(exc).lower():
                # An earlier attempt may have gone through: find it rather than guess.
                raise OutcomeUnknown("X says duplicate content: reconciling with the account's posts") from None
            raise ChannelError(f"X refused the post: {one_line(exc)}") from None
        except tweepy.Unauthorized:
            raise ChannelError("X rejected the credentials (401): check the X_* environment variables") from None
        except tweepy.TwitterServerError as exc:
            raise OutcomeUnknown(f"X answered {exc.response.status_code} to the post: it may exist") from None
        except tweepy.HTTPException as exc:
            raise ChannelError(f"X refused the post: {one_line(exc)}") from None
        except requests.exceptions.ConnectTimeout:
            raise Unreachable(f"cannot reach X at {self.base_url}: check [x] base_url") from None
        except requests.exceptions.ConnectionError as exc:
            if connection_refused(exc):
                raise Unreachable(f"cannot reach X at {self.base_url}: check [x] base_url") from None
            raise OutcomeUnknown("the connection to X dropped during the post: it may exist") from None
        except requests.exceptions.Timeout:
            raise OutcomeUnknown("X did not answer the post in time: it may exist") from None
        self.note_limits(route, response)
        try:
            data = response.json()["data"]
            tweet_id = str(data["id"])
        except (ValueError, KeyError, TypeError):
            raise OutcomeUnknown("X accepted the post but its answer was unreadable: reconciling") from None
        return Published(remote_id=tweet_id, url=f"https://x.com/i/status/{tweet_id}")

    def find_own_post(self, text, title=None, target=None, since=None):
        user = self.me()
        found, token = [], None
        for _ in range(RECONCILE_PAGES):  # newest first, back to `since` (a busy account posts > 100)
            response = self.call("users/tweets", self.client.get_users_tweets, user["id"], max_results=100,
                                 tweet_fields=["created_at", "conversation_id"], pagination_token=token,
                                 user_auth=True)
            payload = self.json("users/tweets", response)
            tweets = payload.get("data") or []
            self.reads += len(tweets)
            times = [parse_iso(x_time_to_iso(t.get("created_at"))) for t in tweets]
            found += [t for t, at in zip(tweets, times) if t.get("text") == text and (since is None or at >= since)]
            token = payload.get("meta", {}).get("next_token")
            if not token or (since is not None and times and min(times) < since):
                break
        return [Published(remote_id=str(t["id"]), url=f"https://x.com/i/status/{t['id']}",
                          published_at=x_time_to_iso(t.get("created_at"))) for t in found]

    def reported_reply_count(self, remote_id):
        response = self.call("tweets/:id", self.client.get_tweet, remote_id,
                             tweet_fields=["public_metrics"], user_auth=True)
        payload = self.json("tweets/:id", response)
        self.reads += 1
        if "data" not in payload:
            raise NotFound(f"X post {remote_id} is gone (deleted or never existed)")
        return payload["data"].get("public_metrics", {}).get("reply_count")

    def fetch_replies(self, remote_id, cursor=None):
        state = json.loads(cursor) if cursor else {}
        response = self.call(
            "tweets/search/recent", self.client.search_recent_tweets, search_query([remote_id]),
            max_results=self.page_size, next_token=state.get("next_token"), tweet_fields=REPLY_FIELDS,
            expansions=["author_id"], user_fields=["username"], user_auth=True,
        )
        payload = self.json("tweets/search/recent", response)
        records = reply_records(payload, remote_id)
        self.reads += len(payload.get("data") or [])
        next_token = payload.get("meta", {}).get("next_token")
        return Page(records, json.dumps({"next_token": next_token}) if next_token else None)


def usage_capped(response):
    """X answers a spent usage cap with a 429 whose body names it (no rate-limit headers)."""
    body = safe_json(response)
    return "usage-capped" in str(body.get("type", "")) or "UsageCap" in str(body.get("title", ""))


def safe_json(response):
    try:
        body = response.json()
        return body if isinstance(body, dict) else {}
    except ValueError:
        return {}


def one_line(exc):
    return " ".join(str(exc).split())[:300]


def connection_refused(exc):
    """True when the connection was never made (nothing reached the server)."""
    text = repr(exc)
    return "NewConnectionError" in text or "Connection refused" in text
