from pathlib import Path

import numpy as np
import pytest

ASSETS = Path(__file__).resolve().parent.parent / "assets"


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


RAY_ENV = {  # a cluster on this machine's loopback only, with Ray's token authentication (on by default)
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # Ray's switch that keeps node addresses on 127.0.0.1
    "RAY_AUTH_MODE": "token",
    "RAY_USAGE_STATS_ENABLED": "0",
}


@pytest.fixture(scope="session")
def ray_cluster():
    """A Ray head on 127.0.0.1 with 2 CPUs, started for the tests (as `ray start --head` would be by
    an operator) and stopped after them; yields its address. Skipped where Ray is not installed,
    except in CI (CI=true), where that is a failure."""
    import os
    import shutil
    import socket
    import subprocess
    import sys

    ray = shutil.which("ray", path=str(Path(sys.executable).parent))
    if ray is None:
        if os.environ.get("CI"):
            pytest.fail("Ray is missing in CI: requirements-dev.txt installs it")
        pytest.skip("Ray is not installed (pip install -r requirements-cluster.txt)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, **RAY_ENV, "PYTHONPATH": str(ASSETS.parent)}
    os.environ.update(RAY_ENV)
    subprocess.run([ray, "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port), "--num-cpus", "2",
                    "--disable-usage-stats", "--include-dashboard", "false"], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        import ray as ray_module

        if ray_module.is_initialized():
            ray_module.shutdown()
        subprocess.run([ray, "stop", "--force"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=120)


@pytest.fixture(params=["local", "ray"])
def executor(request, monkeypatch):
    """Each run-line test runs twice: on local worker processes, and on Ray actors (one per slot)."""
    if request.param == "local":
        from nst.jobs import ProcessWorker

        return ProcessWorker
    address = request.getfixturevalue("ray_cluster")
    monkeypatch.setenv("NST_RAY_ADDRESS", address)
    monkeypatch.setenv("NST_RAY_CPUS", "1")
    from nst.cluster import RayWorker

    return RayWorker
