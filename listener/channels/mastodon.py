"""Mastodon through Mastodon.py, one account on one instance (an access token with read and write).

Mastodon.py is told never to sleep (`ratelimit_method="throw"`) and given our timeout (its default
is 300 s). Posts carry an `Idempotency-Key` (the outbox's key): Mastodon keeps it an hour, so a
post whose answer was lost is sent once more with the same key (the instance answers with the
status it already made, never a second one); if that answer is lost too, the outbox reconciles.
Replies come from the status's context (descendants); `content` is HTML, turned into plain text
for storage and scoring, with the HTML kept on the record.
"""

import re
import time
from datetime import datetime, timezone
from html.parser import HTMLParser

import requests

from .. import checks
from ..errors import ChannelError, NotFound, OutcomeUnknown, RateLimited, Unreachable, one_line
from ..times import parse_iso
from .base import Channel, Page, Published, RateLimit, ReplyRecord, never_connected

ROUTE = "api"  # one budget of 300 requests per 5 minutes for every route but DELETE
CONTEXT_LIMIT = 4096  # descendants an authenticated context request returns at most
RECONCILE_PAGES = 5   # own statuses read back when reconciling: up to 200, newest first
LINK = re.compile(r"https?://\S+")


class PlainText(HTMLParser):
    """Mastodon's status HTML -> the words as written: links whole (from href), <br> and </p> as
    line breaks, the leading h-card mention of a reply dropped (apps show it as "replying to")."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.link, self.in_link, self.paragraphs = [], None, 0, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p":
            if self.paragraphs:
                self.parts.append("\n\n")
            self.paragraphs += 1
        elif tag == "a":
            self.in_link += 1
            classes = (attrs.get("class") or "").split()
            if "mention" in classes:
                self.link = None  # a mention reads as its visible text, @name
            else:
                self.link = attrs.get("href")
                if self.link:
                    self.parts.append(self.link)

    def handle_endtag(self, tag):
        if tag == "a":
            self.in_link -= 1
            self.link = None

    def handle_data(self, data):
        if self.in_link and self.link:
            return  # the href already stands for the link's (split, partly invisible) text
        self.parts.append(data)


def plain_text(content, is_reply=False):
    parser = PlainText()
    parser.feed(content or "")
    parser.close()
    text = "".join(parser.parts)
    if is_reply:
        text = re.sub(r"^(?:@[\w.@-]+\s+)+", "", text, count=1)
    return text.strip()


def mastodon_length(text):
    """Mastodon's count: every link 23 characters, otherwise code points."""
    return len(LINK.sub("x" * 23, text))


def as_iso(value):
    """Mastodon.py's datetimes (or the raw string) -> our stored 2026-11-24T09:00:00Z."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    parsed = parse_iso(str(value)[:19] + "Z")
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ") if parsed else None


def rate_limit_from_headers(headers):
    lowered = {k.lower(): v for k, v in headers.items()}
    if "x-ratelimit-remaining" not in lowered:
        return None
    try:
        reset = parse_iso(lowered.get("x-ratelimit-reset", "")[:19] + "Z")
        return RateLimit(route=ROUTE, limit=int(lowered.get("x-ratelimit-limit", 0)) or None,
                         remaining=float(lowered["x-ratelimit-remaining"]),
                         reset_at=reset.timestamp() if reset else None)
    except (ValueError, TypeError):
        return None


def reply_records(descendants, root_id):
    records = []
    for status in descendants:
        account = status.get("account") or {}
        records.append(ReplyRecord(
            remote_id=str(status["id"]),
            parent_remote_id=str(status.get("in_reply_to_id") or root_id),
            author=account.get("acct"),
            text=plain_text(status.get("content"), is_reply=True),
            created_at=as_iso(status.get("created_at")),
            url=status.get("url"),
            like_count=status.get("favourites_count"),
            edited_at=as_iso(status.get("edited_at")),
            html=status.get("content"),
        ))
    return records


def http_status(exc):
    """'HTTP 503 Service Unavailable' from a Mastodon.py error (its args: message, status, reason, error)."""
    if len(exc.args) >= 3 and isinstance(exc.args[1], int):
        return f"HTTP {exc.args[1]} {exc.args[2]}".strip()
    return one_line(exc, 80)


class MastodonChannel(Channel):
    name = "mastodon"
    position = 30
    display_name = "Mastodon"
    settings = {"base_url": "https://mastodon.social", "timeout": 10.0, "max_characters": 500,
                "visibility": "public"}
    setting_checks = {"base_url": checks.url("https://mastodon.social"), "timeout": checks.positive("seconds"),
                      "max_characters": checks.at_least(1, "characters"),
                      "visibility": checks.one_of("public", "unlisted", "private")}
    secrets = {"access_token": "MASTODON_ACCESS_TOKEN"}
    harvest_route = ROUTE
    fake_secrets = {"access_token": "demo-mastodon-token"}
    fake_create_route = "mastodon.create"
    fake_limit_routes = ("mastodon",)

    @classmethod
    def fake_settings(cls, base_url):
        return {"base_url": base_url + "/mastodon"}

    @classmethod
    def check_question(cls, text, variant, fail, cfg=None):
        limit = cfg["mastodon"]["max_characters"] if cfg else cls.settings["max_characters"]
        length = mastodon_length(variant.get("text", text))
        if length > limit:
            fail("mastodon.text" if "text" in variant else "text",
                 f"{length} characters (links count 23) is over this Mastodon instance's {limit} "
                 "([mastodon] max_characters): shorten it or add a shorter [mastodon] text")

    @classmethod
    def coverage_reasons(cls, harvested, reported, published, now):
        if harvested < reported:
            return ["Mastodon counts replies it does not show us (deleted, private, or from blocked servers)"]
        return []

    def __init__(self, *, base_url, account, access_token, timeout=10.0, visibility="public"):
        from mastodon import Mastodon  # (imported here: only a configured Mastodon channel needs it)

        super().__init__(account)
        self.base_url = base_url.rstrip("/")
        self.visibility = visibility
        session = requests.Session()
        session.hooks["response"].append(self.note_response)
        self.api = Mastodon(access_token=access_token, api_base_url=self.base_url, ratelimit_method="throw",
                            request_timeout=timeout, session=session, version_check_mode="none",
                            user_agent="listener")
        self._me = None

    @classmethod
    def from_config(cls, cfg):
        section = cfg["mastodon"]
        return cls(base_url=section["base_url"], account=section["account"], timeout=section["timeout"],
                   visibility=section["visibility"], access_token=cfg.require_secret("mastodon", "access_token"))

    def note_response(self, response, *args, **kwargs):
        self.note_date(response.headers, time.time())
        limit = rate_limit_from_headers(response.headers)
        if limit:
            self.rate_limits[ROUTE] = limit

    def call(self, what, fn, *args, **kwargs):
        """Run a Mastodon.py read and map its failures to our errors."""
        import mastodon

        try:
            return fn(*args, **kwargs)
        except mastodon.MastodonRatelimitError:
            limit = self.rate_limits.get(ROUTE)
            reset = limit.reset_at if limit and limit.reset_at and limit.reset_at > time.time() else time.time() + 60
            raise RateLimited(f"Mastodon rate limit on {what}: try again after the reset", reset_at=reset) from None
        except mastodon.MastodonNotFoundError:
            raise NotFound(f"Mastodon says {what} is gone (deleted or never existed)") from None
        except mastodon.MastodonUnauthorizedError:
            raise ChannelError("Mastodon rejected the access token (401): check MASTODON_ACCESS_TOKEN "
                               "(scopes read and write)") from None
        except mastodon.MastodonNetworkError as exc:
            if never_connected(exc):
                raise Unreachable(f"cannot reach Mastodon at {self.base_url}: check [mastodon] base_url "
                                  "and the network") from None
            raise ChannelError(f"the connection to Mastodon dropped during {what}: will try again later") from None
        except mastodon.MastodonServerError as exc:
            raise ChannelError(f"Mastodon server error on {what} ({http_status(exc)}): will try again later") from None
        except mastodon.MastodonError as exc:
            raise ChannelError(f"Mastodon refused {what}: {one_line(exc, 120)}") from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:  # a body that is not the JSON we know
            raise ChannelError(f"Mastodon's answer to {what} was broken ({type(exc).__name__}): "
                               "will try again later") from None

    def me(self):
        if self._me is None:
            self._me = self.call("verify_credentials", self.api.account_verify_credentials)
        return self._me

    def publish(self, text, title=None, target=None, key=None):
        """Post once. A lost answer is sent again once with the same Idempotency-Key (safe inside
        Mastodon's hour); then OutcomeUnknown, and the outbox reconciles."""
        import mastodon

        for attempt in (1, 2):
            try:
                status = self.api.status_post(text, visibility=self.visibility, idempotency_key=key)
                return Published(remote_id=str(status["id"]), url=status.get("url") or "",
                                 published_at=as_iso(status.get("created_at")))
            except mastodon.MastodonRatelimitError:
                limit = self.rate_limits.get(ROUTE)
                reset = limit.reset_at if limit and limit.reset_at and limit.reset_at > time.time() else time.time() + 60
                raise RateLimited("Mastodon rate limit on posting: will post after the reset", reset_at=reset) from None
            except mastodon.MastodonUnauthorizedError:
                raise ChannelError("Mastodon rejected the access token (401): check MASTODON_ACCESS_TOKEN") from None
            except mastodon.MastodonNetworkError as exc:
                if never_connected(exc):
                    raise Unreachable(f"cannot reach Mastodon at {self.base_url}: check [mastodon] base_url") from None
                lost = "the connection to Mastodon dropped during the post: it may exist"
            except mastodon.MastodonServerError as exc:
                lost = f"Mastodon answered {one_line(exc, 60)} to the post: it may exist"
            except mastodon.MastodonAPIError as exc:  # 4xx: validation; nothing was made
                raise ChannelError(f"Mastodon refused the post: {one_line(exc, 160)}") from None
            except (ValueError, KeyError, TypeError, AttributeError):
                lost = "Mastodon accepted the post but its answer was unreadable: it may exist"
            if key is None:
                break  # without a key a second send could post twice
        raise OutcomeUnknown(lost)

    def find_own_post(self, text, title=None, target=None, since=None):
        """Our statuses with this text (compared as plain text) since `since`, newest first."""
        user = self.me()
        if since is not None:
            since = since.timestamp() - self.clock_skew
        wanted = " ".join(text.split())
        found, page = {}, self.call("own statuses", self.api.account_statuses, user["id"], limit=40)
        for _ in range(RECONCILE_PAGES):
            if not page:
                break
            for status in page:
                at = parse_iso(as_iso(status.get("created_at")))
                if since is not None and at is not None and at.timestamp() < since:
                    continue
                if " ".join(plain_text(status.get("content")).split()) == wanted:
                    found.setdefault(str(status["id"]), status)
            oldest = parse_iso(as_iso(page[-1].get("created_at")))
            if since is not None and oldest is not None and oldest.timestamp() < since:
                break
            page = self.call("own statuses", self.api.fetch_next, page)
        return [Published(remote_id=sid, url=s.get("url") or "", published_at=as_iso(s.get("created_at")))
                for sid, s in found.items()]

    def reported_reply_count(self, remote_id):
        return None  # replies_count counts direct replies only; the context walk is the count

    def fetch_replies(self, remote_id, cursor=None):
        context = self.call(f"status {remote_id}", self.api.status_context, remote_id)
        descendants = context.get("descendants") or []
        records = reply_records(descendants, remote_id)
        notes = []
        if len(descendants) >= CONTEXT_LIMIT:
            notes.append(f"Mastodon returns at most {CONTEXT_LIMIT} replies of a thread: the rest are not reachable")
        return Page(records, None, notes=notes, reported_count=None)
