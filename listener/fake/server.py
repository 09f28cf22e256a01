"""The fake social platform: a real HTTP server speaking the subset of X API v2 and Reddit's API
that listener uses, with the same JSON shapes, status codes, pagination and rate-limit headers,
plus control endpoints under /_fake/ to add replies, inject faults and list what was posted.

X routes live at the root (/2/...), Reddit's under /reddit/ (point praw's oauth_url and
reddit_url there).
"""

import base64
import email.utils
import json
import random
import re
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from .platform import PLUGINS, Platform, x_time

X_ROUTES = [
    ("GET", r"/2/users/me", "x.me"),
    ("POST", r"/2/tweets", "x.create"),
    ("GET", r"/2/tweets/search/recent", "x.search"),
    ("GET", r"/2/users/(?P<user_id>\d+)/tweets", "x.timeline"),
    ("GET", r"/2/tweets/(?P<tweet_id>\d+)", "x.tweet"),
    ("DELETE", r"/2/tweets/(?P<tweet_id>\d+)", "x.delete"),
]
REDDIT_ROUTES = [
    ("POST", r"/reddit/api/v1/access_token", "reddit.token"),
    ("GET", r"/reddit/api/v1/me", "reddit.me"),
    ("POST", r"/reddit/api/submit/?", "reddit.submit"),
    ("GET", r"/reddit/comments/(?P<submission_id>[0-9a-z]+)/_/(?P<comment_id>[0-9a-z]+)/?", "reddit.thread"),
    ("GET", r"/reddit/comments/(?P<submission_id>[0-9a-z]+)(/[^/]*)?/?", "reddit.comments"),
    ("POST", r"/reddit/api/morechildren/?", "reddit.morechildren"),
    ("GET", r"/reddit/api/morechildren/?", "reddit.morechildren"),
    ("GET", r"/reddit/user/(?P<username>[^/]+)/submitted/?", "reddit.submitted"),
]
CONTROL_ROUTES = [
    ("GET", r"/_fake/posts", "posts"),
    ("POST", r"/_fake/posts", "add_posts"),
    ("POST", r"/_fake/replies", "replies"),
    ("POST", r"/_fake/faults", "faults"),
    ("DELETE", r"/_fake/faults", "clear_faults"),
    ("POST", r"/_fake/limits", "limits"),
    ("POST", r"/_fake/config", "config"),
    ("POST", r"/_fake/clock", "clock"),
    ("POST", r"/_fake/delete", "delete"),
    ("POST", r"/_fake/edit", "edit"),
    ("POST", r"/_fake/hidden", "hidden"),
    ("GET", r"/_fake/stats", "stats"),
    ("POST", r"/_fake/save", "save"),
]
PLUGIN_ROUTES = [route for module in PLUGINS.values() for route in module.ROUTES]
ROUTES = [(m, re.compile(p + "$"), name) for m, p, name in X_ROUTES + REDDIT_ROUTES + PLUGIN_ROUTES + CONTROL_ROUTES]

# Default rate limits per route and user: (requests, window seconds), as the real APIs document.
DEFAULT_LIMITS = {
    "x.create": (100, 900),
    "x.search": (300, 900),
    "x.tweet": (900, 900),
    "x.timeline": (900, 900),
    "x.me": (75, 900),
    "reddit": (1000, 600),  # one budget for every Reddit OAuth route
    "reddit.token": (600, 600),  # the login endpoint has a budget of its own
}
for _module in PLUGINS.values():
    DEFAULT_LIMITS.update(_module.LIMITS)
# html_body: an error status with an HTML page (a proxy's); text_body: the same as text/plain;
# captive_portal: 200 with an HTML login page (a hotel's Wi-Fi) where JSON was expected.
FAULT_KINDS = {"429", "5xx", "slow", "malformed", "drop", "lost", "lost_500", "usage_cap", "html_body",
               "text_body", "captive_portal"}
# Quirks of real responses, switched on with POST /_fake/config {"quirks": [...]}:
# no_created_at: the timeline omits created_at; repeat_across_pages: a timeline page starts with
# the previous page's last post (a new post shifted the pages); no_limit_headers: no Reddit
# response carries rate-limit headers (by default only these listings lack them, as on Reddit):
REDDIT_ROUTES_WITHOUT_LIMIT_HEADERS = {"reddit.submitted", "reddit.thread"}
QUIRKS = {"no_created_at", "repeat_across_pages", "no_limit_headers"}
MORECHILDREN_EXPANDS = 20  # Reddit expands about 20 comments per call and returns the rest as a new `more`


class Reply(Exception):
    """Raised by a route to answer right away: status, JSON-able body, extra headers."""

    def __init__(self, status, body, headers=None, content_type="application/json"):
        self.status, self.body, self.headers, self.content_type = status, body, headers or {}, content_type


class DropConnection(Exception):
    """Close the socket without answering (after the route's work, for 'lost' faults)."""


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        """A client killed mid-request (the crash tests do that) is normal here, not worth a traceback."""
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def __init__(self, address, platform):
        super().__init__(address, Handler)
        self.platform = platform
        self.faults = []          # [{route, kind, count, status, reset, delay}]
        self.limits = dict(DEFAULT_LIMITS)
        self.windows = {}         # (bucket, user) -> [window_start, used]
        self.random_429 = 0.0
        self.quirks = set()
        self.rng = random.Random(0)
        self.stats = {"requests": {}, "status": {}, "rate_limited": 0}

    def platform_changed(self):
        """Save small states right away so a standalone fake survives a restart."""
        platform = self.platform
        if platform.state_file and len(platform.tweets) + len(platform.comments) < 50000:
            platform.save()

    @property
    def base_url(self):
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


def plugin(route):
    """The module of a platform that registered its routes (listener/fake/NAME.py), or None."""
    return PLUGINS.get(route.split(".")[0])


class Handler(*[module.Routes for module in PLUGINS.values()], BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakePlatform/1.0"
    Reply = Reply  # for the platform modules' routes

    def log_message(self, *args):
        pass

    def date_time_string(self, timestamp=None):
        """The Date header in the platform's own time (/_fake/clock moves it), as real servers send theirs."""
        return email.utils.formatdate(self.server.platform.now() if timestamp is None else timestamp, usegmt=True)

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")

    # -- plumbing ------------------------------------------------------------------------

    def dispatch(self, method):
        url = urlsplit(self.path)
        self.query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        for route_method, pattern, name in ROUTES:
            match = pattern.match(url.path)
            if match and route_method == method:
                break
        else:
            return self.send(404, {"title": "Not Found Error", "detail": f"no route {method} {url.path}"})
        server = self.server
        platform = server.platform
        stats = server.stats["requests"]
        stats[name] = stats.get(name, 0) + 1
        try:
            if pattern.pattern.startswith("/_fake"):
                with platform.lock:
                    result = getattr(self, "control_" + name)()
                return self.send(200, result)
            fault = self.take_fault(name)
            if fault and fault["kind"] == "slow":
                time.sleep(fault.get("delay", 30))
            if fault and fault["kind"] in ("429", "5xx", "malformed", "drop", "usage_cap", "html_body",
                                           "text_body", "captive_portal"):
                return self.apply_fault(name, fault)
            headers = self.check_rate_limit(name)
            with platform.lock:
                status, body, *extra = getattr(self, "route_" + name.replace(".", "_"))(**match.groupdict())
            headers = {**headers, **(extra[0] if extra else {})}
            if fault and fault["kind"] == "lost":
                raise DropConnection()
            if fault and fault["kind"] == "lost_500":
                return self.send(500, self.server_error_body(name))
            return self.send(status, body, headers)
        except Reply as reply:
            return self.send(reply.status, reply.body, reply.headers, reply.content_type)
        except DropConnection:
            self.drop()

    def send(self, status, body, headers=None, content_type="application/json"):
        stats = self.server.stats["status"]
        stats[str(status)] = stats.get(str(status), 0) + 1
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        if self.close_connection:  # the client asked for it (prawcore's token request does): say so
            self.send_header("Connection", "close")
        for key, value in (headers or {}).items():
            self.send_header(key, str(value))
        self.end_headers()
        self.wfile.write(raw)

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def json_body(self):
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError:
            raise Reply(400, {"title": "Invalid Request", "detail": "body is not JSON"}) from None

    def form(self):
        return {k: v[-1] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}

    # -- faults and limits ---------------------------------------------------------------

    def take_fault(self, route):
        with self.server.platform.lock:
            for fault in self.server.faults:
                if fault["route"] in (route, route.split(".")[0], "*") and fault["count"] > 0:
                    fault["count"] -= 1
                    return fault
        return None

    def apply_fault(self, route, fault):
        kind = fault["kind"]
        if kind == "429":
            return self.send(429, *self.too_many(route, time.time() + fault.get("reset", 60)))
        if kind == "usage_cap":
            body = {"title": "UsageCapExceeded", "detail": "Usage cap exceeded: Monthly product cap",
                    "type": "https://api.twitter.com/2/problems/usage-capped", "period": "Monthly",
                    "scope": "Product"}
            return self.send(429, body)
        if kind == "5xx":
            return self.send(fault.get("status", 503), self.server_error_body(route))
        if kind == "malformed":
            return self.send(200, b'{"data": [{"id": "12', content_type="application/json")
        if kind == "html_body":
            status = fault.get("status", 503)
            page = (f"<html>\n<head><title>{status} Service Temporarily Unavailable</title></head>\n<body>\n"
                    f"<center><h1>{status} Service Temporarily Unavailable</h1></center>\n<hr><center>nginx</center>\n"
                    "</body>\n</html>\n")
            return self.send(status, page.encode(), content_type="text/html")
        if kind == "text_body":
            return self.send(fault.get("status", 502), b"upstream connect error or disconnect/reset before headers.\n"
                             b"reset reason: connection termination\n", content_type="text/plain")
        if kind == "captive_portal":
            page = ("<!DOCTYPE html>\n<html><head><title>Welcome to Hotel Wi-Fi</title></head>\n<body><form>"
                    "<p>Please accept the terms to continue</p>\n<input type=submit value=Accept></form></body></html>\n")
            return self.send(200, page.encode(), content_type="text/html")
        self.drop()

    def server_error_body(self, route):
        if plugin(route):
            return plugin(route).server_error_body(route)
        if route.startswith("reddit"):
            return b"<html><body><h1>500 Internal Server Error</h1></body></html>"
        return {"title": "Service Unavailable", "detail": "Service Unavailable", "status": 503,
                "type": "about:blank"}

    def bucket(self, route):
        if plugin(route):
            return plugin(route).bucket(route)
        if route == "reddit.token":
            return route
        return "reddit" if route.startswith("reddit") else route

    def user_key(self):
        """Who is calling: the OAuth 1.0a access token or the bearer token, not the signature."""
        auth = self.headers.get("Authorization", "")
        match = re.search(r'oauth_token="([^"]+)"', auth)
        return match.group(1) if match else auth.split(" ", 1)[-1]

    def check_rate_limit(self, route):
        server = self.server
        bucket = self.bucket(route)
        limit, window = server.limits.get(bucket, (10**9, 900))
        now = time.time()
        with server.platform.lock:
            key = (bucket, self.user_key())
            start, used = server.windows.get(key, (now, 0))
            if now >= start + window:
                start, used = now, 0
            reset = start + window
            if used >= limit:
                raise Reply(429, *self.too_many(route, reset))
            if server.random_429 and server.rng.random() < server.random_429:
                server.stats["random_429"] = server.stats.get("random_429", 0) + 1  # injected, not earned
                raise Reply(429, *self.too_many(route, reset))
            used += 1
            server.windows[key] = [start, used]
        if route.startswith("reddit") and (route in REDDIT_ROUTES_WITHOUT_LIMIT_HEADERS or route == "reddit.token"
                                           or "no_limit_headers" in server.quirks):
            return {}
        return self.limit_headers(route, limit, limit - used, reset, used)

    def limit_headers(self, route, limit, remaining, reset, used):
        if plugin(route):
            return plugin(route).limit_headers(route, limit, remaining, reset, used)
        if route.startswith("reddit"):
            return {"x-ratelimit-used": used, "x-ratelimit-remaining": f"{float(remaining):.1f}",
                    "x-ratelimit-reset": max(0, int(reset - time.time()))}
        return {"x-rate-limit-limit": limit, "x-rate-limit-remaining": remaining,
                "x-rate-limit-reset": int(reset)}

    def too_many(self, route, reset):
        """The 429 body and headers for `route`, resetting at epoch `reset`."""
        self.server.stats["rate_limited"] += 1
        limit, _ = self.server.limits.get(self.bucket(route), (0, 0))
        headers = self.limit_headers(route, limit, 0, reset, limit)
        if plugin(route):
            return plugin(route).too_many_body(route), headers
        if route.startswith("reddit"):
            return {"message": "Too Many Requests", "error": 429}, headers
        return {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank",
                "status": 429}, headers

    # -- X auth --------------------------------------------------------------------------

    def x_user(self):
        auth = self.headers.get("Authorization", "")
        match = re.search(r'oauth_token="([^"]+)"', auth)
        if not auth.startswith("OAuth ") or not match:
            raise Reply(401, {"title": "Unauthorized", "type": "about:blank", "status": 401,
                              "detail": "Unauthorized"})
        return self.server.platform.x_user_for_token(match.group(1))

    # -- X routes ------------------------------------------------------------------------

    def route_x_me(self):
        user = self.x_user()
        return 200, {"data": dict(user)}

    def route_x_create(self):
        user = self.x_user()
        body = self.json_body()
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise Reply(400, {"errors": [{"message": "text is required"}], "title": "Invalid Request",
                              "detail": "One or more parameters to your request was invalid.",
                              "type": "https://api.twitter.com/2/problems/invalid-request"})
        platform = self.server.platform
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if not reply_to and platform.duplicate_tweet(user["id"], text):
            raise Reply(403, {"detail": "You are not allowed to create a Tweet with duplicate content.",
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
                "retweet_count": 0, "reply_count": self.server.platform.reply_count(tweet["id"]),
                "like_count": tweet["like_count"], "quote_count": 0, "bookmark_count": 0,
                "impression_count": 0,
            }
        return data

    def fields(self):
        return set(filter(None, self.query.get("tweet.fields", "").split(",")))

    def with_includes(self, tweets, payload):
        if "author_id" in self.query.get("expansions", "") and tweets:
            users = self.server.platform.x_users
            seen = {}
            for tweet in tweets:
                user = users[tweet["author_id"]]
                seen[user["id"]] = {"id": user["id"], "name": user["name"], "username": user["username"]}
            payload["includes"] = {"users": list(seen.values())}
        return payload

    def page(self, ids, default_size, low, high):
        try:
            size = int(self.query.get("max_results", default_size))
        except ValueError:
            size = -1
        if not low <= size <= high:
            raise Reply(400, {"errors": [{"parameters": {"max_results": [self.query.get("max_results")]},
                                          "message": f"The `max_results` query parameter value "
                                                     f"[{self.query.get('max_results')}] is not between "
                                                     f"{low} and {high}"}],
                              "title": "Invalid Request",
                              "detail": "One or more parameters to your request was invalid.",
                              "type": "https://api.twitter.com/2/problems/invalid-request"})
        token = self.query.get("next_token") or self.query.get("pagination_token")
        offset = decode_token(token) if token else 0
        if offset is None:
            raise Reply(400, {"title": "Invalid Request", "detail": "invalid pagination token",
                              "type": "https://api.twitter.com/2/problems/invalid-request"})
        chunk = ids[offset:offset + size]
        step = size - 1 if "repeat_across_pages" in self.server.quirks and size > 1 else size
        next_token = encode_token(offset + step) if offset + size < len(ids) else None
        return chunk, next_token

    def route_x_search(self):
        self.x_user()
        platform = self.server.platform
        query = self.query.get("query", "")
        roots = re.findall(r"conversation_id:(\d+)", query)
        if not roots or len(query) > 512:
            raise Reply(400, {"title": "Invalid Request", "detail": "query must use conversation_id: "
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
        meta = {"result_count": len(tweets)}
        if tweets:
            meta.update(newest_id=tweets[0]["id"], oldest_id=tweets[-1]["id"])
        if next_token:
            meta["next_token"] = next_token
        payload = {"meta": meta}
        if tweets:
            payload = {"data": [self.tweet_json(t, self.fields()) for t in tweets], **payload}
        return 200, self.with_includes(tweets, payload)

    def route_x_tweet(self, tweet_id):
        self.x_user()
        tweet = self.server.platform.tweets.get(tweet_id)
        if not tweet or tweet["deleted"]:
            return 200, {"errors": [{"value": tweet_id, "detail": f"Could not find tweet with id: [{tweet_id}].",
                                     "title": "Not Found Error", "resource_type": "tweet",
                                     "parameter": "id", "resource_id": tweet_id,
                                     "type": "https://api.twitter.com/2/problems/resource-not-found"}]}
        return 200, self.with_includes([tweet], {"data": self.tweet_json(tweet, self.fields())})

    def route_x_delete(self, tweet_id):
        user = self.x_user()
        tweet = self.server.platform.tweets.get(tweet_id)
        if tweet and tweet["author_id"] == user["id"]:
            tweet["deleted"] = True
        return 200, {"data": {"deleted": True}}

    def route_x_timeline(self, user_id):
        self.x_user()
        platform = self.server.platform
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
        meta = {"result_count": len(tweets)}
        if tweets:
            meta.update(newest_id=tweets[0]["id"], oldest_id=tweets[-1]["id"])
        if next_token:
            meta["next_token"] = next_token
        payload = {"meta": meta}
        fields = self.fields() - ({"created_at"} if "no_created_at" in self.server.quirks else set())
        if tweets:
            payload = {"data": [self.tweet_json(t, fields) for t in tweets], **payload}
        return 200, payload

    # -- Reddit auth ---------------------------------------------------------------------

    def route_reddit_token(self):
        auth = self.headers.get("Authorization", "")
        form = self.form()
        try:
            client_id, client_secret = base64.b64decode(auth.split(" ", 1)[1]).decode().split(":", 1)
        except (IndexError, ValueError):
            client_id = client_secret = ""
        if not auth.startswith("Basic ") or not client_id or not client_secret:
            raise Reply(401, {"message": "Unauthorized", "error": 401},
                        {"www-authenticate": 'Basic realm="reddit"'})
        if form.get("grant_type") != "password" or not form.get("username") or not form.get("password"):
            return 200, {"error": "invalid_grant"}
        token = secrets.token_urlsafe(24)
        platform = self.server.platform
        platform.reddit_user(form["username"])
        platform.reddit_tokens[token] = form["username"]
        return 200, {"access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*"}

    def reddit_user(self):
        auth = self.headers.get("Authorization", "")
        token = auth.split(" ", 1)[1] if " " in auth else ""
        username = self.server.platform.reddit_tokens.get(token)
        if not auth.lower().startswith("bearer ") or not username:
            raise Reply(401, {"message": "Unauthorized", "error": 401},
                        {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'})
        return username

    # -- Reddit routes -------------------------------------------------------------------

    def route_reddit_me(self):
        user = self.server.platform.reddit_user(self.reddit_user())
        return 200, {"name": user["name"], "id": user["id"], "created_utc": 1500000000.0,
                     "link_karma": 1, "comment_karma": 1, "is_suspended": False}

    def route_reddit_submit(self):
        username = self.reddit_user()
        form = self.form()
        title, subreddit = form.get("title", ""), form.get("sr", "")
        if not title.strip() or not subreddit:
            raise Reply(400, {"message": "Bad Request", "error": 400})
        if len(title) > 300:
            return 200, {"json": {"errors": [["TOO_LONG", "this is too long (max: 300)", "title"]]}}
        platform = self.server.platform
        submission = platform.create_submission(username, subreddit, title, form.get("text", ""))
        url = f"{self.server.base_url}/reddit/r/{subreddit}/comments/{submission['id']}/{slug(title)}/"
        return 200, {"json": {"errors": [], "data": {
            "url": url, "drafts_count": 0, "id": submission["id"], "name": "t3_" + submission["id"]}}}

    def submission_thing(self, submission):
        platform = self.server.platform
        permalink = f"/r/{submission['subreddit']}/comments/{submission['id']}/{slug(submission['title'])}/"
        return {"kind": "t3", "data": {
            "id": submission["id"], "name": "t3_" + submission["id"], "title": submission["title"],
            "selftext": submission["selftext"], "author": submission["author"],
            "subreddit": submission["subreddit"], "created_utc": float(int(submission["created_utc"])),
            "num_comments": platform.num_comments(submission["id"]), "permalink": permalink,
            "url": self.server.base_url + "/reddit" + permalink, "score": 1, "is_self": True,
            "over_18": False, "locked": False, "archived": False,
        }}

    def comment_thing(self, comment, replies=""):
        submission = self.server.platform.submissions[comment["submission_id"]]
        data = {
            "id": comment["id"], "name": "t1_" + comment["id"], "parent_id": comment["parent_id"],
            "link_id": "t3_" + comment["submission_id"], "author": comment["author"],
            "body": comment["body"], "created_utc": float(int(comment["created_utc"])),
            "edited": comment["edited"], "score": comment["score"], "depth": comment["depth"],
            "subreddit": submission["subreddit"], "replies": replies,
            "permalink": f"/r/{submission['subreddit']}/comments/{submission['id']}/"
                         f"{slug(submission['title'])}/{comment['id']}/",
        }
        if comment.get("old"):  # 2016-17 comments come without these
            del data["depth"], data["permalink"]
        return {"kind": "t1", "data": data}

    def more_thing(self, parent_fullname, ids, depth):
        count = sum(1 + self.descendants(cid) for cid in ids)
        return {"kind": "more", "data": {
            "count": count, "name": "t1_" + ids[0], "id": ids[0], "parent_id": parent_fullname,
            "depth": depth, "children": list(ids)}} if ids else None

    def continue_thing(self, parent_fullname, depth):
        return {"kind": "more", "data": {"count": 0, "name": "t1__", "id": "_",
                                         "parent_id": parent_fullname, "depth": depth, "children": []}}

    def descendants(self, cid):
        kids = self.server.platform.children.get("t1_" + cid, [])
        return sum(1 + self.descendants(k) for k in kids)

    def tree(self, parent_fullname, ids, budget, depth, max_depth):
        """Nested comment things for `ids` (siblings), spending budget[0]; `more` for the rest."""
        comments = self.server.platform.comments
        things = []
        for i, cid in enumerate(ids):
            if budget[0] <= 0:
                things.append(self.more_thing(parent_fullname, ids[i:], depth))
                break
            budget[0] -= 1
            kids = self.server.platform.children.get("t1_" + cid, [])
            replies = ""
            if kids:
                if depth + 1 >= max_depth:
                    children = [self.continue_thing("t1_" + cid, depth + 1)]
                else:
                    children = self.tree("t1_" + cid, kids, budget, depth + 1, max_depth)
                replies = listing(children) if children else ""
            things.append(self.comment_thing(comments[cid], replies))
        return things

    def comment_limit(self):
        try:
            return max(1, min(500, int(self.query.get("limit") or 200)))
        except ValueError:
            return 200

    def route_reddit_comments(self, submission_id):
        self.reddit_user()
        platform = self.server.platform
        submission = platform.submissions.get(submission_id)
        if not submission:
            raise Reply(404, {"message": "Not Found", "error": 404})
        roots = platform.children.get("t3_" + submission_id, [])
        things = self.tree("t3_" + submission_id, roots, [self.comment_limit()], 0, 10)
        return 200, [listing([self.submission_thing(submission)]), listing(things)]

    def route_reddit_thread(self, submission_id, comment_id):
        self.reddit_user()
        platform = self.server.platform
        submission = platform.submissions.get(submission_id)
        comment = platform.comments.get(comment_id)
        if not submission or not comment or comment["submission_id"] != submission_id:
            raise Reply(404, {"message": "Not Found", "error": 404})
        things = self.tree(comment["parent_id"], [comment_id], [self.comment_limit()], comment["depth"],
                           comment["depth"] + 10)
        return 200, [listing([self.submission_thing(submission)]), listing(things)]

    def route_reddit_morechildren(self):
        self.reddit_user()
        params = {**self.query, **self.form()}
        platform = self.server.platform
        ids = [c for c in params.get("children", "").split(",") if c]
        ids, rest = ids[:MORECHILDREN_EXPANDS], ids[MORECHILDREN_EXPANDS:]
        things = []
        budget = [200]
        for cid in ids:
            comment = platform.comments.get(cid)
            if comment is None:
                continue
            nested = self.tree(comment["parent_id"], [cid], budget, comment["depth"], comment["depth"] + 10)
            things.extend(flatten(nested))
        if rest:
            parent = platform.comments[rest[0]]
            things.append(self.more_thing(parent["parent_id"], rest, parent["depth"]))
        return 200, {"json": {"errors": [], "data": {"things": things}}}

    def route_reddit_submitted(self, username):
        self.reddit_user()
        platform = self.server.platform
        mine = sorted((s for s in platform.submissions.values() if s["author"] == username),
                      key=lambda s: s["created_utc"], reverse=True)
        try:
            limit = max(1, min(100, int(self.query.get("limit") or 25)))
        except ValueError:
            limit = 25
        after = self.query.get("after")
        if after:
            names = ["t3_" + s["id"] for s in mine]
            mine = mine[names.index(after) + 1:] if after in names else []
        page = mine[:limit]
        next_after = "t3_" + page[-1]["id"] if len(mine) > limit else None
        return 200, listing([self.submission_thing(s) for s in page], after=next_after)

    # -- control -------------------------------------------------------------------------

    def control_posts(self):
        return {"posts": self.server.platform.posts()}

    def control_add_posts(self):
        """{channel, like, count}: `count` more root posts by the author of post `like` (a busy account)."""
        body = self.json_body()
        platform = self.server.platform
        ids = []
        for i in range(int(body.get("count", 1))):
            text = f"{body.get('text', 'Another post')} {i}"
            at = platform.now() + (i + 1) / 1000  # strictly newer than `like`, in order
            if body["channel"] == "x":
                author = platform.tweets[str(body["like"])]["author_id"]
                ids.append(platform.create_tweet(author, text, at=at)["id"])
            else:
                like = platform.submissions[str(body["like"])]
                ids.append(platform.create_submission(like["author"], like["subreddit"], text, text, at=at)["id"])
        self.server.platform_changed()
        return {"ids": ids}

    def control_replies(self):
        body = self.json_body()
        try:
            ids = self.server.platform.add_replies(
                body["channel"], str(body["post_id"]), count=int(body.get("count", 0)),
                seed=body.get("seed", 0), replies=body.get("replies"),
                spread_seconds=float(body.get("spread_seconds", 3600)))
        except KeyError as exc:
            raise Reply(404, {"error": f"unknown post or field: {exc}"}) from None
        self.server.platform_changed()
        return {"ids": ids}

    def control_faults(self):
        body = self.json_body()
        if body.get("kind") not in FAULT_KINDS:
            raise Reply(400, {"error": f"kind must be one of {sorted(FAULT_KINDS)}"})
        fault = {"route": body.get("route", "*"), "count": int(body.get("count", 1)), **body}
        self.server.faults.append(fault)
        return {"faults": self.server.faults}

    def control_clear_faults(self):
        self.server.faults.clear()
        return {"faults": []}

    def control_limits(self):
        body = self.json_body()
        self.server.limits[body["route"]] = (int(body["limit"]), float(body.get("window", 900)))
        self.server.windows.clear()
        return {"limits": {k: list(v) for k, v in self.server.limits.items()}}

    def control_config(self):
        body = self.json_body()
        self.server.random_429 = float(body.get("random_429", self.server.random_429))
        if "seed" in body:
            self.server.rng.seed(body["seed"])
        if "quirks" in body:
            unknown = set(body["quirks"]) - QUIRKS
            if unknown:
                raise Reply(400, {"error": f"quirks must be among {sorted(QUIRKS)}"})
            self.server.quirks = set(body["quirks"])
        return {"random_429": self.server.random_429, "quirks": sorted(self.server.quirks)}

    def control_clock(self):
        body = self.json_body()
        self.server.platform.clock_offset += float(body.get("advance", 0))
        return {"now": self.server.platform.now()}

    def control_delete(self):
        body = self.json_body()
        self.server.platform.delete(body["channel"], str(body["id"]))
        self.server.platform_changed()
        return {"deleted": body["id"]}

    def control_edit(self):
        body = self.json_body()
        self.server.platform.edit(body["channel"], str(body["id"]), body["text"])
        self.server.platform_changed()
        return {"edited": body["id"]}

    def control_hidden(self):
        body = self.json_body()
        self.server.platform.submissions[str(body["post_id"])]["hidden_comments"] += int(body["count"])
        return {"ok": True}

    def control_stats(self):
        return self.server.stats

    def control_save(self):
        self.server.platform.save()
        return {"saved": str(self.server.platform.state_file)}


def listing(children, after=None):
    return {"kind": "Listing", "data": {"after": after, "dist": len(children), "modhash": "",
                                        "geo_filter": "", "children": children, "before": None}}


def flatten(things):
    flat = []
    for thing in things:
        replies = thing["data"].get("replies") if thing["kind"] == "t1" else ""
        flat.append({"kind": thing["kind"], "data": {**thing["data"], "replies": ""}}
                    if thing["kind"] == "t1" else thing)
        if replies:
            flat.extend(flatten(replies["data"]["children"]))
    return flat


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


def slug(title):
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:50] or "post"


def encode_token(offset):
    raw = f"{offset:012d}:{secrets.token_hex(8)}".encode()
    return base64.b32encode(raw).decode().rstrip("=").lower()


def decode_token(token):
    try:
        padded = token.upper() + "=" * (-len(token) % 8)
        return int(base64.b32decode(padded).decode().split(":", 1)[0])
    except (ValueError, UnicodeDecodeError):
        return None


def start_server(host="127.0.0.1", port=0, state_file=None, seed=0):
    """Start the fake platform in a background thread; returns the server (server.base_url)."""
    platform = Platform(state_file=state_file, seed=seed)
    server = FakeServer((host, port), platform)
    thread = threading.Thread(target=server.serve_forever, name="fake-platform", daemon=True)
    thread.start()
    return server


def stop_server(server):
    server.shutdown()
    server.server_close()
    with server.platform.lock:
        server.platform.save()
