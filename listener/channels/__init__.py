"""Channels: one module per platform, each a Channel subclass (see base.py)."""

from .reddit import RedditChannel
from .x import XChannel

CHANNELS = {"x": XChannel, "reddit": RedditChannel}


def open_channel(name, cfg):
    """The configured channel `name`, with credentials from the environment."""
    return CHANNELS[name].from_config(cfg)
