"""The fake Reddit API under /reddit (praw's oauth_url and reddit_url point there).

Password-grant tokens, submit answers in `{"json": {"errors", "data"}}`, comment trees with `""`
for no replies, `more` objects (morechildren expands about 20 at a time) and "continue this
thread", `[deleted]` comments left in the tree, `x-ratelimit-*` headers (reset in seconds from now,
remaining a float) on some routes only, HTML error pages on 5xx.
"""

import base64
import re
import secrets
import time

from .state import PlatformState

NAME = "reddit"
ROUTES = [
    ("POST", r"/reddit/api/v1/access_token", "reddit.token"),
    ("GET", r"/reddit/api/v1/me", "reddit.me"),
    ("POST", r"/reddit/api/submit/?", "reddit.submit"),
    ("GET", r"/reddit/comments/(?P<submission_id>[0-9a-z]+)/_/(?P<comment_id>[0-9a-z]+)/?", "reddit.thread"),
    ("GET", r"/reddit/comments/(?P<submission_id>[0-9a-z]+)(/[^/]*)?/?", "reddit.comments"),
    ("POST", r"/reddit/api/morechildren/?", "reddit.morechildren"),
    ("GET", r"/reddit/api/morechildren/?", "reddit.morechildren"),
    ("GET", r"/reddit/user/(?P<username>[^/]+)/submitted/?", "reddit.submitted"),
]
LIMITS = {
    "reddit": (1000, 600),  # one budget for every Reddit OAuth route
    "reddit.token": (600, 600),  # the login endpoint has a budget of its own
}
# By default only these listings lack rate-limit headers, as on Reddit (quirk no_limit_headers: all do).
ROUTES_WITHOUT_LIMIT_HEADERS = {"reddit.submitted", "reddit.thread", "reddit.token"}
MORECHILDREN_EXPANDS = 20  # Reddit expands about 20 comments per call and returns the rest as a new `more`
BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def to_base36(number):
    digits = []
    while number:
        number, rest = divmod(number, 36)
        digits.append(BASE36[rest])
    return "".join(reversed(digits)) or "0"


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


def slug(title):
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:50] or "post"


class State(PlatformState):
    """Reddit's data: users, tokens, submissions and comments (saved with the rest of the platform)."""

    FIELDS = ["reddit_users", "reddit_tokens", "submissions", "comments", "children", "next_submission",
              "next_comment"]

    def __init__(self, platform):
        super().__init__(platform)
        self.reddit_users = {}   # name -> {name, id}
        self.reddit_tokens = {}  # bearer token -> username
        self.submissions = {}    # id -> submission dict
        self.comments = {}       # id -> comment dict
        self.children = {}       # fullname -> [comment ids, ascending]
        self.next_submission = int("1kh35wk", 36)
        self.next_comment = int("m2a0000", 36)

    def size(self):
        return len(self.comments)

    def reddit_user(self, name):
        if name not in self.reddit_users:
            self.reddit_users[name] = {"name": name, "id": to_base36(self.rng.randrange(36**6, 36**7))}
        return self.reddit_users[name]

    def create_submission(self, author, subreddit, title, text, at=None):
        self.next_submission += self.rng.randrange(1, 50)
        sid = to_base36(self.next_submission)
        self.submissions[sid] = {
            "id": sid,
            "author": author,
            "subreddit": subreddit,
            "title": title,
            "selftext": text,
            "created_utc": self.now() if at is None else at,
            "hidden_comments": 0,
        }
        return self.submissions[sid]

    def create_comment(self, submission_id, parent_fullname, author, body, at=None, old=False):
        self.next_comment += self.rng.randrange(1, 5)
        cid = to_base36(self.next_comment)
        depth = 0 if parent_fullname.startswith("t3_") else self.comments[parent_fullname[3:]]["depth"] + 1
        self.comments[cid] = {
            "id": cid,
            "submission_id": submission_id,
            "parent_id": parent_fullname,
            "author": author,
            "body": body,
            "created_utc": self.now() if at is None else at,
            "edited": False,
            "score": 1,
            "depth": depth,
            "deleted": False,
            "old": old,  # a 2016-17 comment: no depth nor permalink in the API's answers
        }
        self.children.setdefault(parent_fullname, []).append(cid)
        return self.comments[cid]

    def num_comments(self, submission_id):
        submission = self.submissions[submission_id]
        listed = sum(1 for c in self.comments.values() if c["submission_id"] == submission_id)
        return listed + submission["hidden_comments"]

    # -- the control API's verbs ---------------------------------------------------------------

    def add_reply(self, post_id, text, author, parent_id, at, old=False):
        if post_id not in self.submissions:
            raise KeyError(f"no submission {post_id}")
        self.reddit_user(author)
        parent = f"t1_{parent_id}" if parent_id else f"t3_{post_id}"
        return self.create_comment(post_id, parent, author, text, at=at, old=old)["id"]

    def add_post_like(self, like, text, at):
        like = self.submissions[like]
        return self.create_submission(like["author"], like["subreddit"], text, text, at=at)["id"]

    def hide(self, post_id, count):
        """Comments Reddit counts in num_comments but never lists (removed, hidden)."""
        if post_id not in self.submissions:
            return False
        self.submissions[post_id]["hidden_comments"] += count
        return True

    def delete(self, item_id):
        self.comments[item_id].update(deleted=True, body="[deleted]", author="[deleted]")

    def edit(self, item_id, text):
        comment = self.comments[item_id]
        # an old comment says only that it was edited (`edited: true`), not when
        comment.update(body=text, edited=True if comment.get("old") else float(int(self.now())))

    def root_posts(self):
        return [
            {"channel": NAME, "id": s["id"], "text": s["selftext"], "title": s["title"],
             "subreddit": s["subreddit"], "author": s["author"], "replies": self.num_comments(s["id"])}
            for s in self.submissions.values()
        ]


def bucket(route):
    return route if route == "reddit.token" else "reddit"


def sends_limit_headers(route, quirks):
    return route not in ROUTES_WITHOUT_LIMIT_HEADERS and "no_limit_headers" not in quirks


def limit_headers(route, limit, remaining, reset, used):
    return {"x-ratelimit-used": used, "x-ratelimit-remaining": f"{float(remaining):.1f}",
            "x-ratelimit-reset": max(0, int(reset - time.time()))}


def too_many_body(route):
    return {"message": "Too Many Requests", "error": 429}


def server_error_body(route):
    return b"<html><body><h1>500 Internal Server Error</h1></body></html>"


class Routes:
    """Handler methods for the routes above (mixed into the fake's request handler)."""

    def route_reddit_token(self):
        auth = self.headers.get("Authorization", "")
        form = self.form()
        try:
            client_id, client_secret = base64.b64decode(auth.split(" ", 1)[1]).decode().split(":", 1)
        except (IndexError, ValueError):
            client_id = client_secret = ""
        if not auth.startswith("Basic ") or not client_id or not client_secret:
            raise self.Reply(401, {"message": "Unauthorized", "error": 401},
                        {"www-authenticate": 'Basic realm="reddit"'})
        if form.get("grant_type") != "password" or not form.get("username") or not form.get("password"):
            return 200, {"error": "invalid_grant"}
        token = secrets.token_urlsafe(24)
        platform = self.server.platform.plugins[NAME]
        platform.reddit_user(form["username"])
        platform.reddit_tokens[token] = form["username"]
        return 200, {"access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*"}

    def reddit_user(self):
        auth = self.headers.get("Authorization", "")
        token = auth.split(" ", 1)[1] if " " in auth else ""
        username = self.server.platform.plugins[NAME].reddit_tokens.get(token)
        if not auth.lower().startswith("bearer ") or not username:
            raise self.Reply(401, {"message": "Unauthorized", "error": 401},
                        {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'})
        return username

    def route_reddit_me(self):
        user = self.server.platform.plugins[NAME].reddit_user(self.reddit_user())
        return 200, {"name": user["name"], "id": user["id"], "created_utc": 1500000000.0,
                     "link_karma": 1, "comment_karma": 1, "is_suspended": False}

    def route_reddit_submit(self):
        username = self.reddit_user()
        form = self.form()
        title, subreddit = form.get("title", ""), form.get("sr", "")
        if not title.strip() or not subreddit:
            raise self.Reply(400, {"message": "Bad Request", "error": 400})
        if len(title) > 300:
            return 200, {"json": {"errors": [["TOO_LONG", "this is too long (max: 300)", "title"]]}}
        platform = self.server.platform.plugins[NAME]
        submission = platform.create_submission(username, subreddit, title, form.get("text", ""))
        url = f"{self.server.base_url}/reddit/r/{subreddit}/comments/{submission['id']}/{slug(title)}/"
        return 200, {"json": {"errors": [], "data": {
            "url": url, "drafts_count": 0, "id": submission["id"], "name": "t3_" + submission["id"]}}}

    def submission_thing(self, submission):
        platform = self.server.platform.plugins[NAME]
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
        submission = self.server.platform.plugins[NAME].submissions[comment["submission_id"]]
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
        kids = self.server.platform.plugins[NAME].children.get("t1_" + cid, [])
        return sum(1 + self.descendants(k) for k in kids)

    def tree(self, parent_fullname, ids, budget, depth, max_depth):
        """Nested comment things for `ids` (siblings), spending budget[0]; `more` for the rest."""
        comments = self.server.platform.plugins[NAME].comments
        things = []
        for i, cid in enumerate(ids):
            if budget[0] <= 0:
                things.append(self.more_thing(parent_fullname, ids[i:], depth))
                break
            budget[0] -= 1
            kids = self.server.platform.plugins[NAME].children.get("t1_" + cid, [])
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
        platform = self.server.platform.plugins[NAME]
        submission = platform.submissions.get(submission_id)
        if not submission:
            raise self.Reply(404, {"message": "Not Found", "error": 404})
        roots = platform.children.get("t3_" + submission_id, [])
        things = self.tree("t3_" + submission_id, roots, [self.comment_limit()], 0, 10)
        return 200, [listing([self.submission_thing(submission)]), listing(things)]

    def route_reddit_thread(self, submission_id, comment_id):
        self.reddit_user()
        platform = self.server.platform.plugins[NAME]
        submission = platform.submissions.get(submission_id)
        comment = platform.comments.get(comment_id)
        if not submission or not comment or comment["submission_id"] != submission_id:
            raise self.Reply(404, {"message": "Not Found", "error": 404})
        things = self.tree(comment["parent_id"], [comment_id], [self.comment_limit()], comment["depth"],
                           comment["depth"] + 10)
        return 200, [listing([self.submission_thing(submission)]), listing(things)]

    def route_reddit_morechildren(self):
        self.reddit_user()
        params = {**self.query, **self.form()}
        platform = self.server.platform.plugins[NAME]
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
        platform = self.server.platform.plugins[NAME]
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
