"""Channels: one module per platform, each a Channel subclass (see base.py), found by name through
the `listener.channels` entry-point group, so another package can add one:

    [project.entry-points."listener.channels"]
    mastodon = "listener.channels.mastodon:MastodonChannel"
"""

from functools import cache
from importlib.metadata import entry_points

GROUP = "listener.channels"


@cache
def channel_classes():
    """{name: Channel subclass} of every registered channel, by each class's `position`, then name."""
    found = {}
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        found.setdefault(entry.name, entry.load())
    return dict(sorted(found.items(), key=lambda item: (item[1].position, item[0])))


def channel_names():
    return tuple(channel_classes())


def channel_class(name):
    return channel_classes()[name]


def display_name(name):
    """'x' -> 'X'; a channel no longer installed keeps its stored name."""
    cls = channel_classes().get(name)
    return cls.display_name if cls else name


def open_channel(name, cfg):
    """The configured channel `name`, with credentials from the environment."""
    return channel_class(name).from_config(cfg)
