"""The run line's rules (order, places, per-visitor limit, time limit, orphans, frozen and crashed
workers, drain) against fake workers that replay the worker's replies, with a clock the test moves:
no processes, no TensorFlow, milliseconds."""

from __future__ import annotations

import numpy as np
import pytest

from nst.errors import NSTError
from nst.events import Finished, Losses, Step
from nst.line.actors import Placement
from nst.line.job import Job
from nst.line.limits import Limits
from nst.line.protocol import Done, Emitted, Failed, Network, Request, Run, Started, Stop, Warm, Warmed
from nst.line.queue import RunQueue
from nst.line.worker import Hooks, Worker
from nst.settings import Settings

SETTINGS = Settings(size=64, steps=8, scales=1, weights="random")
PHOTO = np.full((64, 64, 3), 0.5, np.float32)


class FakeWorker(Worker):
    """A run slot that records what the line asks of it; the test plays the worker's replies."""

    def __init__(self, hooks: Hooks):
        super().__init__(hooks)
        self.requests: list[Request] = []
        self.kills = 0
        self.rests = 0

    def _send(self, request: Request) -> None:
        self.requests.append(request)

    def stop(self, job: Job) -> None:
        if self.job is job:
            self.requests.append(Stop(job.id))

    def kill(self) -> None:
        self.kills += 1
        self._ended(-9)

    def close(self) -> None:
        pass

    def rest(self) -> None:
        self.rests += 1

    def reply(self, *replies) -> None:
        for reply in replies:
            self._receive(reply)

    def step(self, n: int, preview: bool = False) -> None:
        image = np.full((64, 64, 3), n / 10, np.float32) if preview else None
        self.reply(Emitted(self.job.id, Step(n, 8, Losses(1.0, {}), float(n), preview=image, shape=(64, 64),
                                             work=n / 8)))

    def finish(self, reason: str = "completed") -> None:
        job = self.job
        self.reply(Emitted(job.id, Finished(PHOTO, PHOTO, reason, "", 3, 3.0)), Done(job.id, 1))


class FakeExecutor:
    def __init__(self) -> None:
        self.made: list[FakeWorker] = []

    def capacity(self, limits: Limits) -> int:
        return limits.slots

    def worker(self, hooks: Hooks) -> FakeWorker:
        self.made.append(FakeWorker(hooks))
        return self.made[-1]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_line(clock: Clock, **limits) -> tuple[RunQueue, list[FakeWorker]]:
    executor = FakeExecutor()
    line = RunQueue(Limits(**limits), executor, clock=clock, tick=None)
    return line, executor.made


def job(**kwargs) -> Job:
    return Job(PHOTO, PHOTO, SETTINGS, **kwargs)


def runs(worker: FakeWorker) -> list[int]:
    return [request.job_id for request in worker.requests if isinstance(request, Run)]


def test_first_come_first_served_with_places_in_line(clock):
    line, (worker,) = make_line(clock)
    jobs = [job().start(line) for _ in range(4)]
    assert [j.status().position for j in jobs] == [0, 1, 2, 3]
    for expected in jobs:
        assert runs(worker)[-1] == expected.id
        worker.reply(Started(expected.id))
        worker.finish()
        assert expected.status().result.reason == "completed"
    assert runs(worker) == [j.id for j in jobs]


def test_two_slots_run_two_at_once_and_the_next_takes_the_first_free_one(clock):
    line, workers = make_line(clock, slots=2)
    a, b, c = (job().start(line) for _ in range(3))
    assert [runs(w) for w in workers] == [[a.id], [b.id]] and c.status().position == 1
    workers[1].finish()
    assert runs(workers[1]) == [b.id, c.id] and c.status().position == 0


def test_stopping_a_queued_run_cancels_it_quietly(clock):
    line, (worker,) = make_line(clock)
    running, waiting = job().start(line), job().start(line)
    waiting.stop()
    status = waiting.status()
    assert status.done and status.cancelled and status.error is None and status.result is None
    worker.finish()
    assert runs(worker) == [running.id]  # the cancelled one never runs


def test_stop_reaches_the_worker_and_names_who_stopped_it(clock):
    line, (worker,) = make_line(clock)
    running = job().start(line)
    worker.reply(Started(running.id))
    running.stop("Stopped by the teacher.")
    assert worker.requests[-1] == Stop(running.id)
    worker.finish("cancelled")
    assert running.status().result.message == "Stopped by the teacher. Kept the image after 3 steps."


def test_one_visitor_cannot_crowd_out_the_others(clock):
    line, (worker,) = make_line(clock, per_visitor=2)
    first, second = job(visitor="a").start(line), job(visitor="a").start(line)
    with pytest.raises(NSTError, match="This browser already has 2 runs in line or running"):
        job(visitor="a").start(line)
    other = job(visitor="b").start(line)
    assert other.status().position == 2 and line.visitor_runs("a") == 2
    second.stop()  # leaves the line: room for one more of a's
    again = job(visitor="a").start(line)
    assert [again.status().position, other.status().position] == [2, 1]
    worker.finish()
    assert line.visitor_runs("a") == 1 and first.status().done


def test_a_full_line_refuses_new_runs_with_a_message(clock):
    line, _ = make_line(clock, max_waiting=2)
    for _ in range(3):  # one runs, two wait
        job().start(line)
    with pytest.raises(NSTError, match="The server is busy: 2 runs are waiting"):
        job().start(line)


def test_the_time_limit_counts_from_the_start_not_the_wait(clock):
    line, (worker,) = make_line(clock, max_run_seconds=100, orphan_seconds=10_000)
    first, second = job().start(line), job().start(line)
    worker.reply(Started(first.id))
    clock.now += 90
    line.check()
    assert Stop(first.id) not in worker.requests
    clock.now += 20
    line.check()
    assert worker.requests[-1] == Stop(first.id)
    worker.finish("cancelled")
    assert "time limit of 100 s" in first.status().result.message
    worker.reply(Started(second.id))  # it waited 110 s in line: that does not count
    clock.now += 50
    line.check()
    assert Stop(second.id) not in worker.requests


def test_a_run_nobody_watches_is_stopped_and_the_next_one_starts(clock):
    line, (worker,) = make_line(clock, orphan_seconds=60)
    watching = {"open": True}
    orphan = job(watch=lambda: watching["open"]).start(line)
    waiting = job().start(line)
    worker.reply(Started(orphan.id))
    line.check()
    assert Stop(orphan.id) not in worker.requests
    watching["open"] = False  # the tab is closed: its watch says so at once
    line.check()
    assert worker.requests[-1] == Stop(orphan.id)
    worker.finish("cancelled")
    assert "nobody was watching" in orphan.status().result.message
    assert runs(worker)[-1] == waiting.id
    worker.reply(Started(waiting.id))
    clock.now += 61  # a page that stops polling, with no watch callback
    line.check()
    assert worker.requests[-1] == Stop(waiting.id)


def test_a_waiting_run_nobody_watches_leaves_the_line(clock):
    line, (worker,) = make_line(clock, orphan_seconds=60)
    running, waiting = job().start(line), job().start(line)
    clock.now += 30
    running.status()
    clock.now += 31
    running.status()
    line.check()
    assert waiting.status().cancelled and Stop(running.id) not in worker.requests


def test_a_worker_that_does_not_stop_is_killed_after_the_grace(clock):
    line, (worker,) = make_line(clock, stop_grace_seconds=30)
    frozen = job().start(line)
    worker.reply(Started(frozen.id))
    frozen.stop()
    clock.now += 29
    line.check()
    assert worker.kills == 0
    clock.now += 2
    line.check()
    assert worker.kills == 1
    assert "did not stop within 30 s" in frozen.status().error


def test_a_crashed_worker_fails_its_run_keeping_the_last_step_image_and_the_next_runs(clock):
    line, (worker,) = make_line(clock)
    crashed, blank, later = job().start(line), job().start(line), job().start(line)
    worker.reply(Started(crashed.id))
    worker.step(1, preview=True)
    worker.step(2)
    worker._ended(-9)  # as a TensorFlow crash or the OOM killer would end it
    result = crashed.status().result
    assert result.reason == "failed" and "ended unexpectedly (exit code -9)" in result.message
    assert "Kept the image from step 1" in result.message and np.allclose(result.image, 0.1)
    assert runs(worker)[-1] == blank.id
    worker._ended(-9)  # no step image yet: an error, no result
    status = blank.status()
    assert status.result is None and "try again" in status.error
    assert runs(worker)[-1] == later.id


def test_an_error_ends_the_run_and_a_late_reply_is_ignored(clock):
    line, (worker,) = make_line(clock)
    first, second = job().start(line), job().start(line)
    worker.reply(Failed(first.id, "That painting is too small."), Done(first.id, 1))
    assert first.status().error == "That painting is too small."
    worker.reply(Failed(first.id, "late"))  # the slot now runs the second
    assert not second.status().done and first.status().error == "That painting is too small."


def test_a_draining_line_stops_every_run_keeping_its_image_and_refuses_new_ones(clock):
    line, (worker,) = make_line(clock)
    running, waiting = job().start(line), job().start(line)
    worker.reply(Started(running.id))
    line.drain("The server is shutting down.")
    assert worker.requests[-1] == Stop(running.id) and waiting.status().error == "The server is shutting down."
    worker.finish("cancelled")
    assert running.status().result.message.startswith("The server is shutting down.")
    with pytest.raises(NSTError, match="shutting down"):
        job().start(line)


def test_the_line_learns_what_its_workers_built_and_warmed(clock):
    line, (worker,) = make_line(clock)
    line.warm("random")
    assert worker.requests == [Warm("random")] and not line.warmed("random")
    worker.reply(Network("random", ("block1_conv1", "block3_conv4"), "VGG19, random weights"), Warmed("random"))
    assert line.warmed("random") and line.layer_names("random")[-1] == "block3_conv4"
    assert line.network_description("random") == "VGG19, random weights" and line.layer_names("offline") is None


def test_limits_come_from_the_environment_given():
    limits = Limits.from_environment({"NST_MAX_RUNS": "2", "NST_MAX_RUN_SECONDS": "90"})
    assert limits.slots == 2 and limits.max_run_seconds == 90.0 and limits.orphan_seconds == Limits().orphan_seconds
    for bad in ("soon", "0", "-1", "nan", "inf"):
        with pytest.raises(NSTError, match="NST_ORPHAN_SECONDS must be a"):
            Limits.from_environment({"NST_ORPHAN_SECONDS": bad})


@pytest.mark.parametrize("fixed, per_pixel", [(0.33, 2.2e-5), (0.035, 6.4e-6)])  # 2 AVX2 cores; AVX-512
def test_the_time_left_stays_steady_across_a_coarse_to_fine_run(fixed, per_pixel):
    """A 512 px run on three sizes, each step costing `fixed` + `per_pixel` x its pixels (as measured on
    two machines) and the first step of each size 3 s more (tracing): after the first steps the time
    left is within a third of the truth, and never jumps up by more than a quarter at a size change."""
    from nst.schedules import phase_plan, step_cost

    settings = Settings(size=512, init="content")  # coarse-to-fine: 128, 256, 512 px
    plan = phase_plan(settings, (341, 512))
    total = sum(step_cost(shape) * n for shape, _, n in plan)
    durations = []
    for index, (shape, _, count) in enumerate(plan):
        new_size = index == 0 or shape != plan[index - 1][0]
        durations += [fixed + per_pixel * shape[0] * shape[1] + (3.0 if new_size and k == 0 else 0.0) for k in range(count)]
    shapes = [shape for shape, _, count in plan for _ in range(count)]
    one = Job("c.png", "s.png", settings)
    elapsed = work = 0.0
    etas = []
    for step, (shape, seconds) in enumerate(zip(shapes, durations), start=1):
        elapsed, work = elapsed + seconds, work + step_cost(shape) / total
        one.record(Step(step, settings.steps, Losses(1.0, {}), elapsed, shape=shape, work=work))
        truth = sum(durations[step:]) - 3.0 * sum(1 for k in range(step, len(shapes)) if shapes[k] != shapes[k - 1])
        etas.append((one.status().eta, truth))
    for step, (eta, truth) in enumerate(etas[2:-5], start=3):
        assert abs(eta - truth) <= truth / 3, (step, eta, truth)
    for (before, _), (after, _) in zip(etas[2:], etas[3:]):
        assert after <= 1.25 * before


class _Cluster:
    """What Placement reads of Ray: a cluster of 6 CPUs, 2 of them held by another driver's actors."""

    @staticmethod
    def cluster_resources() -> dict[str, float]:
        return {"CPU": 6.0}

    @staticmethod
    def available_resources() -> dict[str, float]:
        return {"CPU": 4.0}


def test_ray_actors_are_counted_from_what_the_cluster_has_free():
    assert Placement().count(_Cluster) == 2  # 2 CPUs each, out of the 4 free
    assert Placement(cpus=1).count(_Cluster) == 4
    assert Placement(cpus=1, actors=7).count(_Cluster) == 7
    assert Placement(cpus=8).count(_Cluster) == 1  # at least one, which waits for room


def test_a_worker_without_runs_for_a_while_lets_its_memory_go(clock):
    """Idle for NST_WORKER_IDLE_SECONDS after its last run or warm-up: rested once; a run or a visitor's
    warm-up starts the count again; a running worker is never rested."""
    line, (worker,) = make_line(clock, idle_seconds=120)
    clock.now += 100
    line.check()
    assert worker.rests == 0
    clock.now += 30
    line.check()
    line.check()
    assert worker.rests == 1
    running = job().start(line)
    worker.reply(Started(running.id))
    clock.now += 500
    line.check()
    assert worker.rests == 1  # busy
    worker.finish()
    clock.now += 119
    line.check()
    assert worker.rests == 1
    clock.now += 2
    line.check()
    assert worker.rests == 2
    line.warm("random")
    clock.now += 121
    line.check()
    assert worker.rests == 3
    again = job().start(line)
    worker.reply(Started(again.id))
    worker.finish()
    clock.now += 100
    line.warm("random")  # a visitor comes 100 s into the quiet spell after a run: it starts again
    clock.now += 100
    line.check()
    assert worker.rests == 3


def test_a_small_machine_gets_runs_up_to_512_px_unless_its_operator_says(monkeypatch):
    """Under 4 GB (Community Cloud's 2.7 GB container) a 1024 px run would not fit beside the server
    (BENCHMARKS.md, "The studio's memory"): the size slider stops at 512 px; NST_MAX_SIZE decides."""
    import nst.line.limits as limits

    monkeypatch.setattr(limits, "memory_mb", lambda: 2765.0)
    assert Limits.from_environment({}).max_size == 512
    assert Limits.from_environment({"NST_MAX_SIZE": "1024"}).max_size == 1024
    monkeypatch.setattr(limits, "memory_mb", lambda: 16_000.0)
    assert Limits.from_environment({}).max_size == 1024
    with pytest.raises(NSTError, match="NST_MAX_SIZE must be at least 128"):
        Limits.from_environment({"NST_MAX_SIZE": "64"})
