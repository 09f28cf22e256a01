"""SIGKILL real `listener publish` and `listener harvest` processes at random moments, restart them:
0 duplicate posts, 0 replies lost or duplicated, an intact database (see benchmarks/crash.py)."""

import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

from crash import BAD, crash_cycles  # noqa: E402

from listener.channels import channel_classes  # noqa: E402


def test_kill_and_restart_loses_and_duplicates_nothing(fake, tmp_path):
    counts = crash_cycles(fake.base_url, tmp_path, publish_cycles=6, harvest_cycles=16, replies=1600, seed=7)
    assert counts["publish_kills"] + counts["harvest_kills"] >= 15, counts
    channels = len(channel_classes())  # every registered channel takes part
    assert counts["publications"] == channels * (4 + 4 * 6) == counts["published"], counts
    assert {k: counts[k] for k in BAD} == dict.fromkeys(BAD, 0), counts
    assert counts["integrity"] == "ok"
    assert counts["replies_stored"] == counts["replies_on_platform"] > 1600 - 10
