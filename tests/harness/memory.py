"""Resident memory of a process and its descendants (Linux /proc), now and at its peak."""

from __future__ import annotations

import threading
from pathlib import Path


def tree_mb(root: int) -> float:
    """Resident memory of `root` and all its descendants (worker processes), in MB."""
    return sum(_rss_kb(pid) for pid in descendants(root) | {root}) / 1024


class Peak:
    """The largest `tree_mb(root)` seen, sampled every `every` seconds in a thread until `stop()`."""

    def __init__(self, root: int, every: float = 0.1):
        self.root, self.every, self.mb = root, every, 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.is_set():
            self.mb = max(self.mb, tree_mb(self.root))
            self._done.wait(self.every)

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.mb


def descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
