import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.harness.paths import ASSETS
from tests.harness.ray_head import RayHead, ray_command, ray_head


@pytest.fixture(scope="session")
def assets() -> Path:
    return ASSETS


@pytest.fixture
def tiny_pair() -> tuple[np.ndarray, np.ndarray]:
    """A 64 px content/style pair with structure (gradients and stripes) for mechanics tests."""
    y, x = np.mgrid[0:64, 0:64] / 63.0
    content = np.stack([x, y, 1 - x * y], axis=-1).astype(np.float32)
    stripes = (np.sin(x * 25) > 0).astype(np.float32)
    style = np.stack([stripes, 1 - stripes, 0.5 * np.ones_like(x)], axis=-1)
    return content, style


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[RayHead]:
    """A Ray head on 127.0.0.1 with 3 CPUs (one for a line's actor, two for a batch's), started by
    the README's cluster recipe in a fresh home folder (tests/harness/ray_head.py) for the module
    that uses it (tests/line/test_workers.py holds every test on Ray) and stopped after it. This
    process is a Ray client of it, and Ray's client reads its authentication only from the
    environment: RAY_AUTH_MODE and the token's path are set while the module runs and restored
    after. Skipped where Ray is not installed, except in CI (CI=true), where that is a failure."""
    if ray_command() is None:
        if os.environ.get("CI"):
            pytest.fail("Ray is missing in CI: requirements-dev.txt installs it")
        pytest.skip("Ray is not installed (pip install -r requirements-cluster.txt)")
    with ray_head(cpus=3) as head, pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAY_AUTH_MODE", head.env["RAY_AUTH_MODE"])
        patch.setenv("RAY_AUTH_TOKEN_PATH", str(head.token_path))
        try:
            yield head
        finally:
            import ray

            if ray.is_initialized():
                ray.shutdown()


TIERS = ("unit", "engine", "line", "app", "browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test is marked with its tier, the folder it lives in (`-m unit`, `-m "not browser"`).
    `make test` runs a module's tests in one process (`-n 2 --dist loadfile`), so its module
    fixtures (a warm line, a served studio, the Ray head) are made once."""
    for item in items:
        tier = Path(item.fspath).parent.name
        if tier in TIERS:
            item.add_marker(tier)
