"""Run `stylise` in a background thread and let a UI poll it.

A page that draws from the script thread would lose the run at the first widget change (Streamlit
reruns the script); a job keeps running, the page polls `status()`, and `stop()` cancels between
steps through the engine's `should_stop`, keeping the image so far.

Runs share the machine: at most `NST_MAX_RUNS` (default 1) optimise at once per process, the others
wait in line, so a classroom on one small server does not run out of memory.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .backbone import Backbone
from .engine import Finished, Notice, Step, stylise
from .errors import NSTError
from .images import ImageSource
from .losses import Losses
from .settings import Settings

log = logging.getLogger(__name__)
_slots = threading.BoundedSemaphore(max(1, int(os.environ.get("NST_MAX_RUNS", "1"))))


@dataclass(frozen=True)
class JobStatus:
    """A consistent snapshot of a job for drawing."""

    step: int
    steps: int
    shape: tuple[int, int]  # the size the current step runs at (coarse-to-fine)
    work: float  # fraction of the compute done
    elapsed: float
    eta: float | None  # seconds left, once two steps have been timed
    history: list[Losses]
    preview: np.ndarray | None
    notices: list[str]
    queued: bool
    result: Finished | None
    error: str | None

    @property
    def done(self) -> bool:
        return self.result is not None or self.error is not None


@dataclass
class _State:
    step: int = 0
    shape: tuple[int, int] = (0, 0)
    work: float = 0.0
    elapsed: float = 0.0
    first_step: tuple[float, float] | None = None  # (elapsed, work) after step 1, which includes tracing
    history: list[Losses] = field(default_factory=list)
    preview: np.ndarray | None = None
    notices: list[str] = field(default_factory=list)
    queued: bool = True
    result: Finished | None = None
    error: str | None = None


class Job:
    def __init__(
        self,
        content: ImageSource,
        style: ImageSource | Sequence[ImageSource],
        settings: Settings,
        backbone: Backbone | None = None,
    ):
        self.settings = settings
        self._inputs = (content, style, backbone)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._state = _State()
        self._thread = threading.Thread(target=self._run, name="nst-job", daemon=True)

    def start(self) -> "Job":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the run to stop after the current step; the result keeps the image so far."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def status(self) -> JobStatus:
        with self._lock:
            s = self._state
            eta = None
            if s.first_step is not None and s.work > s.first_step[1]:
                rate = (s.elapsed - s.first_step[0]) / (s.work - s.first_step[1])  # seconds per unit of work
                eta = rate * (1.0 - s.work)
            return JobStatus(
                s.step, self.settings.steps, s.shape, s.work, s.elapsed, eta, list(s.history), s.preview, list(s.notices),
                s.queued, s.result, s.error,
            )

    def _run(self) -> None:
        content, style, backbone = self._inputs
        try:
            while not _slots.acquire(timeout=0.2):  # wait in line, but remain stoppable
                if self._stop.is_set():
                    with self._lock:
                        self._state.error = "Cancelled before it started."
                    return
            try:
                with self._lock:
                    self._state.queued = False
                for event in stylise(content, style, self.settings, backbone=backbone, should_stop=self._stop.is_set):
                    self._record(event)
            finally:
                gc.collect()  # free the run's TensorFlow objects in this thread (a precaution, see engine.py)
                _slots.release()
        except NSTError as exc:
            with self._lock:
                self._state.error = str(exc)
        except Exception as exc:  # keep the page alive; the server log has the traceback
            log.exception("style transfer failed")
            with self._lock:
                self._state.error = f"Unexpected error ({type(exc).__name__}: {exc}). Details are in the server log."

    def _record(self, event: Notice | Step | Finished) -> None:
        with self._lock:
            s = self._state
            if isinstance(event, Notice):
                s.notices.append(event.text)
            elif isinstance(event, Step):
                s.step, s.elapsed, s.shape, s.work = event.step, event.elapsed, event.shape, event.work
                if event.step == 1:
                    s.first_step = (event.elapsed, event.work)
                s.history.append(event.losses)
                if event.preview is not None:
                    s.preview = event.preview
            else:
                s.result = event
                s.preview = event.image
                s.elapsed = event.elapsed


def wait_for(job: Job, timeout: float = 600.0) -> JobStatus:
    """Block until the job ends (tests, scripts) and return its final status."""
    deadline = time.monotonic() + timeout
    while not job.wait(0.1):
        if time.monotonic() > deadline:
            raise TimeoutError("the style-transfer job did not finish in time")
    return job.status()
