"""The run line's workers as Ray actors, for a class on a GPU box or a cluster.

With $NST_RAY_ADDRESS set (`auto`, `ray://host:10001`, or a head's `host:port`), the studio's line
(nst/jobs.py) and `python -m nst batch` run on Ray instead of local worker processes: each slot is an
actor that keeps its network loaded, serves the same requests as a worker process (nst/worker.py's
`handle`, unchanged) and streams its replies back as a Ray generator, each event as it is made. The
line itself (first come first served, places, Stop, time limits, orphans, a replaced actor) is the
same code for both.

Each actor asks Ray for $NST_RAY_CPUS CPUs (default 2) and $NST_RAY_GPUS GPUs (default 1 where the
cluster has GPUs, else 0); $NST_RAY_ACTORS actors (default: as many as the cluster's resources hold).
Ray is optional: `pip install -r requirements-cluster.txt`.
"""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path
from typing import Any

from .errors import NSTError
from .jobs import Limits, Worker

ADDRESS_ENV, CPUS_ENV, GPUS_ENV, ACTORS_ENV = "NST_RAY_ADDRESS", "NST_RAY_CPUS", "NST_RAY_GPUS", "NST_RAY_ACTORS"
_END = object()


def connect(address: str | None = None) -> Any:
    """Ray, connected to the cluster at `address` (default $NST_RAY_ADDRESS), once per process."""
    try:
        import ray
    except ImportError:
        raise NSTError("NST_RAY_ADDRESS is set but Ray is not installed: pip install -r requirements-cluster.txt") from None
    if not ray.is_initialized():
        address = address or os.environ.get(ADDRESS_ENV)
        try:
            # the engine travels with the job (py_modules): the nodes need its requirements, not a checkout
            ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                     runtime_env={"py_modules": [str(Path(__file__).resolve().parent)],
                                  "env_vars": {"TF_CPP_MIN_LOG_LEVEL": "2"}})
        except Exception as exc:  # ConnectionError, RuntimeError: Ray words them well
            raise NSTError(f"Could not reach the Ray cluster at {address!r}: {exc}") from None
    return ray


def actor_resources(ray: Any) -> dict[str, float]:
    """The resources each actor asks for (from the environment, else from what the cluster has)."""
    gpus = float(os.environ.get(GPUS_ENV) or (1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0))
    cpus = float(os.environ.get(CPUS_ENV) or (1 if gpus else 2))
    return {"num_cpus": cpus, "num_gpus": gpus}


def actor_count(ray: Any) -> int:
    """$NST_RAY_ACTORS, else as many actors as the cluster's CPUs (and GPUs) hold, at least one."""
    if os.environ.get(ACTORS_ENV):
        return max(1, int(os.environ[ACTORS_ENV]))
    resources, total = actor_resources(ray), ray.cluster_resources()
    fits = [total.get(name, 0) // need for name, need in (("CPU", resources["num_cpus"]), ("GPU", resources["num_gpus"]))
            if need]
    return max(1, int(min(fits)))


class StyliseActor:
    """A Ray actor serving the worker's requests with the networks it keeps (made remote by `_remote`)."""

    def __init__(self) -> None:
        self.stops: set[int] = set()

    def serve(self, request: tuple[Any, ...]):
        """Run one request and yield its replies as they come (a Ray streaming generator)."""
        from .worker import handle

        replies: queue.Queue = queue.Queue()
        thread = threading.Thread(target=self._handle, args=(handle, request, replies), daemon=True)
        thread.start()
        yield ("ready", os.getpid())
        while (reply := replies.get()) is not _END:
            yield reply
        if request[0] != "warm":
            self.stops.discard(request[1])

    def _handle(self, handle: Any, request: tuple[Any, ...], replies: queue.Queue) -> None:
        try:
            handle(request, lambda *message: replies.put(message), lambda job_id: job_id in self.stops)
            if request[0] == "warm":
                replies.put(("warmed", request[1]))
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

    @classmethod
    def capacity(cls, limits: Limits) -> int:
        return actor_count(connect())

    def __init__(self, *callbacks: Any):
        super().__init__(*callbacks)
        self.ray = connect()
        self.actor: Any = None
        self._lock = threading.Lock()

    def stop(self, job) -> None:
        if self.job is job and self.actor is not None:
            self.actor.stop.remote(job.id)

    def kill(self) -> None:
        if self.actor is not None:
            self.ray.kill(self.actor, no_restart=True)

    def close(self) -> None:
        self.kill()
        self.actor = None

    def _request(self, *message: Any) -> None:
        with self._lock:
            if self.actor is None:
                self.actor = _remote(self.ray).options(**actor_resources(self.ray)).remote()
            actor = self.actor
        replies = actor.serve.options(num_returns="streaming").remote(message)
        threading.Thread(target=self._read, args=(actor, replies), name="nst-ray-reader", daemon=True).start()

    def _read(self, actor: Any, replies: Any) -> None:
        try:
            for reply in replies:
                self._dispatch(self.ray.get(reply))
        except Exception as exc:  # the actor died (RayActorError), or its node went away
            with self._lock:
                if self.actor is actor:
                    self.actor = None
            self._ended(type(exc).__name__)
