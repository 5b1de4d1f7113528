"""What one server allows; README "Limits" lists the environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import NSTError

VARIABLES = {"slots": "NST_MAX_RUNS", "max_waiting": "NST_MAX_WAITING", "per_visitor": "NST_MAX_PER_VISITOR",
             "max_run_seconds": "NST_MAX_RUN_SECONDS", "orphan_seconds": "NST_ORPHAN_SECONDS",
             "stop_grace_seconds": "NST_STOP_GRACE_SECONDS", "idle_seconds": "NST_WORKER_IDLE_SECONDS",
             "max_size": "NST_MAX_SIZE", "live_streams": "NST_MAX_LIVE"}
SMALL_MACHINE_MB = 4096  # below this (Community Cloud's 2.7 GB), the studio's runs stop at 512 px: BENCHMARKS.md
SMALL_MACHINE_SIZE = 512


@dataclass(frozen=True)
class Limits:
    """The line's limits: run slots, waiting places, runs per visitor and the watchdog's times."""

    slots: int = 1  # NST_MAX_RUNS: runs at once, one worker each (~1-1.5 GB at 512 px)
    max_waiting: int = 50  # NST_MAX_WAITING: runs in line before new ones are refused
    per_visitor: int = 2  # NST_MAX_PER_VISITOR: runs one visitor (browser) may have in line or running
    max_run_seconds: float = 600.0  # NST_MAX_RUN_SECONDS: a run is stopped (its image kept) after this
    orphan_seconds: float = 60.0  # NST_ORPHAN_SECONDS: stopped when nobody has polled it for this long
    stop_grace_seconds: float = 30.0  # NST_STOP_GRACE_SECONDS: a worker that has not stopped by then is killed
    idle_seconds: float = 120.0  # NST_WORKER_IDLE_SECONDS: a worker without a run for this long lets its memory go
    max_size: int = 1024  # NST_MAX_SIZE: the studio's largest output size (512 where memory is under 4 GB)
    live_streams: int = 2  # NST_MAX_LIVE: webcams painted live at once (nst/live.py), one per visitor

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Limits:
        """The limits `environ` sets (the defaults for the others, the size from this machine's memory);
        NSTError for a bad value."""
        memory = memory_mb()
        values: dict[str, Any] = {"max_size": SMALL_MACHINE_SIZE} if memory and memory < SMALL_MACHINE_MB else {}
        for name, variable in VARIABLES.items():
            text = environ.get(variable)
            if text is None:
                continue
            kind = type(getattr(cls, name))
            try:
                values[name] = kind(text)
            except ValueError:
                raise NSTError(f"{variable} must be a number, got {text!r}.") from None
            if not 0 < values[name] < float("inf"):
                raise NSTError(f"{variable} must be a positive number, got {text!r}.")
        if values.get("max_size", SMALL_MACHINE_SIZE) < 128:
            raise NSTError(f"NST_MAX_SIZE must be at least 128 (px), got {values['max_size']}.")
        return cls(**values)


def memory_mb() -> float | None:
    """The memory this process may use, in MB: the smaller of the machine's and its container's limit
    (cgroup v2 or v1, as Community Cloud and Docker set it); None where neither can be read (not Linux)."""
    found = []
    for path, scale in (("/sys/fs/cgroup/memory.max", 1), ("/sys/fs/cgroup/memory/memory.limit_in_bytes", 1),
                        ("/proc/meminfo", 1024)):
        try:
            with open(path) as file:
                text = file.read()
        except OSError:
            continue
        if path == "/proc/meminfo":
            text = next((line.split()[1] for line in text.splitlines() if line.startswith("MemTotal:")), "")
        if text.strip().isdigit():
            found.append(int(text.strip()) * scale / 2**20)
    return min(found) if found else None
