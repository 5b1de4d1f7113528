"""The line's rules: first come, first served on `limits.slots` workers, places, a per-visitor limit,
and a watchdog that stops runs nobody watches (a closed tab) or that ran too long, kills a worker that
does not stop when asked, and lets a crashed worker be replaced at the next run."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from ..errors import NSTError
from .job import Job
from .limits import Limits
from .process import LocalExecutor
from .protocol import Network
from .worker import Executor, Hooks, Worker

log = logging.getLogger(__name__)


class RunQueue:
    """Jobs wait in one line and run in order on the workers `executor` makes (local processes by
    default). `clock` and `tick` (the watchdog's period; None: no watchdog thread, call `check()`)
    are there for tests."""

    def __init__(self, limits: Limits | None = None, executor: Executor | None = None,
                 clock: Callable[[], float] = time.monotonic, tick: float | None = 1.0):
        executor = executor or LocalExecutor()
        limits = limits or Limits()
        self.limits = dataclasses.replace(limits, slots=executor.capacity(limits))
        self.clock = clock
        self._lock = threading.RLock()
        self._waiting: deque[Job] = deque()
        self._networks: dict[str, Network] = {}  # by weight source: what a worker built for it
        self._warmed: set[str] = set()  # weight sources whose warm-up a worker has finished
        hooks = Hooks(self._on_free, self._on_network, self._warmed.add)
        self.workers: list[Worker] = [executor.worker(hooks) for _ in range(self.limits.slots)]
        self._free_since: dict[Worker, float] = {worker: clock() for worker in self.workers}  # not yet rested
        self._closed = threading.Event()
        self._draining: str | None = None  # why new runs are refused, once the server is shutting down
        if tick is not None:
            threading.Thread(target=self._watch, args=(tick,), name="nst-queue-watchdog", daemon=True).start()

    def warm(self, weights: str) -> None:
        """Start the workers now and build the network they will need (a visitor has come: a run may follow)."""
        for worker in self.workers:
            with self._lock:
                self._free_since[worker] = self.clock()
            worker.warm(weights)

    def warmed(self, weights: str) -> bool:
        """Whether a worker has finished warming up for `weights` (what it could build is known)."""
        return weights in self._warmed

    def layer_names(self, weights: str) -> tuple[str, ...] | None:
        """The layers of the network a worker built for `weights` (None until one has): the offline
        VGG16's differ from VGG19's."""
        known = self._networks.get(weights)
        return known.layers if known else None

    def network_description(self, weights: str) -> str | None:
        """What a worker actually built for `weights` (None until one has): the offline VGG16 where
        the ImageNet weights could not be downloaded."""
        known = self._networks.get(weights)
        return known.description if known else None

    def network_compute(self, weights: str) -> str | None:
        """The Keras backend and device a worker runs `weights` on (None until one has built it)."""
        known = self._networks.get(weights)
        return known.compute if known else None

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
            job.last_poll = self.clock()
            self._waiting.append(job)
            self._dispatch()

    def running(self) -> int:
        """How many runs the workers have now."""
        return sum(worker.job is not None for worker in self.workers)

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
                job.end(cancelled=True)
                return
            job.request_stop(message)
            for worker in self.workers:
                worker.stop(job)

    def drain(self, message: str) -> None:
        """The server is shutting down: refuse new runs, end the waiting ones and stop the running ones
        (each keeps its image so far), all with `message`."""
        with self._lock:
            self._draining = message
            while self._waiting:
                self._waiting.popleft().end(error=message)
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

    def check(self) -> None:
        """The watchdog's round: stop runs nobody watches or that ran too long; kill workers that do not stop."""
        limits, now = self.limits, self.clock()
        with self._lock:
            for job in list(self._waiting):
                if not _watched(job, now, limits):
                    self.stop(job)
        for worker in self.workers:
            job = worker.job
            if job is None:
                with self._lock:
                    quiet = now - self._free_since.get(worker, now) > limits.idle_seconds
                    if quiet:
                        del self._free_since[worker]
                if quiet:
                    worker.rest()  # nobody has run anything for a while: its memory goes back to the machine
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

    def _on_free(self, worker: Worker) -> None:
        with self._lock:
            self._free_since[worker] = self.clock()
            self._dispatch()

    def _on_network(self, network: Network) -> None:
        self._networks[network.weights] = network

    def _dispatch(self) -> None:
        for worker in self.workers:
            if not self._waiting:
                return
            if worker.job is None and not self._closed.is_set():
                worker.run(self._waiting.popleft())

    def _watch(self, tick: float) -> None:
        while not self._closed.wait(tick):
            try:
                self.check()
            except Exception:  # one bad round must not end the time limits for the server's lifetime
                log.exception("the line's watchdog round failed")


def _watched(job: Job, now: float, limits: Limits) -> bool:
    if now - job.last_poll > limits.orphan_seconds:
        return False
    try:
        return job.watch is None or job.watch()
    except Exception:  # a broken liveness check must not stop runs
        log.exception("liveness check failed")
        return True
