"""The fake platform's data, in memory, optionally saved to a JSON file.

Each platform keeps its own data in the State of its module (listener/fake/NAME.py, found for
every registered channel); the Platform holds them, the clock, the random source and the lock,
and offers the control API's verbs (add replies, delete, edit, list root posts) for any of them.
"""

import importlib
import json
import os
import random
import threading
import time
from pathlib import Path

from ..channels import channel_names
from .replies import generate_replies


def platform_modules():
    """{channel: module} of every registered channel that has a fake (listener/fake/NAME.py)."""
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


class Platform:
    """Everything the fake knows. Call its methods with `self.lock` held (the server does)."""

    def __init__(self, state_file=None, seed=0):
        self.lock = threading.RLock()
        self.state_file = Path(state_file) if state_file else None
        self.clock_offset = 0.0
        self.rng = random.Random(seed)
        self.plugins = {name: module.State(self) for name, module in PLUGINS.items()}
        if self.state_file and self.state_file.exists():
            self.load()

    def now(self):
        return time.time() + self.clock_offset

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
        state = self.plugins[channel]
        for i, item in enumerate(items):
            at = item.get("created_at") or start + spread_seconds * (i + 1) / (len(items) + 1)
            parent = item.get("parent")
            parent_id = ids[parent[1]] if isinstance(parent, (list, tuple)) else parent
            ids.append(state.add_reply(post_id, item["text"], item.get("author", "someone"), parent_id, at,
                                       old=bool(item.get("old"))))
        return ids

    def delete(self, channel, item_id):
        self.plugins[channel].delete(item_id)

    def edit(self, channel, item_id, text):
        self.plugins[channel].edit(item_id, text)

    def posts(self):
        """Every root post the platforms accepted, for counting duplicates from outside."""
        return [post for state in self.plugins.values() for post in state.root_posts()]

    # -- persistence ---------------------------------------------------------------------

    def save(self):
        if not self.state_file:
            return
        data = {"clock_offset": self.clock_offset,
                "plugins": {name: state.dump() for name, state in self.plugins.items()}}
        tmp = self.state_file.with_suffix(self.state_file.suffix + ".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.state_file)

    def load(self):
        data = json.loads(self.state_file.read_text(encoding="utf-8"))
        self.clock_offset = data.get("clock_offset", 0.0)
        for name, state in data.get("plugins", {}).items():
            if name in self.plugins:
                self.plugins[name].restore(state)
