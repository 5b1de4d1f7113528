"""The line with real workers (random weights): a worker process keeps its network, masks travel,
Stop reaches the engine, a crashed or frozen worker is replaced. One warm line per kind, shared by
the tests; stop and crash also run on Ray actors, and so does a batch. Every test on the Ray head
lives in this module: `make test` runs a module in one process (`--dist loadfile`), so there is one
head at a time (`ray stop` ends every head of the user, and the tests find actors by process name)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nst.line.actors import Placement, RayExecutor
from nst.line.job import Job, wait_for
from nst.line.limits import Limits
from nst.line.process import LocalExecutor, ProcessWorker
from nst.line.queue import RunQueue
from nst.settings import Settings
from tests.harness.paths import ROOT

QUICK = Settings(size=64, steps=8, scales=1, weights="random", optimizer="adam", tv_weight=0.0)
LONG = QUICK.replace(steps=100_000)


@pytest.fixture(scope="module")
def process_line():
    line = RunQueue(Limits(slots=1, stop_grace_seconds=5), LocalExecutor())
    line.warm("random")
    yield line
    line.close()


@pytest.fixture(scope="module")
def ray_line(ray_cluster):
    line = RunQueue(Limits(slots=1, stop_grace_seconds=5), RayExecutor(ray_cluster.address, Placement(cpus=1, actors=1)))
    line.warm("random")
    yield line
    line.close()


@pytest.fixture(params=["process", "ray"])
def any_line(request):
    return request.getfixturevalue(f"{request.param}_line")


def _wait_until(condition, timeout=300.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended


def _scratch(pid: int) -> Path:
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return Path(next(v for v in environ if v.startswith(b"TMPDIR=")).split(b"=", 1)[1].decode())


def test_runs_happen_in_a_worker_process_that_keeps_its_network(process_line, tiny_pair):
    _wait_until(lambda: process_line.layer_names("random") is not None)  # told by the warm-up
    assert "block3_conv4" in process_line.layer_names("random")  # VGG19
    first = wait_for(Job(*tiny_pair, QUICK).start(process_line), 300)
    second = wait_for(Job(*tiny_pair, QUICK.replace(seed=1)).start(process_line), 300)
    for status in (first, second):
        assert status.result.reason == "completed" and status.result.steps_done == 8 and len(status.history) == 8
        assert status.result.image.shape == (64, 64, 3)
    worker = process_line.workers[0]
    assert worker.pid is not None and worker.pid != os.getpid()
    assert worker.networks_built == 1  # built once (by the warm-up), reused by both runs


def test_a_worker_runs_on_the_keras_backend_the_server_was_started_with(process_line, tiny_pair, monkeypatch):
    """Worker processes inherit KERAS_BACKEND: the line learns the backend and device, and a run says
    what it ran on."""
    _wait_until(lambda: process_line.network_compute("random") is not None)
    assert process_line.network_compute("random").startswith("TensorFlow ")
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    line = RunQueue(Limits(slots=1, stop_grace_seconds=5), LocalExecutor())
    try:
        status = wait_for(Job(*tiny_pair, QUICK).start(line), 300)
        assert status.result.reason == "completed" and status.result.steps_done == 8
        assert status.result.network.startswith("VGG19, random weights (tests only) · JAX ")
        assert status.result.network.endswith(" on CPU") and line.network_compute("random").startswith("JAX ")
    finally:
        line.close()


def test_masks_travel_to_the_worker_and_another_network_is_learned(process_line, tiny_pair):
    content, style = tiny_pair
    left = np.zeros((64, 64), np.float32)
    left[:, :32] = 1.0
    settings = QUICK.replace(weights="offline")
    kept = wait_for(Job(content, [style, style], settings, masks=[left, 0 * left]).start(process_line), 300).result
    painted = wait_for(Job(content, [style, style], settings).start(process_line), 300).result
    # with the right half kept, it moves less than when every painting paints everywhere
    right = slice(40, 64)
    assert np.abs(kept.image[:, right] - content[:, right]).mean() < np.abs(painted.image[:, right] - content[:, right]).mean()
    np.testing.assert_allclose(kept.content, content, atol=1 / 255)  # Finished carries the photo at the output size
    offline = process_line.layer_names("offline")
    assert "block3_conv3" in offline and "block3_conv4" not in offline  # VGG16 has three convolutions there


def test_stop_reaches_the_engine_and_keeps_the_image_so_far(any_line, tiny_pair):
    job = Job(*tiny_pair, LONG).start(any_line)
    _wait_until(lambda: job.status().step >= 3)
    job.stop()
    status = wait_for(job, 120)
    assert status.result.reason == "cancelled" and 3 <= status.result.steps_done < 1000
    assert not np.allclose(status.result.image, tiny_pair[0], atol=1e-3)


def test_a_killed_worker_keeps_the_last_preview_and_is_replaced(any_line, tiny_pair):
    """A worker killed mid-run (out of memory, a crash) leaves the visitor the image of its last
    preview as a 'failed' result; a local worker's temporary folder (TensorFlow's autograph files)
    is removed; the next run gets a new worker."""
    job = Job(*tiny_pair, LONG.replace(preview_every=2)).start(any_line)
    _wait_until(lambda: job.status().step >= 5)
    worker = any_line.workers[0]
    pid, local = worker.pid, isinstance(worker, ProcessWorker)  # a Ray actor's folders are Ray's
    scratch = _scratch(pid) if local else None
    assert not local or scratch.is_dir() and any(scratch.glob("__autograph_generated_file*"))
    last = job.status()
    os.kill(pid, signal.SIGKILL)
    status = wait_for(job, 120)
    result = status.result
    assert status.error is None and result.reason == "failed" and result.image.shape == (64, 64, 3)
    assert "ended unexpectedly" in result.message and "Kept the image from step" in result.message
    assert result.snapshots[0][0] >= last.step - 2 and result.steps_done >= last.step
    _wait_until(lambda: not local or not scratch.exists(), timeout=30)
    again = wait_for(Job(*tiny_pair, QUICK).start(any_line), 300)
    assert again.result.reason == "completed" and any_line.workers[0].pid != pid


def test_a_frozen_worker_is_killed_after_the_grace_and_replaced(process_line, tiny_pair):
    job = Job(*tiny_pair, LONG).start(process_line)
    _wait_until(lambda: job.status().step >= 1)
    pid = process_line.workers[0].pid
    os.kill(pid, signal.SIGSTOP)  # frozen: it can no longer see the stop request
    job.stop()
    status = wait_for(job, 120)  # the grace period is 5 s in this line
    assert status.error and "did not stop within 5 s" in status.error
    _wait_until(lambda: not _alive(pid), timeout=60)
    assert wait_for(Job(*tiny_pair, QUICK).start(process_line), 300).result.reason == "completed"


def test_a_worker_whose_memory_grew_is_replaced_after_its_run(process_line, tiny_pair, monkeypatch):
    """A worker process grows with each run (TensorFlow keeps part of each traced graph): past a budget
    over its first run it is ended after its run, and the next run, in a fresh process, completes."""
    import nst.line.process as process

    let_go: list[int] = []  # the processes retired, in order (a run's Done may come after its result)
    retire = process.ProcessWorker._let_go

    def noting(worker):
        if worker.process is not None:
            let_go.append(worker.process.pid)
        retire(worker)

    monkeypatch.setattr(process.ProcessWorker, "_let_go", noting)
    first = wait_for(Job(*tiny_pair, QUICK).start(process_line), 300)
    monkeypatch.setattr(process, "GROWTH_MB", float("-inf"))  # every run counts as grown, even one that shrank
    second = wait_for(Job(*tiny_pair, QUICK).start(process_line), 300)
    _wait_until(lambda: let_go, timeout=60)
    old = let_go[-1]
    _wait_until(lambda: not _alive(old), timeout=60)
    third = wait_for(Job(*tiny_pair, QUICK).start(process_line), 300)
    assert [s.result.reason for s in (first, second, third)] == ["completed"] * 3
    assert process_line.workers[0].pid != old


def test_a_worker_let_go_that_does_not_exit_is_killed(process_line, tiny_pair, monkeypatch):
    """A process let go whose exit is stuck (here frozen, so it cannot see its stdin close) is killed
    after the grace period instead of keeping its memory."""
    import nst.line.process as process

    assert wait_for(Job(*tiny_pair, QUICK).start(process_line), 300).result.reason == "completed"
    old = process_line.workers[0].pid
    monkeypatch.setattr(process, "EXIT_GRACE_SECONDS", 1.0)
    os.kill(old, signal.SIGSTOP)
    process_line.workers[0].rest()
    _wait_until(lambda: not _alive(old), timeout=60)
    assert wait_for(Job(*tiny_pair, QUICK).start(process_line), 300).result.reason == "completed"
    assert process_line.workers[0].pid != old


def test_a_rested_worker_process_ends_and_the_next_run_starts_another(process_line, tiny_pair):
    assert wait_for(Job(*tiny_pair, QUICK).start(process_line), 300).result.reason == "completed"
    old = process_line.workers[0].pid
    process_line.workers[0].rest()  # what the watchdog does after NST_WORKER_IDLE_SECONDS without a run
    _wait_until(lambda: not _alive(old), timeout=60)
    assert wait_for(Job(*tiny_pair, QUICK).start(process_line), 300).result.reason == "completed"
    assert process_line.workers[0].pid != old


def test_the_server_stopping_removes_its_workers_scratch_folders(tiny_pair):
    line = RunQueue(Limits(slots=1), LocalExecutor())
    try:
        assert wait_for(Job(*tiny_pair, QUICK).start(line), 300).result.reason == "completed"
        scratch = _scratch(line.workers[0].pid)
        assert scratch.is_dir()
    finally:
        line.close()
    _wait_until(lambda: not scratch.exists(), timeout=30)


def _actor_processes() -> list[int]:
    """The pids of this machine's processes that serve a run as a Ray actor ("ray::Actor.serve")."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes().startswith(b"ray::Actor.serve"):
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


def test_a_batch_on_ray_spreads_over_the_actors_and_survives_a_killed_one(ray_cluster, photos, tmp_path, assets):
    """The README's cluster recipe to its end on the head: NST_RAY_ADDRESS=auto in the home where the
    token was generated, beside the module's line and its actor (a studio on the same cluster): the batch
    takes the two CPUs left free, two actors for four items; one is killed mid-batch: its item runs
    again, the rest finish."""
    styles = [assets / "styles/starry_night.jpg", assets / "styles/great_wave.jpg"]
    out = tmp_path / "out"
    env = {**ray_cluster.env, "NST_RAY_ADDRESS": "auto", "NST_RAY_CPUS": "1"}
    args = [sys.executable, "-m", "nst", "batch", photos, "--style", *styles, "-o", out,
            "--size", "64", "--steps", "150", "--weights", "random", "--optimizer", "adam", "--scales", "1",
            "-q"]
    process = subprocess.Popen(list(map(str, args)), cwd=ROOT, env=env, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + 300
    while len(actors := _actor_processes()) < 2:  # both actors serving an item
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.5)
    time.sleep(5)  # mid-run
    os.kill(actors[0], signal.SIGKILL)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr
    summary = json.loads((out / "batch-summary.json").read_text())
    assert summary["done"] == 4 and summary["failed"] == 0
    assert len(list(out.glob("*.png"))) == 4
