"""The server's run line: worker processes, first come first served, stop, limits, crashes (random weights)."""

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from nst import Settings
from nst.jobs import Job, Limits, ProcessWorker, RunQueue, wait_for

QUICK = Settings(size=64, steps=8, scales=1, weights="random", optimizer="adam", tv_weight=0.0)
LONG = QUICK.replace(steps=100_000)


@pytest.fixture
def line(executor, monkeypatch):
    monkeypatch.setenv("NST_RAY_ACTORS", "1")
    queue = RunQueue(Limits(slots=1, stop_grace_seconds=5), executor)
    queue.warm("random")
    yield queue
    queue.close()


def _wait_until(condition, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_runs_happen_in_a_worker_process_that_keeps_its_network(line, tiny_pair):
    first = wait_for(Job(*tiny_pair, QUICK).start(line), 300)
    second = wait_for(Job(*tiny_pair, QUICK.replace(seed=1)).start(line), 300)
    for status in (first, second):
        assert status.result.reason == "completed" and status.result.steps_done == 8 and len(status.history) == 8
        assert status.result.image.shape == (64, 64, 3)
    worker = line.workers[0]
    assert worker.pid is not None and worker.pid != os.getpid()
    assert worker.networks_built == 1  # built once (by the warm-up), reused by both runs


def test_the_line_knows_the_layers_of_the_networks_its_workers_built(line, tiny_pair):
    _wait_until(lambda: line.layer_names("random") is not None)  # told by the warm-up
    assert "block3_conv4" in line.layer_names("random")  # VGG19
    assert line.layer_names("offline") is None  # not built yet
    status = wait_for(Job(*tiny_pair, QUICK.replace(weights="offline")).start(line), 300)
    assert status.result.reason == "completed"
    _wait_until(lambda: line.layer_names("offline") is not None)
    offline = line.layer_names("offline")
    assert "block3_conv3" in offline and "block3_conv4" not in offline  # VGG16 has three convolutions there


def test_masks_travel_to_the_worker(line, tiny_pair):
    content, style = tiny_pair
    left = np.zeros((64, 64), np.float32)
    left[:, :32] = 1.0
    settings = QUICK.replace(tv_weight=0.0)
    kept = wait_for(Job(content, [style, style], settings, masks=[left, 0 * left]).start(line), 300).result
    painted = wait_for(Job(content, [style, style], settings).start(line), 300).result
    # with the right half kept, it moves less than when every painting paints everywhere
    right = slice(40, 64)
    assert np.abs(kept.image[:, right] - content[:, right]).mean() < np.abs(painted.image[:, right] - content[:, right]).mean()
    np.testing.assert_allclose(kept.content, content, atol=1 / 255)  # Finished carries the photo at the output size


def test_stop_reaches_the_engine_and_keeps_the_image_so_far(line, tiny_pair):
    job = Job(*tiny_pair, LONG).start(line)
    _wait_until(lambda: job.status().step >= 3)
    job.stop()
    status = wait_for(job, 60)
    assert status.result.reason == "cancelled" and 3 <= status.result.steps_done < 1000
    assert not np.allclose(status.result.image, tiny_pair[0], atol=1e-3)


def test_first_come_first_served_with_places_in_line(line, tiny_pair):
    jobs = [Job(*tiny_pair, QUICK.replace(seed=i)).start(line) for i in range(5)]
    assert [job.status().position for job in jobs[1:]] == [1, 2, 3, 4]  # the first one may already run
    for job in jobs:
        wait_for(job, 300)
    started = [job.started_at for job in jobs]
    assert started == sorted(started) and all(job.status().result.reason == "completed" for job in jobs)


def test_stopping_a_queued_run_cancels_it_quietly(line, tiny_pair):
    running = Job(*tiny_pair, LONG).start(line)
    waiting = Job(*tiny_pair, QUICK).start(line)
    assert waiting.status().position == 1
    waiting.stop()
    status = waiting.status()
    assert status.done and status.cancelled and status.error is None and status.result is None
    running.stop()
    wait_for(running, 60)


def test_a_run_nobody_watches_is_stopped_and_the_next_one_starts(executor, monkeypatch, tiny_pair):
    monkeypatch.setenv("NST_RAY_ACTORS", "1")
    queue = RunQueue(Limits(slots=1, orphan_seconds=3), executor)
    try:
        watching = {"closed": False}
        orphan = Job(*tiny_pair, LONG, watch=lambda: not watching["closed"]).start(queue)
        _wait_until(lambda: orphan.status().step >= 1)
        nobody = Job(*tiny_pair, QUICK).start(queue)  # waits in line behind the orphan
        watching["closed"] = True  # the tab is closed: the watch says so at once
        _wait_until(lambda: (nobody.status(), orphan.wait(0))[1])  # the one in line is still watched
        assert orphan.status().result.reason == "cancelled" and "nobody was watching" in orphan.status().result.message
        # a run whose page stops polling (no watch callback) is stopped after orphan_seconds
        status = wait_for(nobody, 120)
        assert status.result.reason == "completed"
        silent = Job(*tiny_pair, LONG).start(queue)
        _wait_until(lambda: silent.wait(0.5), timeout=60)  # nobody calls silent.status() in this loop
        assert silent._state.result.reason == "cancelled"
    finally:
        queue.close()


def test_every_run_has_a_time_limit(executor, monkeypatch, tiny_pair):
    monkeypatch.setenv("NST_RAY_ACTORS", "1")
    queue = RunQueue(Limits(slots=1, max_run_seconds=4), executor)
    try:
        status = wait_for(Job(*tiny_pair, LONG).start(queue), 120)
        assert status.result.reason == "cancelled" and "time limit of 4 s" in status.result.message
        assert 0 < status.result.steps_done < LONG.steps
    finally:
        queue.close()


def test_a_crashed_worker_fails_one_run_and_is_replaced(line, tiny_pair):
    job = Job(*tiny_pair, LONG).start(line)
    _wait_until(lambda: job.status().step >= 1)
    os.kill(line.workers[0].pid, signal.SIGKILL)  # as a TensorFlow crash would end it
    status = wait_for(job, 60)
    assert status.error and "ended unexpectedly" in status.error and "try again" in status.error
    again = wait_for(Job(*tiny_pair, QUICK).start(line), 300)
    assert again.result.reason == "completed"


def test_a_worker_that_does_not_stop_is_killed(line, tiny_pair):
    job = Job(*tiny_pair, LONG).start(line)
    _wait_until(lambda: job.status().step >= 1)
    pid = line.workers[0].pid
    os.kill(pid, signal.SIGSTOP)  # frozen: it can no longer see the stop request
    job.stop()
    status = wait_for(job, 60)  # the grace period is 5 s in this line
    assert status.error and "did not stop within 5 s" in status.error
    _wait_until(lambda: not _alive(pid), timeout=30)  # the frozen worker is gone (Ray reaps its actor in seconds)
    assert wait_for(Job(*tiny_pair, QUICK).start(line), 300).result.reason == "completed"


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("NST_MAX_RUNS", "2")
    monkeypatch.setenv("NST_MAX_RUN_SECONDS", "90")
    limits = Limits.from_environment()
    assert limits.slots == 2 and limits.max_run_seconds == 90.0 and limits.orphan_seconds == Limits().orphan_seconds
    monkeypatch.setenv("NST_ORPHAN_SECONDS", "soon")
    with pytest.raises(Exception, match="NST_ORPHAN_SECONDS must be a number"):
        Limits.from_environment()


def test_a_full_line_refuses_new_runs_with_a_message(executor, monkeypatch, tiny_pair):
    monkeypatch.setenv("NST_RAY_ACTORS", "1")
    queue = RunQueue(Limits(slots=1, max_waiting=2), executor)
    try:
        jobs = [Job(*tiny_pair, LONG).start(queue) for _ in range(3)]  # one runs (or is about to), two wait
        with pytest.raises(Exception, match="The server is busy: 2 runs are waiting"):
            Job(*tiny_pair, QUICK).start(queue)
        for job in jobs:
            job.stop()
    finally:
        queue.close()


def test_one_visitor_cannot_crowd_out_the_others(line, tiny_pair):
    """A visitor (one browser, many tabs) has at most `per_visitor` runs in line or running; others
    still join, and a visitor whose run ended may start another."""
    first = Job(*tiny_pair, LONG, visitor="a").start(line)
    second = Job(*tiny_pair, LONG, visitor="a").start(line)
    _wait_until(lambda: first.status().step >= 1)  # one running, one waiting: both count
    with pytest.raises(Exception, match="This browser already has 2 runs in line or running"):
        Job(*tiny_pair, QUICK, visitor="a").start(line)
    other = Job(*tiny_pair, QUICK, visitor="b").start(line)
    assert other.status().position == 2 and line.visitor_runs("a") == 2
    second.stop()  # leaves the line: room for one more of a's
    again = Job(*tiny_pair, QUICK, visitor="a").start(line)
    first.stop()
    assert wait_for(other, 300).result.reason == "completed" and wait_for(again, 300).result.reason == "completed"
    assert line.visitor_runs("a") == 0


@pytest.mark.parametrize("fixed, per_pixel", [(0.33, 2.2e-5), (0.035, 6.4e-6)])  # 2 AVX2 cores; AVX-512
def test_the_time_left_stays_steady_across_a_coarse_to_fine_run(fixed, per_pixel):
    """A 512 px run on three sizes, each step costing `fixed` + `per_pixel` x its pixels (as measured on
    two machines) and the first step of each size 3 s more (tracing): after the first steps the time
    left is within a third of the truth, and never jumps up by more than a quarter at a size change."""
    from nst.events import Losses, Step
    from nst.schedules import phase_plan, step_cost

    settings = Settings(size=512)
    plan = phase_plan(settings, (341, 512))
    total = sum(step_cost(shape) * n for shape, _, n in plan)
    durations = []
    for index, (shape, _, count) in enumerate(plan):
        new_size = index == 0 or shape != plan[index - 1][0]
        durations += [fixed + per_pixel * shape[0] * shape[1] + (3.0 if new_size and k == 0 else 0.0) for k in range(count)]
    shapes = [shape for shape, _, count in plan for _ in range(count)]
    job = Job("c.png", "s.png", settings)
    elapsed = work = 0.0
    etas = []
    for step, (shape, seconds) in enumerate(zip(shapes, durations), start=1):
        elapsed, work = elapsed + seconds, work + step_cost(shape) / total
        job._record(Step(step, settings.steps, Losses(1.0, {}), elapsed, shape=shape, work=work))
        truth = sum(durations[step:]) - 3.0 * sum(1 for k in range(step, len(shapes)) if shapes[k] != shapes[k - 1])
        etas.append((job.status().eta, truth))
    for step, (eta, truth) in enumerate(etas[2:-5], start=3):
        assert abs(eta - truth) <= truth / 3, (step, eta, truth)
    for (before, _), (after, _) in zip(etas[2:], etas[3:]):
        assert after <= 1.25 * before


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended


def _scratch(pid: int) -> Path:
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return Path(next(v for v in environ if v.startswith(b"TMPDIR=")).split(b"=", 1)[1].decode())


def test_a_killed_worker_keeps_the_last_preview_and_its_scratch_folder_goes(line, tiny_pair):
    """A worker killed mid-run (out of memory, a crash) leaves the visitor the image of its last
    preview as a 'failed' result; its temporary folder (TensorFlow's autograph files) is removed."""
    job = Job(*tiny_pair, LONG.replace(preview_every=2)).start(line)
    _wait_until(lambda: job.status().step >= 5)
    pid = line.workers[0].pid
    local = isinstance(line.workers[0], ProcessWorker)  # a Ray actor's folders are Ray's
    scratch = _scratch(pid) if local else None
    assert not local or scratch.is_dir() and any(scratch.glob("__autograph_generated_file*"))
    last = job.status()
    os.kill(pid, signal.SIGKILL)
    status = wait_for(job, 60)
    result = status.result
    assert status.error is None and result.reason == "failed" and result.image.shape == (64, 64, 3)
    assert "ended unexpectedly" in result.message and "Kept the image from step" in result.message
    assert result.snapshots[0][0] >= last.step - 2 and result.steps_done >= last.step
    _wait_until(lambda: not local or not scratch.exists(), timeout=10)
    again = wait_for(Job(*tiny_pair, QUICK).start(line), 300)
    assert again.result.reason == "completed"
    if local:
        scratch = _scratch(line.workers[0].pid)
        line.close()  # the server stops: its workers' folders go too
        _wait_until(lambda: not scratch.exists(), timeout=20)


def test_a_draining_line_stops_every_run_keeping_its_image_and_refuses_new_ones(line, tiny_pair):
    running = Job(*tiny_pair, LONG).start(line)
    waiting = Job(*tiny_pair, QUICK).start(line)
    _wait_until(lambda: running.status().step >= 2)
    line.drain("The server is shutting down.")
    first, second = wait_for(running, 60), wait_for(waiting, 10)
    assert first.result.reason == "cancelled" and first.result.message.startswith("The server is shutting down.")
    assert first.result.steps_done >= 2 and first.result.image.shape == (64, 64, 3)
    assert second.error == "The server is shutting down."
    with pytest.raises(Exception, match="shutting down"):
        Job(*tiny_pair, QUICK).start(line)
