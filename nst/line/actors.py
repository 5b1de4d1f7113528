"""The line's workers as Ray actors, for a class on a GPU box or a cluster.

Each slot is an actor that keeps its network loaded, serves the same requests as a worker process
(nst/line/serve.py's `handle`) and streams its replies back as a Ray generator, each as it is made.
The line's rules are the same code for both. Ray is optional: `pip install -r requirements-cluster.txt`.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import backends
from ..errors import NSTError
from .job import Job
from .limits import Limits
from .protocol import Ready, Request, Run, Warm
from .serve import handle
from .worker import Hooks, Worker

_END = object()


@dataclass(frozen=True)
class Placement:
    """What each actor asks Ray for, and how many actors: None = from what the cluster has."""

    cpus: float | None = None  # NST_RAY_CPUS (default 2, or 1 beside a GPU)
    gpus: float | None = None  # NST_RAY_GPUS (default 1 where the cluster has GPUs, else 0)
    actors: int | None = None  # NST_RAY_ACTORS (default: as many as the cluster's free resources hold)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Placement:
        def number(name: str, kind: type) -> Any:
            text = environ.get(name)
            if not text:
                return None
            try:
                value = kind(text)
            except ValueError:
                raise NSTError(f"{name} must be a number, got {text!r}.") from None
            if not 0 <= value < float("inf"):
                raise NSTError(f"{name} must be a positive number, got {text!r}.")
            return value

        return cls(number("NST_RAY_CPUS", float), number("NST_RAY_GPUS", float), number("NST_RAY_ACTORS", int))

    def resources(self, ray: Any) -> dict[str, float]:
        gpus = self.gpus if self.gpus is not None else (1.0 if ray.cluster_resources().get("GPU", 0) >= 1 else 0.0)
        cpus = self.cpus if self.cpus is not None else (1.0 if gpus else 2.0)
        return {"num_cpus": cpus, "num_gpus": gpus}

    def count(self, ray: Any) -> int:
        """NST_RAY_ACTORS, else as many as fit in what the cluster has free now (a studio or another
        batch may hold some of it: an actor that cannot be placed would keep its runs waiting)."""
        if self.actors is not None:
            return max(1, self.actors)
        need, free = self.resources(ray), ray.available_resources()
        fits = [free.get(name, 0) // need[key] for name, key in (("CPU", "num_cpus"), ("GPU", "num_gpus")) if need[key]]
        return max(1, int(min(fits)))


_connecting = threading.Lock()  # one ray.init per process, however many threads connect


def connect(address: str) -> Any:
    """Ray, connected to the cluster at `address` (`auto`, `ray://host:10001`, `host:port`), once per process."""
    try:
        import ray
    except ImportError:
        raise NSTError("A Ray address is set but Ray is not installed: pip install -r requirements-cluster.txt") from None
    with _connecting:
        if ray.is_initialized():
            return ray
        try:
            # the engine travels with the job (py_modules): the nodes need its requirements, not a checkout
            ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                     runtime_env={"py_modules": [str(Path(__file__).resolve().parent.parent)],
                                  "env_vars": {"TF_CPP_MIN_LOG_LEVEL": "2", "KERAS_BACKEND": backends.requested()}})
        except Exception as exc:  # ConnectionError, RuntimeError: Ray words them well
            raise NSTError(f"Could not reach the Ray cluster at {address!r}: {exc}") from None
    return ray


class StyliseActor:
    """A Ray actor serving the worker's requests with the networks it keeps (made remote by `_remote`)."""

    def __init__(self) -> None:
        self.stops: set[int] = set()

    def serve(self, request: Warm | Run):
        """Run one request and yield its replies as they come (a Ray streaming generator)."""
        replies: queue.Queue = queue.Queue()
        threading.Thread(target=self._handle, args=(request, replies), daemon=True).start()
        yield Ready(os.getpid())
        while (reply := replies.get()) is not _END:
            yield reply
        if isinstance(request, Run):
            self.stops.discard(request.job_id)

    def _handle(self, request: Warm | Run, replies: queue.Queue) -> None:
        try:
            handle(request, replies.put, self.stops.__contains__)
        finally:
            replies.put(_END)

    def stop(self, job_id: int) -> None:
        self.stops.add(job_id)


_actor_class: Any = None


def _remote(ray: Any) -> Any:
    """StyliseActor as a Ray actor class whose `stop` runs in its own concurrency group, so that a
    Stop is heard while a run streams."""
    global _actor_class
    if _actor_class is None:

        class Actor(StyliseActor):
            @ray.method(concurrency_group="control")
            def stop(self, job_id: int) -> None:
                super().stop(job_id)

        _actor_class = ray.remote(concurrency_groups={"control": 1})(Actor)
    return _actor_class


class RayWorker(Worker):
    """One run slot on the cluster: a `StyliseActor`, started on first use and again after it dies."""

    def __init__(self, hooks: Hooks, ray: Any, resources: dict[str, float]):
        super().__init__(hooks)
        self.ray, self.resources = ray, resources
        self.actor: Any = None
        self._lock = threading.Lock()

    def stop(self, job: Job) -> None:
        if self.job is job and self.actor is not None:
            self.actor.stop.remote(job.id)

    def kill(self) -> None:
        if (actor := self.actor) is not None:
            self.ray.kill(actor, no_restart=True)

    def close(self) -> None:
        self.kill()
        self.actor = None

    def _send(self, request: Request) -> None:
        with self._lock:
            if self.actor is None:
                self.actor = _remote(self.ray).options(**self.resources).remote()
            actor = self.actor
        replies = actor.serve.options(num_returns="streaming").remote(request)
        threading.Thread(target=self._read, args=(actor, replies), name="nst-ray-reader", daemon=True).start()

    def _read(self, actor: Any, replies: Any) -> None:
        try:
            for reply in replies:
                self._receive(self.ray.get(reply))
        except Exception as exc:  # the actor died (RayActorError), or its node went away
            with self._lock:
                current = self.actor is actor
                if current:
                    self.actor = None
            if current:  # an actor replaced already has no run to end
                self._ended(type(exc).__name__)


class RayExecutor:
    """Ray actors on the cluster at `address`, placed by `placement`."""

    def __init__(self, address: str, placement: Placement):
        self.address, self.placement = address, placement

    def capacity(self, limits: Limits) -> int:
        return self.placement.count(connect(self.address))

    def worker(self, hooks: Hooks) -> Worker:
        ray = connect(self.address)
        return RayWorker(hooks, ray, self.placement.resources(ray))
