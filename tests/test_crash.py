"""SIGKILL real `listener publish` and `listener harvest` processes at random moments, restart them:
0 duplicate posts, 0 replies lost or duplicated, an intact database (see benchmarks/crash.py)."""

import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

from crash import BAD, crash_cycles  # noqa: E402

from listener.channels import channel_classes  # noqa: E402


PUBLISH_CYCLES, HARVEST_CYCLES, REPLIES = 4, 10, 1600  # the suite's short run; benchmarks/crash.py runs more


def test_kill_and_restart_loses_and_duplicates_nothing(fake, tmp_path):
    counts = crash_cycles(fake.base_url, tmp_path, publish_cycles=PUBLISH_CYCLES, harvest_cycles=HARVEST_CYCLES,
                          replies=REPLIES, seed=7)
    assert counts["publish_kills"] + counts["harvest_kills"] >= 8, counts
    channels = len(channel_classes())  # every registered channel takes part
    assert counts["publications"] == channels * (4 + 4 * PUBLISH_CYCLES) == counts["published"], counts
    assert {k: counts[k] for k in BAD} == dict.fromkeys(BAD, 0), counts
    assert counts["integrity"] == "ok"
    assert counts["replies_stored"] == counts["replies_on_platform"] > REPLIES - 10
