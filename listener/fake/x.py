"""The fake X API v2 (at the root: /2/...; tweepy's host is rewritten to it).

Tweets as X stores them (`&`, `<`, `>` escaped, links on t.co, a reply starting with `@parent`),
19-digit snowflake ids, conversation search over 7 days with opaque next tokens, timelines with
start_time, `x-rate-limit-*` headers (epoch reset), problem-JSON errors, X's usage-cap 429.
"""

import base64
import hashlib
import re
import secrets
from datetime import datetime, timezone

from .reply import Reply
from .state import PlatformState

NAME = "x"
ROUTES = [
    ("GET", r"/2/users/me", "x.me"),
    ("POST", r"/2/tweets", "x.create"),
    ("GET", r"/2/tweets/search/recent", "x.search"),
    ("GET", r"/2/users/(?P<user_id>\d+)/tweets", "x.timeline"),
    ("GET", r"/2/tweets/(?P<tweet_id>\d+)", "x.tweet"),
    ("DELETE", r"/2/tweets/(?P<tweet_id>\d+)", "x.delete"),
]
# Per route and user: (requests, window seconds), as X documents them.
LIMITS = {"x.create": (100, 900), "x.search": (300, 900), "x.tweet": (900, 900), "x.timeline": (900, 900),
          "x.me": (75, 900)}
TWITTER_EPOCH_MS = 1288834974657
BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
LINK = re.compile(r"https?://\S+")


def x_stored_text(text, salt):
    """(text, urls) the way X stores a post: `&`, `<`, `>` as entities, every link a t.co link."""
    urls = []

    def shorten(match):
        expanded = match.group(0)
        digest = int(hashlib.sha256(f"{salt}|{expanded}".encode()).hexdigest(), 16)
        code = "".join(BASE62[(digest >> (6 * i)) % 62] for i in range(10))
        short = f"https://t.co/{code}"
        display = expanded.split("://", 1)[1]
        urls.append({"url": short, "expanded_url": expanded,
                     "display_url": display if len(display) <= 26 else display[:25] + "…"})
        return short

    def escape(part):
        return part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    parts, at = [], 0
    for match in LINK.finditer(text):  # links are found in the words as typed, the rest escaped
        parts += [escape(text[at:match.start()]), shorten(match)]
        at = match.end()
    return "".join(parts) + escape(text[at:]), urls


def x_time(epoch):
    """X's timestamp format, with milliseconds: 2026-11-24T09:00:00.000Z."""
    dt = datetime.fromtimestamp(epoch, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def url_entities(text, urls):
    """entities.urls for a stored text: start and end in code points, as X counts them."""
    entities, at = [], 0
    for link in urls:
        start = text.find(link["url"], at)
        if start < 0:
            continue
        at = start + len(link["url"])
        entities.append({"start": start, "end": at, **link})
    return entities


def x_query_time(value):
    """X's start_time parameter (2026-11-24T09:00:00Z) as epoch seconds; no parameter: the beginning."""
    if not value:
        return 0.0
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise Reply(400, {"title": "Invalid Request", "detail": f"Invalid start_time: {value}",
                          "type": "https://api.twitter.com/2/problems/invalid-request"}) from None


def encode_token(offset):
    raw = f"{offset:012d}:{secrets.token_hex(8)}".encode()
    return base64.b32encode(raw).decode().rstrip("=").lower()


def decode_token(token):
    try:
        padded = token.upper() + "=" * (-len(token) % 8)
        return int(base64.b32decode(padded).decode().split(":", 1)[0])
    except (ValueError, UnicodeDecodeError):
        return None


class State(PlatformState):
    """X's data: users, tokens, tweets and conversations (saved with the rest of the platform)."""

    FIELDS = ["x_users", "x_tokens", "tweets", "conversations", "x_seq"]

    def __init__(self, platform):
        super().__init__(platform)
        self.x_users = {}        # id -> {id, username, name}
        self.x_tokens = {}       # access token -> user id
        self.tweets = {}         # id -> tweet dict (internal form)
        self.conversations = {}  # root id -> [reply ids, ascending]
        self.x_seq = 0

    def size(self):
        return len(self.tweets)

    def x_user_for_token(self, token):
        if token not in self.x_tokens:
            user_id = str(1000000000 + len(self.x_users) + 1) + str(self.rng.randrange(10**8, 10**9))
            username = "listener_brand" if not self.x_users else f"listener_brand{len(self.x_users)}"
            self.x_users[user_id] = {"id": user_id, "username": username, "name": "Listener Brand"}
            self.x_tokens[token] = user_id
        return self.x_users[self.x_tokens[token]]

    def x_commenter(self, handle):
        for user in self.x_users.values():
            if user["username"] == handle:
                return user
        user_id = str(self.rng.randrange(10**17, 10**18))
        self.x_users[user_id] = {"id": user_id, "username": handle, "name": handle.replace("_", " ").title()}
        return self.x_users[user_id]

    def new_tweet_id(self, at):
        self.x_seq = (self.x_seq + 1) % 4096
        snowflake = (int(at * 1000) - TWITTER_EPOCH_MS) << 22 | (1 << 17) | self.x_seq
        while str(snowflake) in self.tweets:
            snowflake += 1
        return str(snowflake)

    def create_tweet(self, author_id, text, reply_to=None, at=None):
        """A post or reply as X stores it: escaped, links on t.co, a reply starting with `@parent `."""
        at = self.now() if at is None else at
        tweet_id = self.new_tweet_id(at)
        parent = self.tweets.get(reply_to) if reply_to else None
        mention = f"@{self.x_users[parent['author_id']]['username']} " if parent else ""
        stored, urls = x_stored_text(mention + text, tweet_id)
        tweet = {
            "id": tweet_id,
            "text": stored,
            "raw_text": text,
            "urls": urls,
            "author_id": author_id,
            "created_at": at,
            "conversation_id": parent["conversation_id"] if parent else tweet_id,
            "in_reply_to": reply_to,
            "in_reply_to_user_id": parent["author_id"] if parent else None,
            "like_count": 0,
            "deleted": False,
        }
        self.tweets[tweet_id] = tweet
        if parent:
            self.conversations.setdefault(tweet["conversation_id"], []).append(tweet_id)
        return tweet

    def duplicate_tweet(self, author_id, text):
        return any(
            t["author_id"] == author_id and t.get("raw_text", t["text"]) == text and not t["deleted"]
            for t in self.tweets.values()
            if t["in_reply_to"] is None
        )

    def reply_count(self, tweet_id):
        return sum(
            1 for rid in self.conversations.get(tweet_id, []) if not self.tweets[rid]["deleted"]
        )

    # -- the control API's verbs ---------------------------------------------------------------

    def add_reply(self, post_id, text, author, parent_id, at, old=False):
        if post_id not in self.tweets:
            raise KeyError(f"no tweet {post_id}")
        user = self.x_commenter(author)
        return self.create_tweet(user["id"], text, reply_to=parent_id or post_id, at=at)["id"]

    def add_post_like(self, like, text, at):
        return self.create_tweet(self.tweets[like]["author_id"], text, at=at)["id"]

    def delete(self, item_id):
        self.tweets[item_id]["deleted"] = True

    def edit(self, item_id, text):
        tweet = self.tweets[item_id]
        parent = self.tweets.get(tweet["in_reply_to"]) if tweet["in_reply_to"] else None
        mention = f"@{self.x_users[parent['author_id']]['username']} " if parent else ""
        tweet["text"], tweet["urls"] = x_stored_text(mention + text, item_id)
        tweet["raw_text"] = text

    def root_posts(self):
        return [
            {"channel": NAME, "id": t["id"], "text": t.get("raw_text", t["text"]), "stored_text": t["text"],
             "author_id": t["author_id"], "replies": self.reply_count(t["id"])}
            for t in self.tweets.values() if t["in_reply_to"] is None and t["author_id"] in self.x_tokens.values()
        ]


def bucket(route):
    return route


def limit_headers(route, limit, remaining, reset, used):
    return {"x-rate-limit-limit": limit, "x-rate-limit-remaining": remaining, "x-rate-limit-reset": int(reset)}


def too_many_body(route):
    return {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}


def usage_cap_body(route):
    return {"title": "UsageCapExceeded", "detail": "Usage cap exceeded: Monthly product cap",
            "type": "https://api.twitter.com/2/problems/usage-capped", "period": "Monthly", "scope": "Product"}


def server_error_body(route):
    return {"title": "Service Unavailable", "detail": "Service Unavailable", "status": 503, "type": "about:blank"}


class Routes:
    """Handler methods for the routes above (mixed into the fake's request handler)."""

    def x_user(self):
        auth = self.headers.get("Authorization", "")
        match = re.search(r'oauth_token="([^"]+)"', auth)
        if not auth.startswith("OAuth ") or not match:
            raise self.Reply(401, {"title": "Unauthorized", "type": "about:blank", "status": 401,
                              "detail": "Unauthorized"})
        return self.server.platform.plugins[NAME].x_user_for_token(match.group(1))

    def route_x_me(self):
        user = self.x_user()
        return 200, {"data": dict(user)}

    def route_x_create(self):
        user = self.x_user()
        body = self.json_body()
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise self.Reply(400, {"errors": [{"message": "text is required"}], "title": "Invalid Request",
                              "detail": "One or more parameters to your request was invalid.",
                              "type": "https://api.twitter.com/2/problems/invalid-request"})
        platform = self.server.platform.plugins[NAME]
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if not reply_to and platform.duplicate_tweet(user["id"], text):
            raise self.Reply(403, {"detail": "You are not allowed to create a Tweet with duplicate content.",
                              "type": "about:blank", "title": "Forbidden", "status": 403})
        tweet = platform.create_tweet(user["id"], text, reply_to=reply_to)
        return 201, {"data": {"id": tweet["id"], "text": tweet["text"],
                              "edit_history_tweet_ids": [tweet["id"]]}}

    def tweet_json(self, tweet, fields):
        data = {"id": tweet["id"], "text": tweet["text"], "edit_history_tweet_ids": [tweet["id"]]}
        if "author_id" in fields:
            data["author_id"] = tweet["author_id"]
        if "created_at" in fields:
            data["created_at"] = x_time(tweet["created_at"])
        if "entities" in fields and tweet.get("urls"):
            data["entities"] = {"urls": url_entities(tweet["text"], tweet["urls"])}
        if "conversation_id" in fields:
            data["conversation_id"] = tweet["conversation_id"]
        if "in_reply_to_user_id" in fields and tweet["in_reply_to_user_id"]:
            data["in_reply_to_user_id"] = tweet["in_reply_to_user_id"]
        if "referenced_tweets" in fields and tweet["in_reply_to"]:
            data["referenced_tweets"] = [{"type": "replied_to", "id": tweet["in_reply_to"]}]
        if "public_metrics" in fields:
            data["public_metrics"] = {
                "retweet_count": 0, "reply_count": self.server.platform.plugins[NAME].reply_count(tweet["id"]),
                "like_count": tweet["like_count"], "quote_count": 0, "bookmark_count": 0,
                "impression_count": 0,
            }
        return data

    def fields(self):
        return set(filter(None, self.query.get("tweet.fields", "").split(",")))

    def with_includes(self, tweets, payload):
        """includes.users for the expansions asked for: author_id, in_reply_to_user_id."""
        expansions = self.query.get("expansions", "").split(",")
        keys = [key for key in ("author_id", "in_reply_to_user_id") if key in expansions]
        users = self.server.platform.plugins[NAME].x_users
        seen = {}
        for tweet in tweets:
            for key in keys:
                user = users.get(tweet.get(key) or "")
                if user:
                    seen[user["id"]] = {"id": user["id"], "name": user["name"], "username": user["username"]}
        if seen:
            payload["includes"] = {"users": list(seen.values())}
        return payload

    def page(self, ids, default_size, low, high):
        try:
            size = int(self.query.get("max_results", default_size))
        except ValueError:
            size = -1
        if not low <= size <= high:
            raise self.Reply(400, {"errors": [{"parameters": {"max_results": [self.query.get("max_results")]},
                                          "message": f"The `max_results` query parameter value "
                                                     f"[{self.query.get('max_results')}] is not between "
                                                     f"{low} and {high}"}],
                              "title": "Invalid Request",
                              "detail": "One or more parameters to your request was invalid.",
                              "type": "https://api.twitter.com/2/problems/invalid-request"})
        token = self.query.get("next_token") or self.query.get("pagination_token")
        offset = decode_token(token) if token else 0
        if offset is None:
            raise self.Reply(400, {"title": "Invalid Request", "detail": "invalid pagination token",
                              "type": "https://api.twitter.com/2/problems/invalid-request"})
        chunk = ids[offset:offset + size]
        step = size - 1 if "repeat_across_pages" in self.server.quirks and size > 1 else size
        next_token = encode_token(offset + step) if offset + size < len(ids) else None
        return chunk, next_token

    def route_x_search(self):
        self.x_user()
        platform = self.server.platform.plugins[NAME]
        query = self.query.get("query", "")
        roots = re.findall(r"conversation_id:(\d+)", query)
        if not roots or len(query) > 512:
            raise self.Reply(400, {"title": "Invalid Request", "detail": "query must use conversation_id: "
                              "and be at most 512 characters",
                              "type": "https://api.twitter.com/2/problems/invalid-request"})
        since_id = int(self.query.get("since_id") or 0)
        oldest = platform.now() - 7 * 86400
        ids = []
        for root in roots:
            for tid in platform.conversations.get(root, []):
                tweet = platform.tweets[tid]
                if not tweet["deleted"] and int(tid) > since_id and tweet["created_at"] >= oldest:
                    ids.append(tid)
        ids.sort(key=int, reverse=True)
        chunk, next_token = self.page(ids, 10, 10, 100)
        tweets = [platform.tweets[tid] for tid in chunk]
        return 200, self.with_includes(tweets, self.tweets_page(tweets, next_token, self.fields()))

    def route_x_tweet(self, tweet_id):
        self.x_user()
        tweet = self.server.platform.plugins[NAME].tweets.get(tweet_id)
        if not tweet or tweet["deleted"]:
            return 200, {"errors": [{"value": tweet_id, "detail": f"Could not find tweet with id: [{tweet_id}].",
                                     "title": "Not Found Error", "resource_type": "tweet",
                                     "parameter": "id", "resource_id": tweet_id,
                                     "type": "https://api.twitter.com/2/problems/resource-not-found"}]}
        return 200, self.with_includes([tweet], {"data": self.tweet_json(tweet, self.fields())})

    def route_x_delete(self, tweet_id):
        user = self.x_user()
        tweet = self.server.platform.plugins[NAME].tweets.get(tweet_id)
        if tweet and tweet["author_id"] == user["id"]:
            tweet["deleted"] = True
        return 200, {"data": {"deleted": True}}

    def route_x_timeline(self, user_id):
        self.x_user()
        platform = self.server.platform.plugins[NAME]
        since_id = int(self.query.get("since_id") or 0)
        start = x_query_time(self.query.get("start_time"))
        ids = sorted(
            (t["id"] for t in platform.tweets.values()
             if t["author_id"] == user_id and not t["deleted"] and int(t["id"]) > since_id
             and t["created_at"] >= start),
            key=int, reverse=True,
        )
        chunk, next_token = self.page(ids, 10, 5, 100)
        tweets = [platform.tweets[tid] for tid in chunk]
        fields = self.fields() - ({"created_at"} if "no_created_at" in self.server.quirks else set())
        return 200, self.tweets_page(tweets, next_token, fields)

    def tweets_page(self, tweets, next_token, fields):
        """A page of tweets as X lists them: `data` only when there are some, `meta` always."""
        meta = {"result_count": len(tweets)}
        if tweets:
            meta.update(newest_id=tweets[0]["id"], oldest_id=tweets[-1]["id"])
        if next_token:
            meta["next_token"] = next_token
        if not tweets:
            return {"meta": meta}
        return {"data": [self.tweet_json(t, fields) for t in tweets], "meta": meta}
