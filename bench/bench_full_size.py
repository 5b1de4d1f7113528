"""Whole runs at the sizes people print and share, as a user starts them: each a `python -m nst`
process (Python, TensorFlow, the network, the instant picture, the optimisation, the file written).

    python -m bench.bench_full_size [--sizes 512 1024] [--rounds 3] [--config NAME=FLAGS ...]

Configs run interleaved round by round (one of each, then again), so that a slower or busier moment
of the machine falls on all of them; the script prints each config's median seconds per size and its
ratio to the last config (the recipe to beat), and writes them as JSON with --json.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = {
    "new default": "",
    "without the palette term": "--palette-weight 0",
    "previous default": "--strokes fine --steps 50 --palette-weight 0",
    "last round's recipe": "--init palette --steps 150 --optimizer lbfgs-adam --scales 0 --palette-weight 0",
}


def run_once(flags: str, size: int, out: Path, photo: str, painting: str, weights: str) -> float:
    command = [sys.executable, "-m", "nst", photo, painting, "-o", str(out), "--size", str(size),
               "--weights", weights, *shlex.split(flags)]
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--config", action="append", default=[], help="NAME=FLAGS; default: the three above")
    parser.add_argument("--photo", default="assets/content/astronaut.jpg")
    parser.add_argument("--painting", default="assets/styles/starry_night.jpg")
    parser.add_argument("--weights", default="offline")
    parser.add_argument("--extra", default="", help="flags added to every config (e.g. --precision bfloat16)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    configs = dict(c.split("=", 1) for c in args.config) if args.config else CONFIGS
    times: dict[str, dict[int, list[float]]] = {name: {size: [] for size in args.sizes} for name in configs}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(args.rounds):
            for size in args.sizes:
                for name, flags in configs.items():
                    seconds = run_once(f"{flags} {args.extra}", size, Path(scratch) / "out.png", args.photo,
                                       args.painting, args.weights)
                    times[name][size].append(seconds)
                    print(f"{size} px {name}: {seconds:.1f} s", flush=True)
    baseline = list(configs)[-1]
    results = {}
    for size in args.sizes:
        for name in configs:
            median = statistics.median(times[name][size])
            ratio = median / statistics.median(times[baseline][size])
            results[f"{name}/{size}"] = {"median_s": round(median, 1), "runs_s": [round(t, 1) for t in times[name][size]],
                                          "vs_" + baseline.replace(" ", "_"): round(ratio, 3)}
            print(f"{size:5d} px  {name:<22} median {median:6.1f} s  {ratio:.2f}x {baseline}")
    if args.json:
        args.json.write_text(json.dumps({"configs": configs, "extra": args.extra, "results": results}, indent=1))


if __name__ == "__main__":
    main()
