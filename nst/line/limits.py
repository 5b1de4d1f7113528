"""What one server allows; README "Limits" lists the environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import NSTError

VARIABLES = {"slots": "NST_MAX_RUNS", "max_waiting": "NST_MAX_WAITING", "per_visitor": "NST_MAX_PER_VISITOR",
             "max_run_seconds": "NST_MAX_RUN_SECONDS", "orphan_seconds": "NST_ORPHAN_SECONDS",
             "stop_grace_seconds": "NST_STOP_GRACE_SECONDS", "idle_seconds": "NST_WORKER_IDLE_SECONDS"}


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

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Limits:
        """The limits `environ` sets (the defaults for the others); NSTError for a bad value."""
        values: dict[str, Any] = {}
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
        return cls(**values)
