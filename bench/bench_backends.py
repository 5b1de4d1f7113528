"""Which Keras backend runs the engine fastest on this machine's CPU: the default run on TensorFlow,
JAX and PyTorch (where installed), side by side, interleaved, median of --rounds.

    python -m bench.bench_backends [--sizes 256 512] [--rounds 3] [--precision float32]

Each round starts one process per backend, in turn (Keras picks its backend once per process); each
process runs the default settings twice with the offline weights, cat x Starry Night: the first run
(what a command-line run costs after start-up: network built, steps compiled) and the second (what
a warm studio worker costs). Prints a table and the JSON of every measurement.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time

from tests.harness.paths import ASSETS, ROOT

PHOTO, PAINTING = ASSETS / "content" / "cat.jpg", ASSETS / "styles" / "starry_night.jpg"


def child(size: int, precision: str) -> None:
    """In a process on one backend: the default run twice; prints JSON."""
    started = time.perf_counter()
    from nst import Finished, Settings, backends, stylise

    settings = Settings(size=size, weights="offline", precision=precision)
    seconds = []
    for _ in range(2):
        begun = time.perf_counter()
        result = [e for e in stylise(PHOTO, PAINTING, settings) if isinstance(e, Finished)][-1]
        seconds.append(time.perf_counter() - begun)
        assert result.reason == "completed", result.message
    print(json.dumps({"backend": backends.describe(), "first": seconds[0], "warm": seconds[1],
                      "process": time.perf_counter() - started}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--precision", default="float32", choices=("float32", "bfloat16"))
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.precision)
    names = [name for name, module in (("tensorflow", "tensorflow"), ("jax", "jax"), ("torch", "torch"))
             if importlib.util.find_spec(module)]
    results: dict[str, dict[int, list[dict]]] = {name: {size: [] for size in args.sizes} for name in names}
    for size in args.sizes:
        for round_ in range(args.rounds):
            order = names[round_ % len(names):] + names[:round_ % len(names)]  # each backend leads a round
            for name in order:
                done = subprocess.run(
                    [sys.executable, "-m", "bench.bench_backends", "--child", str(size), "--precision", args.precision],
                    cwd=ROOT, env={**os.environ, "KERAS_BACKEND": name}, capture_output=True, text=True, check=True)
                results[name][size].append(json.loads(done.stdout.strip().splitlines()[-1]))
                print(name, size, results[name][size][-1], file=sys.stderr)
    print(f"| backend ({args.precision}) | " + " | ".join(
        f"{s} px first run | {s} px warm run | {s} px process, both runs" for s in args.sizes) + " |")
    for name in names:
        cells = []
        for size in args.sizes:
            runs = results[name][size]
            cells += [f"{statistics.median(r[k] for r in runs):.1f} s" for k in ("first", "warm", "process")]
        print(f"| {results[name][args.sizes[0]][0]['backend']} | " + " | ".join(cells) + " |")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
