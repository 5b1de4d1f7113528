"""Runs for a server with many visitors: a first-come-first-served line, worker processes, limits.

A page that drew from its own script thread would lose the run at the first widget change (Streamlit
reruns the script); a `Job` keeps running, the page polls `status()`, and `stop()` cancels it between
steps, keeping the image so far. Jobs wait in one line per server (`RunQueue`) and run, in the order
they were started, in long-lived worker processes (nst/worker.py), one per run slot, each with its
network loaded once. The line also guards a shared server: it stops a run that nobody polls any more
(a closed tab), ends any run at a time limit, kills a worker that does not stop when asked, and
restarts one that crashed. Every limit comes from the environment (`Limits.from_environment`).
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import NSTError
from .events import ClipFinished, Finished, FrameDone, Inspection, Losses, Notice, Preview, Step
from .images import ImageSource
from .settings import Settings

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Limits:
    """What one server allows; README "Limits" lists the environment variables."""

    slots: int = 1  # NST_MAX_RUNS: runs at once, one worker process each (~1-1.5 GB at 512 px)
    max_waiting: int = 50  # NST_MAX_WAITING: runs in line before new ones are refused
    per_visitor: int = 2  # NST_MAX_PER_VISITOR: runs one visitor (browser) may have in line or running
    max_run_seconds: float = 600.0  # NST_MAX_RUN_SECONDS: a run is stopped (its image kept) after this
    orphan_seconds: float = 60.0  # NST_ORPHAN_SECONDS: stopped when nobody has polled it for this long
    stop_grace_seconds: float = 30.0  # NST_STOP_GRACE_SECONDS: a worker that has not stopped by then is killed

    @classmethod
    def from_environment(cls) -> Limits:
        names = {"slots": "NST_MAX_RUNS", "max_waiting": "NST_MAX_WAITING", "per_visitor": "NST_MAX_PER_VISITOR",
                 "max_run_seconds": "NST_MAX_RUN_SECONDS",
                 "orphan_seconds": "NST_ORPHAN_SECONDS", "stop_grace_seconds": "NST_STOP_GRACE_SECONDS"}
        values: dict[str, Any] = {}
        for name, variable in names.items():
            text = os.environ.get(variable)
            if text is None:
                continue
            kind = type(getattr(cls, name))
            try:
                values[name] = kind(text)
            except ValueError:
                raise NSTError(f"{variable} must be a number, got {text!r}.") from None
            if values[name] <= 0:
                raise NSTError(f"{variable} must be positive, got {text!r}.")
        return cls(**values)


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


ETA_STEPS = 10  # the time left is estimated from the median pace of the last this many steps


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
    result: Finished | Inspection | None = None
    error: str | None = None
    cancelled: bool = False


class Job:
    """One run: start it, poll `status()`, `stop()` it; `watch` says whether anyone still looks at it,
    `visitor` who asked for it (the line limits how many runs one visitor has in it).
    `Job.inspection` makes a job that looks inside the network instead (nst/inside.py)."""

    _ids = itertools.count(1)

    def __init__(
        self,
        content: ImageSource,
        style: ImageSource | Sequence[ImageSource],
        settings: Settings,
        watch: Callable[[], bool] | None = None,
        masks: Sequence[ImageSource] | None = None,
        visitor: str | None = None,
    ):
        self.id = next(self._ids)
        self.visitor = visitor
        self.settings = settings
        self.task: tuple[Any, ...] = ("run", content, style, masks)  # the worker's request, less id and settings
        self.watch = watch
        self.queue: RunQueue | None = None
        self.started_at: float | None = None  # when the worker began to run it (its time limit counts from here)
        self.stop_requested_at: float | None = None
        self.stop_message: str | None = None  # why the server stopped it, if it did
        self.last_poll = time.monotonic()
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
        job = cls(clip, style, settings, watch, visitor=visitor)
        job.task = ("video", clip, style, mode, limits, span)
        return job

    @classmethod
    def inspection(cls, images: dict[str, ImageSource], settings: Settings, watch: Callable[[], bool] | None = None,
                   visitor: str | None = None) -> Job:
        """A job whose result is an `Inspection` of each image (by name) at `settings.size`, on the
        network of `settings.weights`: it waits in the same line and runs in the same workers."""
        job = cls(next(iter(images.values())), (), settings, watch, visitor=visitor)
        job.task = ("inspect", dict(images))
        return job

    def start(self, queue: RunQueue | None = None) -> Job:
        """Join the line of `queue` (the server's by default); raises NSTError if the line is full."""
        self.queue = queue or default_queue()
        self.queue.submit(self)
        return self

    def stop(self, message: str | None = None) -> None:
        """Ask the run to stop after the current step (or leave the line); the result keeps the image so far."""
        if self.queue is not None and not self._done.is_set():
            self.queue.stop(self, message)

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def status(self) -> JobStatus:
        """The job now; calling it also tells the server that somebody is still watching."""
        self.last_poll = time.monotonic()
        position = self.queue.position(self) if self.queue is not None else 0
        with self._lock:
            s = self._state
            eta = float(np.median(s.rates)) * (1.0 - s.work) if s.rates else None
            return JobStatus(
                s.step, self.settings.steps, s.shape, s.work, s.elapsed, eta, list(s.history), s.preview,
                list(s.notices), position, s.frame, s.frames, s.download, list(s.sizes), s.result, s.error,
                s.cancelled,
            )

    # called by the queue and its workers
    def _record(self, event: Notice | Preview | Step | Finished | Inspection | FrameDone | ClipFinished) -> None:
        with self._lock:
            s = self._state
            if isinstance(event, Notice):
                s.notices.append(event.text)
            elif isinstance(event, Preview):
                s.preview, s.preview_step, s.elapsed = event.image, 0, event.elapsed
            elif isinstance(event, Inspection | ClipFinished):
                s.download, s.result = None, event
            elif isinstance(event, FrameDone):
                s.frame, s.frames, s.preview, s.elapsed = event.frame + 1, event.frames, event.image, event.elapsed
            elif isinstance(event, Step):
                s.download = None
                if event.shape != s.shape:  # a new size: its first step includes tracing, so it is not timed
                    s.sizes.append((event.step, event.shape))
                elif event.work > s.work:
                    s.rates.append((event.elapsed - s.elapsed) / (event.work - s.work))
                s.step, s.elapsed, s.shape, s.work = event.step, event.elapsed, event.shape, event.work
                s.history.append(event.losses)
                if event.preview is not None:
                    s.preview, s.preview_step = event.preview, event.step
            else:
                if self.stop_message and event.reason == "cancelled":
                    message = f"{self.stop_message} Kept the image after {event.steps_done} steps."
                    event = dataclasses.replace(event, message=message)
                s.result, s.preview, s.elapsed = event, event.image, event.elapsed

    def _downloading(self, done: int, total: int) -> None:
        with self._lock:
            self._state.download = (done, total)

    def _end(self, error: str | None = None, cancelled: bool = False) -> None:
        with self._lock:
            s = self._state
            if error and s.result is None:
                kept = s.preview is not None and s.preview_step > 0 and self.task[0] == "run"  # a step's image
                s.result = self._kept(error) if kept else None
                s.error = None if s.result is not None else error
            s.cancelled = cancelled
        self._done.set()

    def _kept(self, error: str) -> Finished | None:
        """A run that failed after showing a preview (its worker crashed or was killed): a result with
        that image, so the visitor keeps the work so far. Called with the lock held."""
        from .images import load_image

        s = self._state
        try:
            content = load_image(self.task[1], self.settings.size, "content image")
        except NSTError:
            return None
        image = s.preview if s.preview.shape == content.shape else None
        if image is None:
            return None
        message = f"{error.removesuffix(' The server is fine: try again.')} Kept the image from step {s.preview_step}."
        return Finished(image, content, "failed", message, s.step, s.elapsed, list(s.history),
                        [(s.preview_step, image)], list(s.sizes),
                        self.queue.network_description(self.settings.weights) or "" if self.queue else "")


class Worker:
    """One run slot: where a job runs, and the replies it sends back (the messages of nst/worker.py).
    `ProcessWorker` is a local process; nst/cluster.py's `RayWorker` a Ray actor. A subclass starts
    its runner, delivers each reply to `_dispatch`, and calls `_ended` when the runner is gone."""

    def __init__(self, on_free: Callable[[Worker], None], on_network: Callable[[str, tuple[tuple[str, ...], str]], None],
                 on_warmed: Callable[[str], None]):
        self.on_free, self.on_network, self.on_warmed = on_free, on_network, on_warmed
        self.job: Job | None = None
        self.pid: int | None = None
        self.networks_built = 0

    @classmethod
    def capacity(cls, limits: Limits) -> int:
        """How many workers of this kind the line gets."""
        return limits.slots

    def run(self, job: Job) -> None:
        """Start `job` (the slot is free)."""
        self.job = job
        try:
            self._request(job.task[0], job.id, *job.task[1:], job.settings)
        except OSError as exc:
            self._release(error=f"Could not start a worker for the run ({exc}).")

    def warm(self, weights: str) -> None:
        """Build the network for `weights` now, not at the first run."""
        self._request("warm", weights)

    def stop(self, job: Job) -> None:
        """Ask the runner to stop `job` between two steps."""
        raise NotImplementedError

    def kill(self) -> None:
        """End the runner at once (a run that ignores Stop); `_ended` follows."""
        raise NotImplementedError

    def close(self) -> None:
        """End the runner for good (the server stops)."""
        raise NotImplementedError

    def _request(self, *message: Any) -> None:
        raise NotImplementedError

    def _dispatch(self, message: tuple[Any, ...]) -> None:
        kind, job = message[0], self.job
        if kind == "ready":
            self.pid = message[1]
        elif kind == "network":
            self.on_network(message[1], (message[2], message[3]))
        elif kind == "warmed":
            self.on_warmed(message[1])
        elif job is None or message[1] != job.id:
            return  # a late reply for a job that was already ended
        elif kind == "started":
            job.started_at = time.monotonic()
        elif kind == "event":
            job._record(message[2])
        elif kind == "download":
            job._downloading(message[2], message[3])
        elif kind == "error":
            job._end(error=message[2])
        elif kind == "done":
            self.networks_built = message[2]
            self._release()

    def _ended(self, code: int | str) -> None:
        """The runner is gone (crashed, killed): the job it ran fails, keeping its last preview."""
        if self.job is not None:
            reason = self.job.stop_message or "The run's worker process ended unexpectedly"
            self._release(error=f"{reason} (exit code {code}). The server is fine: try again.")

    def _release(self, error: str | None = None) -> None:
        job, self.job = self.job, None
        if job is not None:
            job._end(error=error)
        self.on_free(self)


class ProcessWorker(Worker):
    """A worker process (python -m nst.worker) on this machine, and the thread that reads its replies."""

    def __init__(self, *callbacks: Any):
        super().__init__(*callbacks)
        self.process: subprocess.Popen | None = None
        self._send_lock = threading.Lock()

    def stop(self, job: Job) -> None:
        if self.job is job and self.process is not None:
            try:
                self._send("stop", job.id)
            except OSError:
                pass  # it is gone already; the reader thread reports that

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()

    def close(self) -> None:
        if self.process is not None:
            try:
                self.process.stdin.close()
                self.process.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
            self.process = None

    def _request(self, *message: Any) -> None:
        self._ensure_started()
        self._send(*message)

    def _ensure_started(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        # a temporary folder of its own, removed when it ends: TensorFlow's autograph writes a source file
        # there per traced function and removes them at exit, which a killed worker never reaches
        scratch = tempfile.mkdtemp(prefix="nst-worker-")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nst.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT,
            env={**os.environ, "TMPDIR": scratch},
        )
        threading.Thread(target=self._read, args=(self.process, scratch), name="nst-worker-reader", daemon=True).start()

    def _send(self, *message: Any) -> None:
        with self._send_lock:
            pickle.dump(message, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()

    def _read(self, process: subprocess.Popen, scratch: str) -> None:
        try:
            while True:
                self._dispatch(pickle.load(process.stdout))
        except (EOFError, OSError, pickle.UnpicklingError):
            code = process.wait()
            shutil.rmtree(scratch, ignore_errors=True)
            if self.process is process:
                self.process = None
            self._ended(code)


class RunQueue:
    """First come, first served: jobs wait in one line and run in order on `limits.slots` workers."""

    def __init__(self, limits: Limits | None = None, executor: type[Worker] | None = None):
        self.limits = limits or Limits.from_environment()
        self._lock = threading.RLock()
        self._waiting: deque[Job] = deque()
        self._networks: dict[str, tuple[tuple[str, ...], str]] = {}  # by weight source: layers, description
        self._warmed: set[str] = set()  # weight sources whose warm-up a worker has finished
        make = executor or worker_kind()
        self.limits = dataclasses.replace(self.limits, slots=make.capacity(self.limits))
        self.workers = [make(self._on_free, self._networks.__setitem__, self._warmed.add) for _ in range(self.limits.slots)]
        self._closed = threading.Event()
        self._draining: str | None = None  # why new runs are refused, once the server is shutting down
        threading.Thread(target=self._watch, name="nst-queue-watchdog", daemon=True).start()

    def warm(self, weights: str) -> None:
        """Start the workers now and build the network they will need."""
        for worker in self.workers:
            worker.warm(weights)

    def warmed(self, weights: str) -> bool:
        """Whether a worker has finished warming up for `weights` (what it could build is known)."""
        return weights in self._warmed

    def layer_names(self, weights: str) -> tuple[str, ...] | None:
        """The layers of the network a worker built for `weights` (None until one has): the offline
        VGG16's differ from VGG19's."""
        known = self._networks.get(weights)
        return known[0] if known else None

    def network_description(self, weights: str) -> str | None:
        """What a worker actually built for `weights` (None until one has): the offline VGG16 where
        the ImageNet weights could not be downloaded."""
        known = self._networks.get(weights)
        return known[1] if known else None

    def submit(self, job: Job) -> None:
        """Put `job` at the end of the line; raises NSTError when the line is full or its visitor
        already has `limits.per_visitor` runs in line or running."""
        with self._lock:
            if self._draining:
                raise NSTError(self._draining)
            if len(self._waiting) >= self.limits.max_waiting:
                raise NSTError(f"The server is busy: {len(self._waiting)} runs are waiting. Try again in a few minutes.")
            if job.visitor is not None and self.visitor_runs(job.visitor) >= self.limits.per_visitor:
                raise NSTError(
                    f"This browser already has {self.limits.per_visitor} runs in line or running on this server "
                    "(in other tabs or pages), the most one visitor may have, so that everyone gets a turn. "
                    "Stop one or wait until it ends, then try again."
                )
            job.last_poll = time.monotonic()
            self._waiting.append(job)
            self._dispatch()

    def visitor_runs(self, visitor: str) -> int:
        """How many runs `visitor` has in line or running."""
        with self._lock:
            running = [worker.job for worker in self.workers if worker.job is not None]
            return sum(job.visitor == visitor for job in (*self._waiting, *running))

    def position(self, job: Job) -> int:
        with self._lock:
            try:
                return self._waiting.index(job) + 1
            except ValueError:
                return 0

    def stop(self, job: Job, message: str | None = None) -> None:
        with self._lock:
            if job in self._waiting:
                self._waiting.remove(job)
                job._end(cancelled=True)
                return
            if job.stop_requested_at is None:
                job.stop_requested_at = time.monotonic()
                job.stop_message = message
            for worker in self.workers:
                worker.stop(job)

    def drain(self, message: str) -> None:
        """The server is shutting down: refuse new runs, end the waiting ones and stop the running ones
        (each keeps its image so far), all with `message`."""
        with self._lock:
            self._draining = message
            while self._waiting:
                self._waiting.popleft()._end(error=message)
            for worker in self.workers:
                if worker.job is not None:
                    self.stop(worker.job, message)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            for job in list(self._waiting):
                self.stop(job)
        for worker in self.workers:
            if worker.job is not None:
                worker.kill()
            worker.close()

    def _on_free(self, worker: Worker) -> None:
        with self._lock:
            self._dispatch()

    def _dispatch(self) -> None:
        for worker in self.workers:
            if not self._waiting:
                return
            if worker.job is None and not self._closed.is_set():
                worker.run(self._waiting.popleft())

    def _watch(self) -> None:
        """Once a second: stop runs nobody watches or that ran too long; kill workers that do not stop."""
        limits = self.limits
        while not self._closed.wait(1.0):
            now = time.monotonic()
            with self._lock:
                for job in list(self._waiting):
                    if not _watched(job, now, limits):
                        self.stop(job)
            for worker in self.workers:
                job = worker.job
                if job is None:
                    continue
                if job.stop_requested_at is not None:
                    if now - job.stop_requested_at > limits.stop_grace_seconds:
                        log.warning("job %s did not stop within %.0f s: killing its worker", job.id, limits.stop_grace_seconds)
                        job.stop_message = f"The run did not stop within {limits.stop_grace_seconds:.0f} s and was ended"
                        worker.kill()
                elif job.started_at is not None and now - job.started_at > limits.max_run_seconds:
                    self.stop(job, f"Stopped at this server's time limit of {limits.max_run_seconds:.0f} s per run.")
                elif not _watched(job, now, limits):
                    self.stop(job, "Stopped because nobody was watching it any more (the page was closed).")


def _watched(job: Job, now: float, limits: Limits) -> bool:
    if now - job.last_poll > limits.orphan_seconds:
        return False
    try:
        return job.watch is None or job.watch()
    except Exception:  # a broken liveness check must not stop runs
        log.exception("liveness check failed")
        return True


def worker_kind() -> type[Worker]:
    """Ray actors on the cluster at $NST_RAY_ADDRESS (nst/cluster.py), else local worker processes."""
    if os.environ.get("NST_RAY_ADDRESS"):
        from .cluster import RayWorker

        return RayWorker
    return ProcessWorker


_default: RunQueue | None = None
_default_lock = threading.Lock()


def default_queue() -> RunQueue:
    """The process's one line (created on first use, with the environment's limits)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = RunQueue()
        return _default


def wait_for(job: Job, timeout: float = 600.0) -> JobStatus:
    """Block until the job ends (tests, scripts), polling it like a page would, and return its final status."""
    deadline = time.monotonic() + timeout
    while not job.wait(0.2):
        job.status()
        if time.monotonic() > deadline:
            raise TimeoutError("the style-transfer job did not finish in time")
    return job.status()
