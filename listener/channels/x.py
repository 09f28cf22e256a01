"""X (Twitter) through tweepy.Client, API v2, OAuth 1.0a user context.

tweepy fixes its host to https://api.twitter.com and sets no timeout, so the client's session
gets an adapter that rewrites that prefix to the configured base URL and always applies a
timeout. tweepy's signing, error mapping and parameters all still run.
"""

import json
import re
import time
import unicodedata
from datetime import timedelta

import requests
import tweepy
from requests.adapters import HTTPAdapter

from .. import checks
from ..errors import (ChannelError, DuplicateContent, NotFound, OutcomeUnknown, RateLimited, Unreachable,
                      UsageCapReached, one_line)
from ..times import parse_iso
from .base import Channel, Page, Published, RateLimit, ReplyRecord, never_connected

TWEEPY_HOST = "https://api.twitter.com"
RECONCILE_PAGES = 10  # own posts read back when reconciling: up to 1,000, newest first
REPLY_FIELDS = ["author_id", "created_at", "conversation_id", "in_reply_to_user_id",
                "referenced_tweets", "public_metrics", "entities"]
# X stores `&`, `<` and `>` as these entities (and nothing else); `&amp;` is undone last, so
# "&amp;lt;" (a literal "&lt;" typed by someone) comes back as "&lt;": unescaped exactly once.
X_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
LINK = re.compile(r"https?://\S+")
# X starts a reply's text with the handles of the conversation it answers; X's apps show them as
# "Replying to @...", not as the reply's words, so that prefix is not stored (nor scored) as what
# the person said. Only that prefix goes: other handles the person typed, and whitespace, stay.


class BaseURLAdapter(HTTPAdapter):
    """Sends tweepy's https://api.twitter.com requests to `base_url`, always with a timeout."""

    def __init__(self, base_url, timeout, on_response=None):
        super().__init__(max_retries=0)
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.on_response = on_response

    def send(self, request, **kwargs):
        if request.url.startswith(TWEEPY_HOST):
            request.url = self.base_url + request.url[len(TWEEPY_HOST):]
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        response = super().send(request, **kwargs)
        if self.on_response:
            self.on_response(response)
        return response


# -- pure functions: X JSON -> records ------------------------------------------------------

def reply_records(payload, root_id):
    """Records from one page of GET /2/tweets/search/recent (tweets in a conversation)."""
    users = {u["id"]: u.get("username") for u in payload.get("includes", {}).get("users", [])}
    people = participants(payload)
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
            text=without_reply_prefix(tweet_text(tweet), people),
            created_at=x_time_to_iso(tweet.get("created_at")),
            url=f"https://x.com/{author or 'i'}/status/{tweet['id']}",
            like_count=tweet.get("public_metrics", {}).get("like_count"),
        ))
    return records


def without_reply_prefix(text, participants):
    """`text` without the leading "@a @b " X puts before a reply: handles of the conversation's people.

    The run stops at the first handle that is not a participant, so handles a person typed stay.
    """
    while text.startswith("@"):
        handle, _, rest = text[1:].partition(" ")
        if handle.lower() not in participants:
            break
        text = rest
    return text


def participants(payload):
    """Lower-cased handles of the people in a search page: authors, people answered, their mentions."""
    users = payload.get("includes", {}).get("users", [])
    names = {u["username"].lower() for u in users if u.get("username")}
    ids = {u["id"] for u in users}
    for tweet in payload.get("data") or []:
        ids.update(filter(None, (tweet.get("author_id"), tweet.get("in_reply_to_user_id"))))
    for tweet in payload.get("data") or []:
        for mention in (tweet.get("entities") or {}).get("mentions") or []:
            if mention.get("id") in ids and mention.get("username"):
                names.add(mention["username"].lower())
    return names


def tweet_text(tweet):
    """The words as written: X's three entities undone once, t.co links back to the expanded URL."""
    text = unescape_x(tweet.get("text") or "")
    for link in (tweet.get("entities") or {}).get("urls") or []:
        if link.get("url") and link.get("expanded_url"):
            text = text.replace(link["url"], link["expanded_url"])
    return text


def unescape_x(text):
    for entity, char in X_ENTITIES:
        text = text.replace(entity, char)
    return text


def match_key(text):
    """What survives X's rewriting of a post: links (t.co or not) as one token, whitespace collapsed, NFC."""
    return " ".join(LINK.sub("<link>", unicodedata.normalize("NFC", text)).split())


def own_posts(pages, text, since=None):
    """Posts among timeline `pages` whose text is `text` as X rewrites it, posted at or after `since`.

    A post listed on two pages (new posts arriving between reads shift the pages) is one post; a
    post without created_at is kept (the timeline read itself was bounded by start_time).
    """
    wanted = match_key(text)
    found = {}
    for payload in pages:
        for tweet in payload.get("data") or []:
            at = parse_iso(x_time_to_iso(tweet.get("created_at")))
            if since is not None and at is not None and at < since:
                continue
            if match_key(tweet_text(tweet)) == wanted:
                found.setdefault(str(tweet["id"]), tweet)
    return [Published(remote_id=tid, url=f"https://x.com/i/status/{tid}",
                      published_at=x_time_to_iso(t.get("created_at"))) for tid, t in found.items()]


def oldest_time(payload):
    times = [parse_iso(x_time_to_iso(t.get("created_at"))) for t in payload.get("data") or []]
    times = [t for t in times if t is not None]
    return min(times) if times else None


def x_time_to_iso(value):
    """2026-11-24T09:00:00.000Z -> 2026-11-24T09:00:00Z (our stored form)."""
    if not value or not isinstance(value, str) or len(value) < 19:
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


X_MAX_WEIGHT = 280
# twitter-text's weighted ranges: these code points weigh 1, all others (CJK, emoji) 2; a URL 23.
LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
URL_WEIGHT = 23


def weighted_length(text):
    """X's length of `text`: NFC, each link 23, light characters 1, others (CJK, emoji) 2."""
    text = unicodedata.normalize("NFC", text)
    links = LINK.findall(text)
    rest = LINK.sub("", text)
    return URL_WEIGHT * len(links) + sum(
        1 if any(low <= ord(ch) <= high for low, high in LIGHT_RANGES) else 2 for ch in rest)


# -- the channel ------------------------------------------------------------------------------

class XChannel(Channel):
    name = "x"
    position = 10
    display_name = "X"
    billable = True
    settings = {"base_url": "https://api.twitter.com", "timeout": 10.0}
    setting_checks = {"base_url": checks.url("https://api.twitter.com"), "timeout": checks.positive("seconds")}
    secrets = {"api_key": "X_API_KEY", "api_secret": "X_API_SECRET", "access_token": "X_ACCESS_TOKEN",
               "access_token_secret": "X_ACCESS_TOKEN_SECRET"}
    cost_settings = {"x_read_usd": 0.005, "x_post_usd": 0.015}
    refuses_duplicates = True
    harvest_route = "tweets/search/recent"
    search_window = timedelta(days=7)
    in_default_channels = True
    fake_secrets = {"api_key": "demo-key", "api_secret": "demo-secret", "access_token": "demo-token",
                    "access_token_secret": "demo-token-secret"}
    fake_create_route = "x.create"
    fake_limit_routes = ("x.search", "x.tweet", "x.create", "x.timeline", "x.me")

    @classmethod
    def fake_settings(cls, base_url):
        return {"base_url": base_url}

    @classmethod
    def check_question(cls, text, variant, fail, cfg=None):
        text = variant.get("text", text)
        weight = weighted_length(text)
        if weight > X_MAX_WEIGHT:
            fail("x.text" if "text" in variant else "text",
                 f"{weight} characters (as X counts them: links 23, CJK and emoji 2) is over X's "
                 f"{X_MAX_WEIGHT}: shorten it or add a shorter [x] text")

    @classmethod
    def cost(cls, cfg, reads, posts):
        return reads * cfg["cost"]["x_read_usd"] + posts * cfg["cost"]["x_post_usd"]

    @classmethod
    def coverage_reasons(cls, harvested, reported, published, now):
        if harvested >= reported:
            return []
        if now - published > cls.search_window:
            return ["replies older than 7 days are beyond X's recent search",
                    "X counts replies it does not return (protected, withheld or deleted accounts)"]
        return ["X counts replies it does not return (protected, withheld or deleted accounts)"]

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
        self.client.session.mount(TWEEPY_HOST, BaseURLAdapter(
            base_url, timeout, on_response=lambda r: self.note_date(r.headers, time.time())))
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
            if never_connected(exc):
                raise Unreachable(f"cannot reach X at {self.base_url} ({type(exc).__name__}): check [x] base_url "
                                  "and the network") from None
            raise ChannelError(f"the connection to X dropped during {route}: will try again later") from None
        except requests.exceptions.Timeout:
            raise ChannelError(f"X did not answer {route} in time: will try again later") from None
        except requests.exceptions.RequestException as exc:  # a broken body, a bad redirect...
            raise ChannelError(f"X's answer to {route} was broken ({type(exc).__name__}): "
                               "will try again later") from None
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

    def publish(self, text, title=None, target=None, key=None):
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
                raise DuplicateContent("X refused the post as a duplicate of an earlier post") from None
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
            if never_connected(exc):
                raise Unreachable(f"cannot reach X at {self.base_url}: check [x] base_url") from None
            raise OutcomeUnknown("the connection to X dropped during the post: it may exist") from None
        except requests.exceptions.Timeout:
            raise OutcomeUnknown("X did not answer the post in time: it may exist") from None
        except requests.exceptions.RequestException as exc:  # sent, then the answer broke
            raise OutcomeUnknown(f"X's answer to the post was broken ({type(exc).__name__}): it may exist") from None
        self.note_limits(route, response)
        try:
            data = response.json()["data"]
            tweet_id = str(data["id"])
        except (ValueError, KeyError, TypeError):
            raise OutcomeUnknown("X accepted the post but its answer was unreadable: reconciling") from None
        return Published(remote_id=tweet_id, url=f"https://x.com/i/status/{tweet_id}")

    def find_own_post(self, text, title=None, target=None, since=None):
        """Our posts with this text since `since` (this machine's time), read only back to then.

        `since` moves to the platform's clock (measured from Date headers), so a machine clock
        ahead of X's never hides the post. Every post read is a billable read (self.reads).
        """
        user = self.me()
        start = None
        if since is not None:
            since = since - timedelta(seconds=self.clock_skew)
            start = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        pages, token = [], None
        try:
            for _ in range(RECONCILE_PAGES):  # newest first, back to `since` (a busy account posts > 100)
                response = self.call("users/tweets", self.client.get_users_tweets, user["id"], max_results=100,
                                     tweet_fields=["created_at", "conversation_id", "entities"],
                                     pagination_token=token, start_time=start, user_auth=True)
                payload = self.json("users/tweets", response)
                pages.append(payload)
                self.reads += len(payload.get("data") or [])
                token = (payload.get("meta") or {}).get("next_token")
                oldest = oldest_time(payload)
                if not token or (since is not None and oldest is not None and oldest < since):
                    break
            return own_posts(pages, text, since)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ChannelError(f"X sent an unexpected timeline answer ({one_line(exc, 80)}): "
                               "will try again later") from None

    def reported_reply_count(self, remote_id):
        response = self.call("tweets/:id", self.client.get_tweet, remote_id,
                             tweet_fields=["public_metrics"], user_auth=True)
        payload = self.json("tweets/:id", response)
        self.reads += 1
        if "data" not in payload:
            raise NotFound(f"X post {remote_id} is gone (deleted or never existed)")
        try:
            return (payload["data"].get("public_metrics") or {}).get("reply_count")
        except AttributeError:
            raise ChannelError(f"X sent an unexpected answer for post {remote_id}: will try again later") from None

    def fetch_replies(self, remote_id, cursor=None):
        state = json.loads(cursor) if cursor else {}
        response = self.call(
            "tweets/search/recent", self.client.search_recent_tweets, search_query([remote_id]),
            max_results=self.page_size, next_token=state.get("next_token"), tweet_fields=REPLY_FIELDS,
            expansions=["author_id", "in_reply_to_user_id"], user_fields=["username"], user_auth=True,
        )
        payload = self.json("tweets/search/recent", response)
        try:
            records = reply_records(payload, remote_id)
            next_token = (payload.get("meta") or {}).get("next_token")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ChannelError(f"X sent an unexpected search answer ({one_line(exc, 80)}): "
                               "will try again later") from None
        self.reads += len(payload.get("data") or [])
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


