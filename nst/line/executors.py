"""Which workers a line gets, from an explicit address: Ray actors there, else local processes."""

from __future__ import annotations

from collections.abc import Mapping

from .actors import Placement, RayExecutor
from .process import LocalExecutor
from .worker import Executor


def executor_for(ray_address: str | None, environ: Mapping[str, str]) -> Executor:
    """Ray actors on the cluster at `ray_address` (placed as `environ`'s NST_RAY_* say), else local
    worker processes. Ray itself loads only when a line makes its first worker."""
    if ray_address:
        return RayExecutor(ray_address, Placement.from_environment(environ))
    return LocalExecutor()
