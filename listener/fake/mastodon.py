"""The fake Mastodon 4.x, under /mastodon (point Mastodon.py's api_base_url there).

Answers in Mastodon's real shapes (see PLATFORMS.md): `content` is HTML (`&#39;`, the parent's
author as an h-card mention, links split into invisible spans), ids are digit strings above 2^53,
`spoiler_text` is "", `card` is null right after posting, `edited_at` is null or a time, DELETE
returns the status with `text` and no `content`, pagination only in the lower-case `link` header,
`X-RateLimit-Reset` an ISO time, errors `{"error": "..."}`. POST /api/v1/statuses honours
`Idempotency-Key` for an hour: the same key gets the same status back, never a second one.
"""

import html
import re
from datetime import datetime, timezone

from .state import PlatformState

NAME = "mastodon"
PREFIX = "/mastodon"
ROUTES = [
    ("GET", PREFIX + r"/api/v1/accounts/verify_credentials", "mastodon.me"),
    ("POST", PREFIX + r"/api/v1/statuses", "mastodon.create"),
    ("GET", PREFIX + r"/api/v1/statuses/(?P<status_id>\d+)/context", "mastodon.context"),
    ("GET", PREFIX + r"/api/v1/statuses/(?P<status_id>\d+)", "mastodon.status"),
    ("DELETE", PREFIX + r"/api/v1/statuses/(?P<status_id>\d+)", "mastodon.delete"),
    ("GET", PREFIX + r"/api/v1/accounts/(?P<account_id>\d+)/statuses", "mastodon.timeline"),
]
LIMITS = {"mastodon": (300, 300), "mastodon.delete": (30, 1800)}  # per account; deletes have their own
CONTEXT_LIMIT = 4096  # descendants an authenticated context request returns
IDEMPOTENCY_SECONDS = 3600
HOST = "fake.social"
LINK = re.compile(r"https?://\S+")
EPOCH_ID = 1 << 56  # real ids are snowflake-like: 18-19 digits, above 2^53


class State(PlatformState):
    """The fake Mastodon's data; saved with the rest of the platform."""

    def __init__(self, platform):
        super().__init__(platform)
        self.accounts = {}     # id -> account dict
        self.tokens = {}       # bearer token -> account id
        self.statuses = {}     # id -> internal status
        self.children = {}     # id -> [reply ids, ascending]
        self.idempotency = {}  # "account:key" -> [status id, created epoch]
        self.seq = 0
        self.context_limit = CONTEXT_LIMIT

    FIELDS = ["accounts", "tokens", "statuses", "children", "idempotency", "seq"]

    def size(self):
        return len(self.statuses)

    def account(self, username):
        for account in self.accounts.values():
            if account["username"] == username:
                return account
        account_id = str(109000000000000000 + len(self.accounts) * 7919 + self.platform.rng.randrange(1000))
        self.accounts[account_id] = {
            "id": account_id, "username": username, "acct": username, "display_name": username.replace("_", " ").title(),
            "locked": False, "bot": False, "discoverable": True, "group": False,
            "created_at": "2023-01-01T00:00:00.000Z", "note": "", "url": f"https://{HOST}/@{username}",
            "uri": f"https://{HOST}/users/{username}", "avatar": f"https://{HOST}/avatars/original/missing.png",
            "avatar_static": f"https://{HOST}/avatars/original/missing.png", "header": "", "header_static": "",
            "followers_count": 0, "following_count": 0, "statuses_count": 0, "last_status_at": None,
            "emojis": [], "fields": []}
        return self.accounts[account_id]

    def account_for_token(self, token):
        if token not in self.tokens:
            self.tokens[token] = self.account("listener_brand" if not self.tokens else f"listener_brand{len(self.tokens)}")["id"]
        return self.accounts[self.tokens[token]]

    def new_id(self, at):
        self.seq += 1
        status_id = str(EPOCH_ID + (int(at * 1000) << 16) + self.seq % 65536)
        while status_id in self.statuses:
            status_id = str(int(status_id) + 1)
        return status_id

    def create(self, account_id, text, reply_to=None, at=None):
        at = self.platform.now() if at is None else at
        status_id = self.new_id(at)
        self.statuses[status_id] = {"id": status_id, "account_id": account_id, "text": text, "created_at": at,
                                    "in_reply_to_id": reply_to, "edited_at": None, "deleted": False}
        if reply_to:
            self.children.setdefault(reply_to, []).append(status_id)
        return self.statuses[status_id]

    def descendants(self, status_id):
        out, stack = [], list(reversed(self.children.get(status_id, [])))
        while stack:  # depth first, in thread order, as Mastodon lists them
            current = stack.pop()
            if not self.statuses[current]["deleted"]:
                out.append(current)
            stack.extend(reversed(self.children.get(current, [])))
        return out

    # -- the control API's verbs (platform.add_replies, delete, edit, posts) ------------------

    def add_reply(self, post_id, text, author, parent_id, at, old=False):
        if post_id not in self.statuses:
            raise KeyError(f"no status {post_id}")
        return self.create(self.account(author)["id"], text, reply_to=parent_id or post_id, at=at)["id"]

    def delete(self, item_id):
        self.statuses[item_id]["deleted"] = True

    def edit(self, item_id, text):
        self.statuses[item_id].update(text=text, edited_at=self.platform.now())

    def root_posts(self):
        own = set(self.tokens.values())
        return [{"channel": NAME, "id": s["id"], "text": s["text"], "author_id": s["account_id"],
                 "replies": len(self.descendants(s["id"]))}
                for s in self.statuses.values() if s["in_reply_to_id"] is None and s["account_id"] in own]

    # -- JSON ------------------------------------------------------------------------------

    def status_json(self, status):
        account = self.accounts[status["account_id"]]
        parent = self.statuses.get(status["in_reply_to_id"]) if status["in_reply_to_id"] else None
        parent_account = self.accounts[parent["account_id"]] if parent else None
        return {
            "id": status["id"], "created_at": iso_ms(status["created_at"]),
            "in_reply_to_id": status["in_reply_to_id"],
            "in_reply_to_account_id": parent_account["id"] if parent_account else None,
            "sensitive": False, "spoiler_text": "", "visibility": "public", "language": "en",
            "uri": f"https://{HOST}/users/{account['username']}/statuses/{status['id']}",
            "url": f"https://{HOST}/@{account['username']}/{status['id']}",
            "replies_count": len(self.descendants(status["id"])) if parent is None else len(self.children.get(status["id"], [])),
            "reblogs_count": 0, "favourites_count": 0,
            "edited_at": iso_ms(status["edited_at"]) if status["edited_at"] else None,
            "favourited": False, "reblogged": False, "muted": False, "bookmarked": False, "pinned": False,
            "content": content_html(status["text"], parent_account),
            "filtered": [], "reblog": None, "application": {"name": "listener", "website": None},
            "account": account, "media_attachments": [],
            "mentions": [{"id": parent_account["id"], "username": parent_account["username"],
                          "url": parent_account["url"], "acct": parent_account["acct"]}] if parent_account else [],
            "tags": [], "emojis": [], "card": None, "poll": None,
        }


def iso_ms(epoch):
    dt = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def escape(text):
    """HTML escaping as Mastodon's Ruby does it: the apostrophe as &#39;."""
    return html.escape(text).replace("&#x27;", "&#39;")


def link_html(url):
    """A link as Mastodon renders it: scheme and the tail hidden in invisible spans."""
    scheme, rest = url.split("://", 1)
    shown, hidden = rest[:30], rest[30:]
    return (f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" translate="no">'
            f'<span class="invisible">{scheme}://</span><span class="{"ellipsis" if hidden else ""}">'
            f'{html.escape(shown)}</span><span class="invisible">{html.escape(hidden)}</span></a>')


def content_html(text, mention=None):
    """Plain text as Mastodon stores it: paragraphs, <br />, &#39;, links and the reply's h-card."""
    def inline(part):
        out, at = [], 0
        for match in LINK.finditer(part):
            out.append(escape(part[at:match.start()]))
            out.append(link_html(match.group()))
            at = match.end()
        out.append(escape(part[at:]))
        return "".join(out).replace("\n", "<br />")

    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()] or [""]
    body = [inline(p) for p in paragraphs]
    if mention:
        card = (f'<span class="h-card" translate="no"><a href="{mention["url"]}" class="u-url mention">'
                f'@<span>{mention["username"]}</span></a></span> ')
        body[0] = card + body[0]
    return "".join(f"<p>{p}</p>" for p in body)


def limit_headers(route, limit, remaining, reset, used):
    reset_iso = datetime.fromtimestamp(reset, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"X-RateLimit-Limit": limit, "X-RateLimit-Remaining": remaining, "X-RateLimit-Reset": reset_iso}


def too_many_body(route):
    return {"error": "Too many requests"}


def server_error_body(route):
    return {"error": "We're sorry, but something went wrong on our end."}


def bucket(route):
    return route if route == "mastodon.delete" else "mastodon"


class Routes:
    """Handler methods for the routes above (mixed into the fake's request handler)."""

    def mastodon_state(self):
        return self.server.platform.plugins[NAME]

    def mastodon_account(self):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            raise self.Reply(401, {"error": "The access token is invalid"})
        return self.mastodon_state().account_for_token(auth[7:].strip())

    def mastodon_status_or_404(self, status_id):
        status = self.mastodon_state().statuses.get(status_id)
        if status is None or status["deleted"]:
            raise self.Reply(404, {"error": "Record not found"})
        return status

    def route_mastodon_me(self):
        return 200, self.mastodon_account()

    def route_mastodon_create(self):
        account = self.mastodon_account()
        state = self.mastodon_state()
        body = self.json_body() if "json" in (self.headers.get("Content-Type") or "") else self.form()
        text = body.get("status") or ""
        if not text.strip():
            raise self.Reply(422, {"error": "Validation failed: Text can't be blank"})
        if len(text) > 500:
            raise self.Reply(422, {"error": "Validation failed: Text character limit of 500 exceeded"})
        key = self.headers.get("Idempotency-Key")
        now = self.server.platform.now()
        if key:
            seen = state.idempotency.get(f"{account['id']}:{key}")
            if seen and now - seen[1] < IDEMPOTENCY_SECONDS:
                return 200, state.status_json(state.statuses[seen[0]])
        status = state.create(account["id"], text, reply_to=body.get("in_reply_to_id") or None)
        if key:
            state.idempotency[f"{account['id']}:{key}"] = [status["id"], now]
        return 200, state.status_json(status)

    def route_mastodon_status(self, status_id):
        self.mastodon_account()
        state = self.mastodon_state()
        return 200, state.status_json(self.mastodon_status_or_404(status_id))

    def route_mastodon_context(self, status_id):
        self.mastodon_account()
        state = self.mastodon_state()
        self.mastodon_status_or_404(status_id)
        ids = state.descendants(status_id)[:state.context_limit]
        return 200, {"ancestors": [], "descendants": [state.status_json(state.statuses[i]) for i in ids]}

    def route_mastodon_delete(self, status_id):
        account = self.mastodon_account()
        state = self.mastodon_state()
        status = self.mastodon_status_or_404(status_id)
        if status["account_id"] != account["id"]:
            raise self.Reply(403, {"error": "This action is not allowed"})
        answer = {k: v for k, v in state.status_json(status).items() if k != "content"}
        answer["text"] = status["text"]
        status["deleted"] = True
        return 200, answer

    def route_mastodon_timeline(self, account_id):
        self.mastodon_account()
        state = self.mastodon_state()
        mine = sorted((s for s in state.statuses.values() if s["account_id"] == account_id and not s["deleted"]),
                      key=lambda s: int(s["id"]), reverse=True)
        max_id = self.query.get("max_id")
        if max_id:
            mine = [s for s in mine if int(s["id"]) < int(max_id)]
        try:
            limit = max(1, min(40, int(self.query.get("limit") or 20)))
        except ValueError:
            limit = 20
        page = mine[:limit]
        headers = {}
        if len(mine) > limit:
            base = f"http://{self.headers.get('Host')}{PREFIX}/api/v1/accounts/{account_id}/statuses"
            headers["link"] = (f'<{base}?limit={limit}&max_id={page[-1]["id"]}>; rel="next", '
                               f'<{base}?limit={limit}&min_id={page[0]["id"]}>; rel="prev"')
        return 200, [state.status_json(s) for s in page], headers
