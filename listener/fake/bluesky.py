"""The fake Bluesky PDS and AppView, under /bsky (atproto's `Client(base_url=".../bsky/xrpc")`).

XRPC in its real shapes: createSession (300 a day per account) and refreshSession with JWTs that
expire, createRecord, getPostThread (depth capped at 10, about 200 descendants, no pagination;
a deleted post in a thread is a `#notFoundPost`, a deleted root a 400 `NotFound`), getAuthorFeed
(cursor), `ratelimit-limit/remaining/reset/policy` headers, errors `{"error", "message"}`.
"""

import base64
import json
import re
import secrets
from datetime import datetime, timezone

from .state import PlatformState

NAME = "bluesky"
PREFIX = "/bsky/xrpc"
ROUTES = [
    ("POST", PREFIX + r"/com\.atproto\.server\.createSession", "bluesky.session"),
    ("POST", PREFIX + r"/com\.atproto\.server\.refreshSession", "bluesky.refresh"),
    ("POST", PREFIX + r"/com\.atproto\.repo\.createRecord", "bluesky.create"),
    ("GET", PREFIX + r"/app\.bsky\.feed\.getPostThread", "bluesky.thread"),
    ("GET", PREFIX + r"/app\.bsky\.feed\.getAuthorFeed", "bluesky.feed"),
]
LIMITS = {"bluesky": (3000, 300), "bluesky.session": (300, 86400)}
MAX_DEPTH = 10
MAX_DESCENDANTS = 200
ACCESS_SECONDS = 2 * 3600
HANDLE_DOMAIN = "bsky.social"
LINK = re.compile(r"https?://\S+")
TID_CHARS = "234567abcdefghijklmnopqrstuvwxyz"


def jwt(payload):
    """An unsigned-looking JWT (the client only reads its payload, e.g. `exp`)."""
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(payload)}.{secrets.token_urlsafe(32)}"


def iso_ms(epoch):
    dt = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def facets(text):
    """Link facets with byte offsets (UTF-8), as the app (and atproto's TextBuilder) make them."""
    out = []
    for match in LINK.finditer(text):
        start = len(text[:match.start()].encode())
        out.append({"index": {"byteStart": start, "byteEnd": start + len(match.group().encode())},
                    "features": [{"$type": "app.bsky.richtext.facet#link", "uri": match.group()}]})
    return out


class State(PlatformState):
    """The fake Bluesky's data; saved with the rest of the platform."""

    def __init__(self, platform):
        super().__init__(platform)
        self.accounts = {}   # did -> {did, handle, displayName}
        self.sessions = {}   # access or refresh jwt -> [did, kind, expires epoch]
        self.posts = {}      # uri -> internal post
        self.children = {}   # uri -> [reply uris, ascending]
        self.seq = 0
        self.sessions_created = 0
        self.max_descendants = MAX_DESCENDANTS

    FIELDS = ["accounts", "sessions", "posts", "children", "seq", "sessions_created"]

    def size(self):
        return len(self.posts)

    def account(self, handle):
        handle = handle if "." in handle else f"{handle}.{HANDLE_DOMAIN}"
        for account in self.accounts.values():
            if account["handle"] == handle:
                return account
        did = "did:plc:" + "".join(self.platform.rng.choice(TID_CHARS) for _ in range(24))
        self.accounts[did] = {"did": did, "handle": handle, "displayName": handle.split(".")[0].replace("_", " ").title()}
        return self.accounts[did]

    def new_session(self, did):
        now = self.platform.now()
        access = jwt({"scope": "com.atproto.appPass", "sub": did, "iat": int(now), "exp": int(now + ACCESS_SECONDS),
                      "aud": "did:web:fake.bsky"})
        refresh = jwt({"scope": "com.atproto.refresh", "sub": did, "iat": int(now), "exp": int(now + 90 * 86400),
                       "jti": secrets.token_urlsafe(8), "aud": "did:web:fake.bsky"})
        self.sessions[access] = [did, "access", now + ACCESS_SECONDS]
        self.sessions[refresh] = [did, "refresh", now + 90 * 86400]
        account = self.accounts[did]
        return {"accessJwt": access, "refreshJwt": refresh, "handle": account["handle"], "did": did,
                "active": True}

    def create(self, did, text, reply_to=None, at=None, record_facets=None):
        at = self.platform.now() if at is None else at
        self.seq += 1
        rkey = tid(at, self.seq)
        uri = f"at://{did}/app.bsky.feed.post/{rkey}"
        parent = self.posts.get(reply_to) if reply_to else None
        self.posts[uri] = {"uri": uri, "cid": "bafyrei" + secrets.token_hex(26)[:52], "did": did, "text": text,
                           "created_at": at, "parent": reply_to, "root": parent and (parent["root"] or parent["uri"]),
                           "facets": record_facets if record_facets is not None else facets(text),
                           "deleted": False}
        if reply_to:
            self.children.setdefault(reply_to, []).append(uri)
        return self.posts[uri]

    def live_children(self, uri):
        return [c for c in self.children.get(uri, []) if not self.posts[c]["deleted"] or self.children.get(c)]

    # -- the control API's verbs ---------------------------------------------------------------

    def add_reply(self, post_id, text, author, parent_id, at, old=False):
        if post_id not in self.posts:
            raise KeyError(f"no post {post_id}")
        return self.create(self.account(author)["did"], text, reply_to=parent_id or post_id, at=at)["uri"]

    def delete(self, item_id):
        self.posts[item_id]["deleted"] = True

    def edit(self, item_id, text):
        raise KeyError("Bluesky posts cannot be edited")

    def root_posts(self):
        own = {did for did, kind, _ in self.sessions.values()}
        return [{"channel": NAME, "id": p["uri"], "text": p["text"], "author_id": p["did"],
                 "replies": self.count_descendants(p["uri"])}
                for p in self.posts.values() if p["parent"] is None and p["did"] in own]

    def count_descendants(self, uri):
        return sum(1 + self.count_descendants(c) for c in self.children.get(uri, []) if not self.posts[c]["deleted"])

    # -- JSON ------------------------------------------------------------------------------

    def post_view(self, post):
        record = {"$type": "app.bsky.feed.post", "text": post["text"], "createdAt": iso_ms(post["created_at"]),
                  "langs": ["en"]}
        if post["facets"]:
            record["facets"] = post["facets"]
        if post["parent"]:
            parent, root = self.posts[post["parent"]], self.posts[post["root"]]
            record["reply"] = {"root": {"uri": root["uri"], "cid": root["cid"]},
                               "parent": {"uri": parent["uri"], "cid": parent["cid"]}}
        account = self.accounts[post["did"]]
        return {"uri": post["uri"], "cid": post["cid"],
                "author": {"did": account["did"], "handle": account["handle"], "displayName": account["displayName"],
                           "labels": [], "createdAt": "2023-04-01T00:00:00.000Z"},
                "record": record, "replyCount": len(self.live_children(post["uri"])), "repostCount": 0,
                "likeCount": 0, "quoteCount": 0, "indexedAt": iso_ms(post["created_at"]), "labels": []}

    def thread_view(self, uri, depth, budget):
        """The thread under `uri` to `depth` levels, breadth first within the descendants budget."""
        post = self.posts[uri]
        if post["deleted"]:
            return {"$type": "app.bsky.feed.defs#notFoundPost", "uri": uri, "notFound": True}
        node = {"$type": "app.bsky.feed.defs#threadViewPost", "post": self.post_view(post)}
        if depth > 0:
            replies = []
            for child in self.live_children(uri):
                if budget[0] <= 0:
                    break
                budget[0] -= 1
                replies.append(child)
            node["replies"] = [self.thread_view(child, depth - 1, budget) for child in replies]
        return node


def tid(at, seq):
    """A record key in the TID form (13 base32-sortable characters from microseconds)."""
    value = (int(at * 1_000_000) << 10) | (seq % 1024)
    out = ""
    for _ in range(13):
        out = TID_CHARS[value & 31] + out
        value >>= 5
    return out


def limit_headers(route, limit, remaining, reset, used):
    return {"ratelimit-limit": limit, "ratelimit-remaining": remaining, "ratelimit-reset": int(reset),
            "ratelimit-policy": f"{limit};w=300"}


def too_many_body(route):
    return {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}


def server_error_body(route):
    return {"error": "InternalServerError", "message": "Internal Server Error"}


def bucket(route):
    return route if route == "bluesky.session" else "bluesky"


class Routes:
    """Handler methods for the routes above (mixed into the fake's request handler)."""

    def bluesky_state(self):
        return self.server.platform.plugins[NAME]

    def bluesky_did(self, kind="access"):
        auth = self.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.startswith("Bearer ") else ""
        found = self.bluesky_state().sessions.get(token)
        if not found or found[1] != kind:
            raise self.Reply(401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"})
        if found[2] <= self.server.platform.now():
            raise self.Reply(400, {"error": "ExpiredToken", "message": "Token has expired"})
        return found[0]

    def route_bluesky_session(self):
        body = self.json_body()
        if not body.get("identifier") or not body.get("password"):
            raise self.Reply(401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"})
        state = self.bluesky_state()
        state.sessions_created += 1
        return 200, state.new_session(state.account(body["identifier"])["did"])

    def route_bluesky_refresh(self):
        did = self.bluesky_did("refresh")
        return 200, self.bluesky_state().new_session(did)

    def route_bluesky_create(self):
        did = self.bluesky_did()
        body = self.json_body()
        record = body.get("record") or {}
        if body.get("repo") != did or body.get("collection") != "app.bsky.feed.post":
            raise self.Reply(400, {"error": "InvalidRequest", "message": "Input/repo must be the session's DID"})
        text = record.get("text") or ""
        if len(text) > 3000 or not text.strip():
            raise self.Reply(400, {"error": "InvalidRequest", "message": "Invalid app.bsky.feed.post record: text"})
        reply = (record.get("reply") or {}).get("parent", {}).get("uri")
        post = self.bluesky_state().create(did, text, reply_to=reply, record_facets=record.get("facets"))
        return 200, {"uri": post["uri"], "cid": post["cid"],
                     "commit": {"cid": "bafyrei" + secrets.token_hex(26)[:52], "rev": tid(post["created_at"], 0)},
                     "validationStatus": "valid"}

    def route_bluesky_thread(self):
        self.bluesky_did()
        state = self.bluesky_state()
        uri = self.query.get("uri", "")
        try:
            depth = int(self.query.get("depth") or 6)
        except ValueError:
            depth = 6
        if not 0 <= depth <= 1000:
            raise self.Reply(400, {"error": "InvalidRequest", "message": "depth must be 0-1000"})
        post = state.posts.get(uri)
        if post is None or post["deleted"]:
            raise self.Reply(400, {"error": "NotFound", "message": f"Post not found: {uri}"})
        return 200, {"thread": state.thread_view(uri, min(depth, MAX_DEPTH), [state.max_descendants])}

    def route_bluesky_feed(self):
        self.bluesky_did()
        state = self.bluesky_state()
        actor = self.query.get("actor", "")
        mine = sorted((p for p in state.posts.values() if actor in (p["did"], state.accounts[p["did"]]["handle"])
                       and not p["deleted"]), key=lambda p: p["uri"].rsplit("/", 1)[1], reverse=True)
        cursor = self.query.get("cursor")
        if cursor:
            mine = [p for p in mine if p["uri"].rsplit("/", 1)[1] < cursor]
        limit = max(1, min(100, int(self.query.get("limit") or 50)))
        page = mine[:limit]
        body = {"feed": [{"post": state.post_view(p)} for p in page]}
        if len(mine) > limit:
            body["cursor"] = page[-1]["uri"].rsplit("/", 1)[1]
        return 200, body
