"""One run in the line: start it, poll `status()`, `stop()` it.

A page that drew from its own script thread would lose the run at the first widget change (Streamlit
reruns the script); a `Job` keeps running in a worker, the page polls `status()`, and `stop()`
cancels it between steps, keeping the image so far.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ..errors import NSTError
from ..events import ClipFinished, Finished, FrameDone, Inspection, Losses, Notice, Preview, Step
from ..images import ImageSource
from ..settings import Settings
from .protocol import Inspect, Paint, PaintClip, Task

ETA_STEPS = 10  # the time left is estimated from the median pace of the last this many steps


class Line(Protocol):
    """What a job needs of the line it waits in (nst/line/queue.py's RunQueue)."""

    clock: Callable[[], float]

    def submit(self, job: Job) -> None: ...
    def stop(self, job: Job, message: str | None = None) -> None: ...
    def position(self, job: Job) -> int: ...
    def network_description(self, weights: str) -> str | None: ...

    def network_compute(self, weights: str) -> str | None: ...


@dataclass(frozen=True)
class JobStatus:
    """A consistent snapshot of a job for drawing."""

    step: int
    steps: int
    shape: tuple[int, int]  # the size the current step runs at (coarse-to-fine)
    work: float  # fraction of the compute done
    elapsed: float
    eta: float | None  # seconds left, from the last steps' pace (None until one step after the first is timed)
    history: list[Losses]
    preview: np.ndarray | None
    notices: list[str]
    position: int  # place in line: 1 = next to run; 0 once running
    frame: int  # a clip: frames painted so far (0 for a picture)
    frames: int  # a clip: its frame count, once its first frame is painted (0 before, and for a picture)
    download: tuple[int, int] | None  # (bytes, total) while the network's weights download
    sizes: list[tuple[int, tuple[int, int]]]  # (first step, (height, width)) of each size so far (coarse-to-fine)
    result: Finished | Inspection | ClipFinished | None
    error: str | None
    cancelled: bool  # stopped before it started

    @property
    def queued(self) -> bool:
        return self.position > 0

    @property
    def done(self) -> bool:
        return self.result is not None or self.error is not None or self.cancelled


@dataclass
class _State:
    step: int = 0
    shape: tuple[int, int] = (0, 0)
    work: float = 0.0
    elapsed: float = 0.0
    rates: deque[float] = field(default_factory=lambda: deque(maxlen=ETA_STEPS))  # seconds per unit of work
    history: list[Losses] = field(default_factory=list)
    preview: np.ndarray | None = None
    preview_step: int = 0
    notices: list[str] = field(default_factory=list)
    download: tuple[int, int] | None = None
    frame: int = 0
    frames: int = 0
    sizes: list[tuple[int, tuple[int, int]]] = field(default_factory=list)
    result: Finished | Inspection | ClipFinished | None = None
    error: str | None = None
    cancelled: bool = False


class Job:
    """One run (a `Paint` task by default; `Job.video` and `Job.inspection` make the others); `watch`
    says whether anyone still looks at it, `visitor` who asked for it (the line limits how many runs
    one visitor has in it)."""

    _ids = itertools.count(1)

    def __init__(self, content: ImageSource, style: ImageSource | Sequence[ImageSource], settings: Settings,
                 watch: Callable[[], bool] | None = None, masks: Sequence[ImageSource] | None = None,
                 visitor: str | None = None, task: Task | None = None):
        self.id = next(self._ids)
        self.task: Task = task or Paint(content, style, masks)
        self.settings = settings
        self.watch = watch
        self.visitor = visitor
        self.line: Line | None = None
        self.clock: Callable[[], float] = time.monotonic  # the line's, once started
        self.started_at: float | None = None  # when the worker began to run it (its time limit counts from here)
        self.stop_requested_at: float | None = None
        self.stop_message: str | None = None  # why the server stopped it, if it did
        self.last_poll = self.clock()
        self._lock = threading.Lock()
        self._state = _State()
        self._done = threading.Event()

    @classmethod
    def video(cls, clip: bytes, style: ImageSource | Sequence[ImageSource], settings: Settings, mode: str,
              limits: Any, watch: Callable[[], bool] | None = None, visitor: str | None = None,
              span: tuple[int, int] | None = None) -> Job:
        """A job that paints a clip (nst/video.py), or its frames [start, end) given as `span` (a chunk:
        nst/chunks.py); the clip is decoded in the worker, within `limits` (nst/clips.py's ClipLimits).
        Its result is a `ClipFinished`."""
        return cls(clip, style, settings, watch, visitor=visitor, task=PaintClip(clip, style, mode, limits, span))

    @classmethod
    def inspection(cls, images: dict[str, ImageSource], settings: Settings, watch: Callable[[], bool] | None = None,
                   visitor: str | None = None) -> Job:
        """A job whose result is an `Inspection` of each image (by name) at `settings.size`, on the
        network of `settings.weights`: it waits in the same line and runs in the same workers."""
        return cls(next(iter(images.values())), (), settings, watch, visitor=visitor, task=Inspect(dict(images)))

    def start(self, line: Line) -> Job:
        """Join `line`; raises NSTError if the line is full or refuses the visitor."""
        self.line, self.clock = line, line.clock
        self.last_poll = self.clock()
        line.submit(self)
        return self

    def stop(self, message: str | None = None) -> None:
        """Ask the run to stop after the current step (or leave the line); the result keeps the image so far."""
        if self.line is not None and not self._done.is_set():
            self.line.stop(self, message)

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def status(self) -> JobStatus:
        """The job now; calling it also tells the server that somebody is still watching."""
        self.last_poll = self.clock()
        position = self.line.position(self) if self.line is not None else 0
        with self._lock:
            s = self._state
            eta = float(np.median(s.rates)) * (1.0 - s.work) if s.rates else None
            return JobStatus(
                s.step, self.settings.steps, s.shape, s.work, s.elapsed, eta, list(s.history), s.preview,
                list(s.notices), position, s.frame, s.frames, s.download, list(s.sizes), s.result, s.error,
                s.cancelled,
            )

    # called by the line and its workers
    def started(self) -> None:
        self.started_at = self.clock()

    def request_stop(self, message: str | None) -> bool:
        """Note the first request to stop (and why); False if one was already noted."""
        if self.stop_requested_at is not None:
            return False
        self.stop_requested_at, self.stop_message = self.clock(), message
        return True

    def record(self, event: Notice | Preview | Step | Finished | Inspection | FrameDone | ClipFinished) -> None:
        with self._lock:
            s = self._state
            match event:
                case Notice():
                    s.notices.append(event.text)
                case Preview():
                    s.preview, s.preview_step, s.elapsed = event.image, 0, event.elapsed
                case Inspection() | ClipFinished():
                    s.download, s.result = None, event
                case FrameDone():
                    s.frame, s.frames, s.preview, s.elapsed = event.frame + 1, event.frames, event.image, event.elapsed
                case Step():
                    s.download = None
                    if event.shape != s.shape:  # a new size: its first step includes tracing, so it is not timed
                        s.sizes.append((event.step, event.shape))
                    elif event.work > s.work:
                        s.rates.append((event.elapsed - s.elapsed) / (event.work - s.work))
                    s.step, s.elapsed, s.shape, s.work = event.step, event.elapsed, event.shape, event.work
                    s.history.append(event.losses)
                    if event.preview is not None:
                        s.preview, s.preview_step = event.preview, event.step
                case Finished():
                    if self.stop_message and event.reason == "cancelled":
                        message = f"{self.stop_message} Kept the image after {event.steps_done} steps."
                        event = dataclasses.replace(event, message=message)
                    s.result, s.preview, s.elapsed = event, event.image, event.elapsed

    def downloading(self, done: int, total: int) -> None:
        with self._lock:
            self._state.download = (done, total)

    def end(self, error: str | None = None, cancelled: bool = False) -> None:
        """The job is over: with `error` (keeping a step's image as a failed result), or cancelled."""
        with self._lock:
            s = self._state
            if error and s.result is None:
                kept = s.preview is not None and s.preview_step > 0 and isinstance(self.task, Paint)
                s.result = self._kept(error) if kept else None
                s.error = None if s.result is not None else error
            s.cancelled = cancelled
        self._done.set()

    def _kept(self, error: str) -> Finished | None:
        """A run that failed after showing a preview (its worker crashed or was killed): a result with
        that image, so the visitor keeps the work so far. Called with the lock held."""
        from ..images import load_image

        s = self._state
        try:
            content = load_image(self.task.content, self.settings.size, "content image")
        except NSTError:
            return None
        if s.preview.shape != content.shape:
            return None
        message = f"{error.removesuffix(' The server is fine: try again.')} Kept the image from step {s.preview_step}."
        network = self.line.network_description(self.settings.weights) if self.line is not None else None
        return Finished(s.preview, content, "failed", message, s.step, s.elapsed, list(s.history),
                        [(s.preview_step, s.preview)], list(s.sizes), network or "")


def wait_for(job: Job, timeout: float = 600.0) -> JobStatus:
    """Block until the job ends (tests, scripts), polling it like a page would, and return its final status."""
    deadline = time.monotonic() + timeout
    while not job.wait(0.2):
        job.status()
        if time.monotonic() > deadline:
            raise TimeoutError("the style-transfer job did not finish in time")
    return job.status()
