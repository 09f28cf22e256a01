"""The fake platform's data: X posts and Reddit things, in memory, optionally saved to a JSON file.

Only what the HTTP layer needs: ids that look real, reply trees, counts, edits and deletions.
"""

import hashlib
import importlib
import json
import os
import random
import re
import string
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from ..channels import channel_names
from .replies import generate_replies

TWITTER_EPOCH_MS = 1288834974657
BASE36 = string.digits + string.ascii_lowercase
BASE62 = string.digits + string.ascii_letters
LINK = re.compile(r"https?://\S+")


def platform_modules():
    """{channel: module} of the platforms in their own module (listener/fake/NAME.py, with a State)."""
    found = {}
    for name in channel_names():
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError:
            continue
        if hasattr(module, "State"):
            found[name] = module
    return found


PLUGINS = platform_modules()


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


def to_base36(number):
    digits = []
    while number:
        number, rest = divmod(number, 36)
        digits.append(BASE36[rest])
    return "".join(reversed(digits)) or "0"


def x_time(epoch):
    """X's timestamp format, with milliseconds: 2026-11-24T09:00:00.000Z."""
    dt = datetime.fromtimestamp(epoch, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class Platform:
    """Everything the fake knows. Call its methods with `self.lock` held (the server does)."""

    def __init__(self, state_file=None, seed=0):
        self.lock = threading.RLock()
        self.state_file = Path(state_file) if state_file else None
        self.clock_offset = 0.0
        self.rng = random.Random(seed)
        self.x_users = {}        # id -> {id, username, name}
        self.x_tokens = {}       # access token -> user id
        self.tweets = {}         # id -> tweet dict (internal form)
        self.conversations = {}  # root id -> [reply ids, ascending]
        self.x_seq = 0
        self.reddit_users = {}   # name -> {name, id}
        self.reddit_tokens = {}  # bearer token -> username
        self.submissions = {}    # id -> submission dict
        self.comments = {}       # id -> comment dict
        self.children = {}       # fullname -> [comment ids, ascending]
        self.next_submission = int("1kh35wk", 36)
        self.next_comment = int("m2a0000", 36)
        self.plugins = {name: module.State(self) for name, module in PLUGINS.items()}
        if self.state_file and self.state_file.exists():
            self.load()

    def now(self):
        return time.time() + self.clock_offset

    # -- X -------------------------------------------------------------------------------

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

    # -- Reddit --------------------------------------------------------------------------

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

    # -- both ----------------------------------------------------------------------------

    def add_replies(self, channel, post_id, count=0, seed=0, replies=None, spread_seconds=3600):
        """Add generated (count, seed) and/or given replies under a post. Returns the new ids."""
        rng = random.Random(seed)
        given = list(replies or [])
        generated = generate_replies(rng, count) if count else []
        base = len(given)
        items = given + [
            {**r, "parent": None if r["parent"] is None else ("#", base + r["parent"])} for r in generated
        ]
        start = self.now() - spread_seconds
        ids = []
        for i, item in enumerate(items):
            at = item.get("created_at") or start + spread_seconds * (i + 1) / (len(items) + 1)
            parent = item.get("parent")
            parent_id = ids[parent[1]] if isinstance(parent, (list, tuple)) else parent
            ids.append(self._add_reply(channel, post_id, item["text"], item.get("author", "someone"), parent_id, at,
                                       old=bool(item.get("old"))))
        return ids

    def _add_reply(self, channel, post_id, text, author, parent_id, at, old=False):
        if channel in self.plugins:
            return self.plugins[channel].add_reply(post_id, text, author, parent_id, at, old=old)
        if channel == "x":
            if post_id not in self.tweets:
                raise KeyError(f"no tweet {post_id}")
            user = self.x_commenter(author)
            return self.create_tweet(user["id"], text, reply_to=parent_id or post_id, at=at)["id"]
        if post_id not in self.submissions:
            raise KeyError(f"no submission {post_id}")
        self.reddit_user(author)
        parent = f"t1_{parent_id}" if parent_id else f"t3_{post_id}"
        return self.create_comment(post_id, parent, author, text, at=at, old=old)["id"]

    def delete(self, channel, item_id):
        if channel in self.plugins:
            self.plugins[channel].delete(item_id)
        elif channel == "x":
            self.tweets[item_id]["deleted"] = True
        else:
            comment = self.comments[item_id]
            comment.update(deleted=True, body="[deleted]", author="[deleted]")

    def edit(self, channel, item_id, text):
        if channel in self.plugins:
            self.plugins[channel].edit(item_id, text)
        elif channel == "x":
            tweet = self.tweets[item_id]
            parent = self.tweets.get(tweet["in_reply_to"]) if tweet["in_reply_to"] else None
            mention = f"@{self.x_users[parent['author_id']]['username']} " if parent else ""
            tweet["text"], tweet["urls"] = x_stored_text(mention + text, item_id)
            tweet["raw_text"] = text
        else:
            comment = self.comments[item_id]
            # an old comment says only that it was edited (`edited: true`), not when
            comment.update(body=text, edited=True if comment.get("old") else float(int(self.now())))

    def posts(self):
        """Every root post the platform accepted, for counting duplicates from outside."""
        x = [
            {"channel": "x", "id": t["id"], "text": t.get("raw_text", t["text"]), "stored_text": t["text"],
             "author_id": t["author_id"], "replies": self.reply_count(t["id"])}
            for t in self.tweets.values() if t["in_reply_to"] is None and t["author_id"] in self.x_tokens.values()
        ]
        reddit = [
            {"channel": "reddit", "id": s["id"], "text": s["selftext"], "title": s["title"],
             "subreddit": s["subreddit"], "author": s["author"], "replies": self.num_comments(s["id"])}
            for s in self.submissions.values()
        ]
        return x + reddit + [post for state in self.plugins.values() for post in state.root_posts()]

    # -- persistence ---------------------------------------------------------------------

    FIELDS = ["clock_offset", "x_users", "x_tokens", "tweets", "conversations", "x_seq",
              "reddit_users", "reddit_tokens", "submissions", "comments", "children",
              "next_submission", "next_comment"]

    def save(self):
        if not self.state_file:
            return
        data = {name: getattr(self, name) for name in self.FIELDS}
        data["plugins"] = {name: state.dump() for name, state in self.plugins.items()}
        tmp = self.state_file.with_suffix(self.state_file.suffix + ".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.state_file)

    def load(self):
        data = json.loads(self.state_file.read_text(encoding="utf-8"))
        for name in self.FIELDS:
            if name in data:
                setattr(self, name, data[name])
        for name, state in data.get("plugins", {}).items():
            if name in self.plugins:
                self.plugins[name].restore(state)
