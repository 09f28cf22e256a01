"""Channels are plugins: found through the entry-point group, and the core names none of them."""

import re
from pathlib import Path

import pytest

from listener.channels import channel_classes
from listener.channels.base import Channel
from listener.config import DEFAULTS, SECRETS

REPO = Path(__file__).resolve().parent.parent
PLATFORM = re.compile(r"[\"'](x|reddit|mastodon|bluesky)[\"']")


def code_lines(path):
    """The lines of a module without comments (a `#` comment, or SQL's `--` inside a migration)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        yield number, re.split(r"\s#\s|\s--\s|^\s*#", line)[0]


def test_no_core_module_names_a_platform():
    found = [f"{path.name}:{number}: {line.strip()}"
             for path in sorted((REPO / "listener").glob("*.py"))
             for number, line in code_lines(path) if PLATFORM.search(line)]
    assert not found, "platform knowledge belongs in listener/channels/:\n" + "\n".join(found)


def test_the_check_catches_a_platform_name(tmp_path):
    leaky = tmp_path / "leaky.py"
    leaky.write_text('if channel == "reddit":\n    pass  # a comment naming "x" is fine\n')
    assert [n for n, line in code_lines(leaky) if PLATFORM.search(line)] == [1]


def test_dashboards_list_no_channel_names():
    metadata = (REPO / "dashboards" / "metadata.yaml").read_text(encoding="utf-8")
    assert not re.search(r"options:\s*\[[^\]]*\b(x|reddit)\b", metadata)


@pytest.mark.parametrize("name", ["x", "reddit"])
def test_built_in_channels_are_registered(name):
    cls = channel_classes()[name]
    assert issubclass(cls, Channel) and cls.name == name and cls.display_name
    assert DEFAULTS[name]["enabled"] in (True, False) and "account" in DEFAULTS[name]
    assert SECRETS[name] == cls.secrets and all(v.isupper() for v in cls.secrets.values())


@pytest.mark.parametrize("text, weight", [
    ("hello", 5), ("日本語", 6), ("see https://example.com/a/very/long/path/indeed ok", 23 + 7), ("👍", 2)])
def test_x_counts_length_its_own_way(text, weight):
    from listener.channels.x import weighted_length

    assert weighted_length(text) == weight
