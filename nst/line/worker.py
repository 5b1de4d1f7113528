"""A run slot: where a job runs, and how its worker's replies reach the job and the line.

`ProcessWorker` (nst/line/process.py) is a local process; `RayWorker` (nst/line/actors.py) a Ray
actor. A subclass starts its runner, hands each reply to `_receive`, and calls `_ended` when the
runner is gone. An `Executor` makes the workers of one kind and says how many the line gets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .job import Job
from .limits import Limits
from .protocol import Done, Download, Emitted, Failed, Network, Ready, Reply, Request, Run, Started, Warm, Warmed


@dataclass(frozen=True)
class Hooks:
    """What a worker tells its line: it is free, it built a network, it finished a warm-up."""

    free: Callable[[Worker], None]
    network: Callable[[Network], None]
    warmed: Callable[[str], None]


class Worker:
    """One run slot; subclasses implement `_send`, `stop`, `kill` and `close`."""

    def __init__(self, hooks: Hooks):
        self.hooks = hooks
        self.job: Job | None = None
        self.pid: int | None = None
        self.networks_built = 0

    def run(self, job: Job) -> None:
        """Start `job` (the slot is free)."""
        self.job = job
        try:
            self._send(Run(job.id, job.task, job.settings))
        except Exception as exc:  # OSError from a process, anything from Ray: the slot must not stay taken
            self._release(error=f"Could not start a worker for the run ({exc}).")

    def warm(self, weights: str) -> None:
        """Build the network for `weights` now, not at the first run."""
        self._send(Warm(weights))

    def stop(self, job: Job) -> None:
        """Ask the runner to stop `job` between two steps."""
        raise NotImplementedError

    def kill(self) -> None:
        """End the runner at once (a run that ignores Stop); `_ended` follows."""
        raise NotImplementedError

    def close(self) -> None:
        """End the runner for good (the server stops)."""
        raise NotImplementedError

    def rest(self) -> None:
        """No run for a while: let the runner's memory go if it can start again when asked (a local
        process can; a Ray actor keeps its place on the cluster)."""

    def _send(self, request: Request) -> None:
        raise NotImplementedError

    def _receive(self, reply: Reply) -> None:
        job = self.job
        match reply:
            case Ready(pid):
                self.pid = pid
            case Network():
                self.hooks.network(reply)
            case Warmed(weights):
                self.hooks.warmed(weights)
            case _ if job is None or reply.job_id != job.id:
                return  # a late reply for a job that was already ended
            case Started():
                job.started()
            case Emitted(_, event):
                job.record(event)
            case Download(_, done, total):
                job.downloading(done, total)
            case Failed(_, message):
                job.end(error=message)
            case Done(_, networks_built):
                self.networks_built = networks_built
                self._release()

    def _ended(self, code: int | str) -> None:
        """The runner is gone (crashed, killed): the job it ran fails, keeping its last preview."""
        if self.job is not None:
            reason = self.job.stop_message or "The run's worker process ended unexpectedly"
            self._release(error=f"{reason} (exit code {code}). The server is fine: try again.")

    def _release(self, error: str | None = None) -> None:
        job, self.job = self.job, None
        if job is not None:
            job.end(error=error)
        self.hooks.free(self)


class Executor(Protocol):
    """Makes the workers of one kind (local processes, Ray actors) and says how many a line gets."""

    def capacity(self, limits: Limits) -> int: ...
    def worker(self, hooks: Hooks) -> Worker: ...
