"""Child processes, for the drill and the tests that kill a job worker mid-job."""

from __future__ import annotations

import os


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (RQ's work horse puts itself in a group of its own,
    so killing the worker's group would miss it)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if parent == pid:
                found.append(int(entry))
    return found
