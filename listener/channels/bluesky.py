"""Bluesky through atproto's Client, one account with an app password.

createSession is limited to 300 a day per account, so the session is kept in a file next to the
database (`<db>.bluesky-session`, mode 0600; never in the database or the logs), reused across
runs and refreshed by atproto when its access token is about to expire; only when the refresh
token is spent too does the channel log in again. Replies come from getPostThread, which stops
at depth 10 and about 200 descendants and has no pagination: the walk re-roots at every post
whose replies were cut off, one request per page, so a long thread is harvested whole; what
still cannot be reached is named in the coverage notes.
"""

import json
import os
import time
import unicodedata
from pathlib import Path

import httpx

from .. import checks
from ..errors import ChannelError, NotFound, OutcomeUnknown, RateLimited, Unreachable, one_line
from ..times import parse_iso
from .base import Channel, Page, Published, RateLimit, ReplyRecord, never_connected

ROUTE = "xrpc"
MAX_GRAPHEMES = 300
THREAD_DEPTH = 10  # the most getPostThread returns
RECONCILE_PAGES = 4
NOT_FOUND_POST = "app.bsky.feed.defs#notFoundPost"
BLOCKED_POST = "app.bsky.feed.defs#blockedPost"


def grapheme_length(text):
    """User-perceived characters, as Bluesky counts them: combining marks, variation selectors,
    skin tones and the parts of a ZWJ sequence (👩‍💻) join the character before them."""
    count, joined = 0, False
    for ch in unicodedata.normalize("NFC", text):
        code = ord(ch)
        if joined or unicodedata.combining(ch) or code in (0x200D, 0xFE0E, 0xFE0F) or 0x1F3FB <= code <= 0x1F3FF \
                or 0xE0020 <= code <= 0xE007F:
            joined = code == 0x200D
            continue
        count += 1
    return count


def web_url(uri, handle=None):
    """at://did/app.bsky.feed.post/rkey -> https://bsky.app/profile/<handle or did>/post/<rkey>."""
    did, _, rkey = uri[len("at://"):].split("/", 2)
    return f"https://bsky.app/profile/{handle or did}/post/{rkey.rsplit('/', 1)[-1]}"


def as_iso(value):
    parsed = parse_iso(str(value)[:19] + "Z") if value else None
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ") if parsed else None


def thread_records(node, fetched_root, root_uri, depth=0, records=None, pending=None, notes=None):
    """Records under a getPostThread node (dicts); posts whose replies were cut off go to `pending`."""
    records, pending, notes = [] if records is None else records, [] if pending is None else pending, \
        [] if notes is None else notes
    post = node.get("post") or {}
    uri = post.get("uri")
    replies = node.get("replies")
    for child in replies or []:
        kind = child.get("$type")
        if kind == NOT_FOUND_POST:  # deleted: kept as a placeholder so its replies stay in the thread
            records.append(ReplyRecord(remote_id=child["uri"], parent_remote_id=uri, author=None, text="",
                                       created_at=None, deleted=True))
            continue
        if kind == BLOCKED_POST:
            notes.append("a reply from a blocked or blocking account is not shown by Bluesky")
            continue
        view = child.get("post") or {}
        record = view.get("record") or {}
        parent = ((record.get("reply") or {}).get("parent") or {}).get("uri") or uri
        author = (view.get("author") or {}).get("handle")
        records.append(ReplyRecord(
            remote_id=view["uri"], parent_remote_id=root_uri if parent == root_uri else parent, author=author,
            text=record.get("text") or "", created_at=as_iso(record.get("createdAt")),
            url=web_url(view["uri"], author), like_count=view.get("likeCount")))
        thread_records(child, fetched_root, root_uri, depth + 1, records, pending, notes)
    shown = len(replies or [])
    if uri and uri != fetched_root and (post.get("replyCount") or 0) > shown:
        pending.append(uri)  # cut off by the depth or breadth cap: walk it as a root of its own
    elif uri == fetched_root and (post.get("replyCount") or 0) > shown:
        notes.append(f"direct replies to a post beyond the ~200 Bluesky returns per thread request are "
                     f"not reachable ({post['replyCount'] - shown} here, with their replies)")
    return records, pending, notes


def failure(exc):
    """What went wrong in an answer, for people: its HTTP status, or that it was not Bluesky's JSON."""
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return f"HTTP {status}" if status else "not the JSON Bluesky sends: a proxy or a login page?"


class BlueskyChannel(Channel):
    name = "bluesky"
    display_name = "Bluesky"
    position = 40
    settings = {"base_url": "https://bsky.social", "timeout": 10.0}
    setting_checks = {"base_url": checks.url("https://bsky.social"), "timeout": checks.positive("seconds")}
    secrets = {"handle": "BLUESKY_HANDLE", "app_password": "BLUESKY_APP_PASSWORD"}
    harvest_route = ROUTE
    fake_secrets = {"handle": "listener_brand.bsky.social", "app_password": "demo-app-password"}
    fake_create_route = "bluesky.create"
    fake_limit_routes = ("bluesky",)

    @classmethod
    def fake_settings(cls, base_url):
        return {"base_url": base_url + "/bsky"}

    @classmethod
    def check_question(cls, text, variant, fail, cfg=None):
        length = grapheme_length(variant.get("text", text))
        if length > MAX_GRAPHEMES:
            fail("bluesky.text" if "text" in variant else "text",
                 f"{length} characters is over Bluesky's {MAX_GRAPHEMES}: shorten it or add a shorter [bluesky] text")

    @classmethod
    def coverage_reasons(cls, harvested, reported, published, now):
        if harvested < reported:
            return ["Bluesky counts replies it does not show (deleted, blocked or taken down)"]
        return []

    def __init__(self, *, base_url, account, handle, app_password, session_file, timeout=10.0):
        # atproto is slow to import (seconds): imported here, when the channel is opened, not after
        # the outbox has claimed a post (a crash in that gap leaves a post to reconcile for nothing),
        # nor when the CLI starts.
        import atproto  # noqa: F401

        super().__init__(account)
        self.base_url = base_url.rstrip("/")
        self.handle, self.app_password = handle, app_password
        self.session_file = Path(session_file)
        self.timeout = timeout
        self.client = None
        self.did = None

    @classmethod
    def from_config(cls, cfg):
        section = cfg["bluesky"]
        return cls(base_url=section["base_url"], account=section["account"], timeout=section["timeout"],
                   handle=cfg.require_secret("bluesky", "handle"),
                   app_password=cfg.require_secret("bluesky", "app_password"),
                   session_file=str(cfg["database"]["path"]) + ".bluesky-session")

    # -- the session ------------------------------------------------------------------------

    def connect(self):
        """A logged-in client: the saved session if there is one (atproto refreshes it), else a login."""
        if self.client is not None:
            return self.client
        from atproto import Client, Session
        from atproto_client.request import Request

        request = Request(timeout=self.timeout, event_hooks={"response": [self.note_response]})
        client = Client(base_url=self.base_url + "/xrpc", request=request)
        client.on_session_change(lambda event, session: self.save_session(client))
        saved = self.session_file.read_text(encoding="utf-8").strip() if self.session_file.exists() else ""
        if saved:
            client.login(session_string=saved, fetch_bsky_profile=False)
        else:
            self.guard("logging in", lambda: client.login(self.handle, self.app_password, fetch_bsky_profile=False))
            self.save_session(client)
        self.client = client
        self.did = Session.decode(client.export_session_string()).did
        return client

    def save_session(self, client):
        """The session string, readable by this user only (it grants access to the account)."""
        self.session_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.session_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(client.export_session_string())
        os.replace(tmp, self.session_file)

    def forget_session(self):
        self.session_file.unlink(missing_ok=True)
        self.client = None

    def note_response(self, response):
        self.note_date(response.headers, time.time())
        headers = response.headers
        if "ratelimit-remaining" in headers:
            try:
                self.rate_limits[ROUTE] = RateLimit(ROUTE, int(headers.get("ratelimit-limit", 0)) or None,
                                                    float(headers["ratelimit-remaining"]),
                                                    float(headers.get("ratelimit-reset", 0)) or None)
            except ValueError:
                pass

    def reset_at(self):
        limit = self.rate_limits.get(ROUTE)
        return limit.reset_at if limit and limit.reset_at and limit.reset_at > time.time() else time.time() + 60

    def guard(self, what, fn):
        """Run an atproto call; map its failures to our errors (reads: a lost answer is retried later)."""
        from atproto import exceptions as e

        try:
            return fn()
        except e.RateLimitExceededError:
            raise RateLimited(f"Bluesky rate limit on {what}: try again after the reset", reset_at=self.reset_at()) from None
        except e.UnauthorizedError:
            self.forget_session()
            raise ChannelError("Bluesky rejected the login (401): check BLUESKY_HANDLE and BLUESKY_APP_PASSWORD "
                               "(an app password from Settings > App passwords)") from None
        except e.BadRequestError as exc:
            error = getattr(getattr(exc.response, "content", None), "error", None)
            if error == "NotFound":
                raise NotFound(f"Bluesky says {what} is gone (deleted or never existed)") from None
            if error in ("ExpiredToken", "InvalidToken"):
                self.forget_session()  # the next run logs in afresh
                raise ChannelError(f"the Bluesky session expired during {what}: will log in again") from None
            raise ChannelError(f"Bluesky refused {what}: {error or one_line(exc, 120)}") from None
        except (e.NetworkError, e.InvokeTimeoutError, httpx.HTTPError) as exc:
            if never_connected(exc):
                raise Unreachable(f"cannot reach Bluesky at {self.base_url}: check [bluesky] base_url "
                                  "and the network") from None
            if getattr(exc, "response", None) is not None:  # atproto's NetworkError for a 502, 409, 413 answer
                raise ChannelError(f"Bluesky's answer to {what} failed ({failure(exc)}): will try again later") from None
            raise ChannelError(f"the connection to Bluesky dropped during {what}: will try again later") from None
        except (e.AtProtocolError, ValueError) as exc:  # 5xx, a body that is not the JSON or model we know
            raise ChannelError(f"Bluesky's answer to {what} failed ({failure(exc)}): will try again later") from None

    # -- the contract ------------------------------------------------------------------------

    def publish(self, text, title=None, target=None, key=None):
        from atproto import exceptions as e

        client = self.connect()
        try:
            answer = client.send_post(text, profile_identify=self.did)
        except e.RateLimitExceededError:
            raise RateLimited("Bluesky rate limit on posting: will post after the reset", reset_at=self.reset_at()) from None
        except e.UnauthorizedError:
            self.forget_session()
            raise ChannelError("Bluesky rejected the login (401): check BLUESKY_HANDLE and BLUESKY_APP_PASSWORD") from None
        except e.BadRequestError as exc:
            raise ChannelError(f"Bluesky refused the post: {one_line(exc, 160)}") from None
        except (e.NetworkError, e.InvokeTimeoutError, httpx.HTTPError) as exc:  # httpx: a protocol error
            if never_connected(exc):
                raise Unreachable(f"cannot reach Bluesky at {self.base_url}: check [bluesky] base_url") from None
            if getattr(exc, "response", None) is not None:
                raise OutcomeUnknown(f"Bluesky's answer to the post failed ({failure(exc)}): it may exist") from None
            raise OutcomeUnknown("the connection to Bluesky dropped during the post: it may exist") from None
        except (e.AtProtocolError, ValueError) as exc:  # 5xx, an unreadable answer
            raise OutcomeUnknown(f"Bluesky's answer to the post failed ({failure(exc)}): it may exist") from None
        return Published(remote_id=answer.uri, url=web_url(answer.uri, self.handle))

    def find_own_post(self, text, title=None, target=None, since=None):
        client = self.connect()
        since = since.timestamp() - self.clock_skew if since is not None else None
        wanted = " ".join(text.split())
        found, cursor = {}, None
        for _ in range(RECONCILE_PAGES):
            feed = self.guard("the account's posts", lambda: client.app.bsky.feed.get_author_feed(
                {"actor": self.did, "limit": 50, "cursor": cursor}))
            oldest = None
            for item in feed.feed:
                at = parse_iso(as_iso(item.post.record.created_at))
                oldest = at
                if since is not None and at is not None and at.timestamp() < since:
                    continue
                if " ".join(item.post.record.text.split()) == wanted:
                    found.setdefault(item.post.uri, Published(remote_id=item.post.uri,
                                                              url=web_url(item.post.uri, self.handle),
                                                              published_at=as_iso(item.post.record.created_at)))
            cursor = feed.cursor
            if not cursor or (since is not None and oldest is not None and oldest.timestamp() < since):
                break
        return list(found.values())

    def reported_reply_count(self, remote_id):
        return None  # replyCount counts direct replies only; the walk is the count

    def fetch_replies(self, remote_id, cursor=None):
        """One getPostThread request: the root first, then each post whose replies were cut off."""
        client = self.connect()
        state = json.loads(cursor) if cursor else {"pending": [remote_id], "done": []}
        uri = state["pending"].pop(0)
        try:
            answer = self.guard(f"post {uri}", lambda: client.app.bsky.feed.get_post_thread(
                {"uri": uri, "depth": THREAD_DEPTH}))
        except NotFound:
            if uri == remote_id:
                raise
            answer = None  # a reply deleted since the last page: nothing under it to walk
        records, notes = [], []
        if answer is not None:
            thread = answer.model_dump(by_alias=True)["thread"] if hasattr(answer, "model_dump") else answer["thread"]
            records, pending, notes = thread_records(thread, uri, remote_id)
            state["done"].append(uri)
            state["pending"] += [p for p in pending if p not in state["done"] and p not in state["pending"]]
        more = json.dumps(state) if state["pending"] else None
        return Page(records, more, notes=sorted(set(notes)))
