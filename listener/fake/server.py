"""The fake social platform: a real HTTP server speaking the subset of each platform's API that
listener uses, with the same JSON shapes, status codes, pagination and rate-limit headers, plus
control endpoints under /_fake/ to add replies, inject faults and list what was posted.

Each platform is one module, listener/fake/NAME.py (NAME a registered channel), that registers its
ROUTES, LIMITS and a Routes mixin of handler methods, and keeps its data in a State (platform.py).
This module holds what they share: dispatch, faults, rate-limit windows and the control API.
"""

import email.utils
import json
import random
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .platform import PLUGINS, Platform
from .reply import Reply

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
PLATFORM_ROUTES = [route for module in PLUGINS.values() for route in module.ROUTES]
ROUTES = [(m, re.compile(p + "$"), name) for m, p, name in PLATFORM_ROUTES + CONTROL_ROUTES]

# Default rate limits per route (or bucket) and user: (requests, window seconds), as each API documents.
DEFAULT_LIMITS = {route: limit for module in PLUGINS.values() for route, limit in module.LIMITS.items()}
# html_body: an error status with an HTML page (a proxy's); text_body: the same as text/plain;
# captive_portal: 200 with an HTML login page (a hotel's Wi-Fi) where JSON was expected.
FAULT_KINDS = {"429", "5xx", "slow", "malformed", "drop", "lost", "lost_500", "usage_cap", "html_body",
               "text_body", "captive_portal"}
# Quirks of real responses, switched on with POST /_fake/config {"quirks": [...]} (the platform
# modules read server.quirks): no_created_at: the timeline omits created_at; repeat_across_pages:
# a timeline page starts with the previous page's last post (a new post shifted the pages);
# no_limit_headers: no response of a platform that sends them on some routes only carries any.
QUIRKS = {"no_created_at", "repeat_across_pages", "no_limit_headers"}


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
        if platform.state_file and sum(state.size() for state in platform.plugins.values()) < 50000:
            platform.save()

    @property
    def base_url(self):
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


def plugin(route):
    """The module of the platform whose route this is (listener/fake/NAME.py)."""
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
        if kind == "usage_cap":  # a spent account cap: a 429 without rate-limit headers
            module = plugin(route)
            return self.send(429, getattr(module, "usage_cap_body", module.too_many_body)(route))
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
        return plugin(route).server_error_body(route)

    def bucket(self, route):
        return plugin(route).bucket(route)

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
        sends = getattr(plugin(route), "sends_limit_headers", None)
        if sends and not sends(route, server.quirks):
            return {}
        return self.limit_headers(route, limit, limit - used, reset, used)

    def limit_headers(self, route, limit, remaining, reset, used):
        return plugin(route).limit_headers(route, limit, remaining, reset, used)

    def too_many(self, route, reset):
        """The 429 body and headers for `route`, resetting at epoch `reset`."""
        self.server.stats["rate_limited"] += 1
        limit, _ = self.server.limits.get(self.bucket(route), (0, 0))
        headers = self.limit_headers(route, limit, 0, reset, limit)
        return plugin(route).too_many_body(route), headers

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
            ids.append(platform.plugins[body["channel"]].add_post_like(str(body["like"]), text, at))
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
        try:
            self.server.platform.delete(body["channel"], str(body["id"]))
        except KeyError as exc:
            raise Reply(404, {"error": f"unknown channel or post: {exc}"}) from None
        self.server.platform_changed()
        return {"deleted": body["id"]}

    def control_edit(self):
        body = self.json_body()
        try:
            self.server.platform.edit(body["channel"], str(body["id"]), body["text"])
        except KeyError as exc:  # also: a platform without edits
            raise Reply(404, {"error": f"cannot edit: {exc}"}) from None
        self.server.platform_changed()
        return {"edited": body["id"]}

    def control_hidden(self):
        """{post_id, count}: comments a platform counts but never lists (where it has such a count)."""
        body = self.json_body()
        hidden = any(state.hide(str(body["post_id"]), int(body["count"]))
                     for state in self.server.platform.plugins.values() if hasattr(state, "hide"))
        if not hidden:
            raise Reply(404, {"error": f"no post {body['post_id']} with a hidden-comments count"})
        return {"ok": True}

    def control_stats(self):
        return self.server.stats

    def control_save(self):
        self.server.platform.save()
        return {"saved": str(self.server.platform.state_file)}


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
