"""Whose claim is it: a claim (publish or harvest) records the claiming process id, and a claim
whose process is gone is stale at once. The database lives on one machine, so the pid is
meaningful; a reused pid only delays recovery until the claim's age makes it stale."""

import os


def process_gone(pid):
    """True when no process `pid` exists on this machine (our own process is never gone)."""
    if not pid or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # exists, owned by someone else
    return is_zombie(pid)


def is_zombie(pid):
    """A killed child not yet reaped still has a pid: it is dead all the same (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False
