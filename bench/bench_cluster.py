"""Ray against local worker processes, on this machine: the same run's time, and batch throughput.

    python -m bench.bench_cluster [--size 256] [--steps 50] [--repeats 3]

Starts a Ray head on 127.0.0.1 with this machine's CPUs by the README's cluster recipe, in a fresh home
folder (tests/harness/ray_head.py), then:

1. the same run (cat x Starry Night, the offline VGG16, float32) through the run line on one local
   worker process and on one Ray actor, interleaved, warm (each network built by a first, untimed
   run): the median of --repeats each and their ratio, Ray's overhead;
2. a batch of 4 items (2 photos x 2 paintings, the same settings) with `python -m nst batch` on 1 and
   2 local workers and on Ray with 1 and 2 actors, cold (each a fresh process, as a teacher runs it):
   items per minute.

Prints both and writes bench/cluster.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nst import Settings
from nst.line.actors import Placement, RayExecutor
from nst.line.job import Job, wait_for
from nst.line.limits import Limits
from nst.line.process import LocalExecutor
from nst.line.queue import RunQueue
from tests.harness.ray_head import ray_head

ROOT = Path(__file__).resolve().parent.parent

PHOTOS, PAINTINGS = ("cat", "coffee"), ("starry_night", "great_wave")


def one_run(queue: RunQueue, settings: Settings) -> float:
    started = time.perf_counter()
    status = wait_for(Job(str(ROOT / "assets/content/cat.jpg"), str(ROOT / "assets/styles/starry_night.jpg"),
                          settings).start(queue), 1200)
    assert status.result is not None and status.result.reason == "completed", status.error
    return time.perf_counter() - started


def batch_seconds(args: list[str], env: dict[str, str]) -> float:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "nst", "batch", *(str(ROOT / f"assets/content/{p}.jpg") for p in PHOTOS),
                        "--style", *(str(ROOT / f"assets/styles/{p}.jpg") for p in PAINTINGS), "-o", out, "-q", *args],
                       check=True, cwd=ROOT, env=env, capture_output=True)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    settings = Settings(size=args.size, steps=args.steps, weights="offline", precision="float32")
    cpus = os.cpu_count() or 1
    figures: dict[str, object] = {"size": args.size, "steps": args.steps, "cpus": cpus}
    with ray_head(cpus=cpus) as head:
        # Ray's client in this process reads its authentication from the environment only
        os.environ.update(RAY_AUTH_MODE=head.env["RAY_AUTH_MODE"], RAY_AUTH_TOKEN_PATH=str(head.token_path))
        ray = RayExecutor(head.address, Placement(cpus=cpus, actors=1))
        lines = {"local": RunQueue(Limits(slots=1), LocalExecutor()), "ray": RunQueue(Limits(slots=1), ray)}
        for line in lines.values():
            one_run(line, settings)  # warm: network built, steps traced
        times: dict[str, list[float]] = {name: [] for name in lines}
        for _ in range(args.repeats):
            for name, line in lines.items():
                times[name].append(one_run(line, settings))
                print(name, f"{times[name][-1]:.1f} s", flush=True)
        for line in lines.values():
            line.close()
        figures["run_s"] = {name: statistics.median(values) for name, values in times.items()}
        figures["ray_over_local"] = figures["run_s"]["ray"] / figures["run_s"]["local"]
        quick = ["--size", str(args.size), "--steps", str(args.steps), "--weights", "offline", "--precision", "float32"]
        plain = {k: v for k, v in os.environ.items() if not k.startswith("NST_RAY")}
        batches = {
            "local, 1 worker": (["--workers", "1", *quick], plain),
            "local, 2 workers": (["--workers", "2", *quick], plain),
            "ray, 1 actor": (["--ray", head.address, *quick], {**head.env, "NST_RAY_ACTORS": "1", "NST_RAY_CPUS": str(cpus)}),
            "ray, 2 actors": (["--ray", head.address, *quick], {**head.env, "NST_RAY_ACTORS": "2", "NST_RAY_CPUS": "1"}),
        }
        figures["batch_items_per_minute"] = {}
        for name, (extra, env) in batches.items():
            seconds = batch_seconds(extra, env)
            figures["batch_items_per_minute"][name] = round(4 * 60 / seconds, 2)
            print(name, f"{seconds:.0f} s for 4 items", flush=True)
    print(json.dumps(figures, indent=1))
    (ROOT / "bench" / "cluster.json").write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
