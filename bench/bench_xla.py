"""XLA for the step on TensorFlow: `tf.function(jit_compile=True)` against plain `tf.function`, interleaved.

    python -m bench.bench_xla [--sizes 256 512] [--steps 8] [--rounds 3]

Each round runs, for each size, the same Adam steps of the default objective (offline VGG16, float32)
once compiled each way, in one process, and times the steps after the first (which traces and, for
XLA, compiles); the script prints the medians of the seconds per step and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from nst import Settings, Step, load_backbone, load_image, optimizers, stylise
from nst.backends import tensorflow as tf_backend

ROOT = Path(__file__).resolve().parent.parent


def seconds_per_step(content, style, settings, backbone, jit: bool) -> float:
    tf_backend.BACKEND.compile = lambda function: tf.function(function, jit_compile=jit)
    optimizers._programs.clear()  # compiled again the chosen way
    stamps = [time.perf_counter() for event in stylise(content, style, settings, backbone=backbone)
              if isinstance(event, Step)]
    return statistics.median(np.diff(stamps[1:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    backbone = load_backbone("offline")
    times: dict[tuple[int, bool], list[float]] = {}
    for _ in range(args.rounds):
        for size in args.sizes:
            content = load_image(ROOT / "assets/content/cat.jpg", size)
            style = load_image(ROOT / "assets/styles/starry_night.jpg", size)
            settings = Settings(size=size, steps=args.steps, optimizer="adam", init="content", scales=1,
                                weights="offline", precision="float32")
            for jit in (False, True):
                times.setdefault((size, jit), []).append(seconds_per_step(content, style, settings, backbone, jit))
    for size in args.sizes:
        plain, xla = statistics.median(times[size, False]), statistics.median(times[size, True])
        print(f"{size} px: tf.function {plain:.3f} s/step, jit_compile {xla:.3f} s/step, XLA / plain {xla / plain:.2f}")


if __name__ == "__main__":
    main()
