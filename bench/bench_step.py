"""Seconds per optimisation step: this engine against the TF tutorial's loop, interleaved.

    python -m bench.bench_step [--size 256] [--steps 12] [--rounds 5] [--weights offline]

Both run the same network weights, images and size. Each round times one engine run and one
reference run of --steps steps (after a traced warm-up step) and the script prints the median
seconds per step of each and their ratio (engine / reference; below 1 means the engine is faster).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from bench.tutorial_reference import TutorialLoop
from nst import Settings, Step, load_backbone, load_image, stylise

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def engine_seconds_per_step(content, style, settings, backbone) -> float:
    stamps = []
    for event in stylise(content, style, settings, backbone=backbone):
        if isinstance(event, Step):
            stamps.append(time.perf_counter())
    return statistics.median(np.diff(stamps[1:]))  # skip the traced first step


def reference_seconds_per_step(content, style, steps, network) -> float:
    loop = TutorialLoop(network, content, style)
    loop.train_step().numpy()  # trace
    stamps = [time.perf_counter()]
    for _ in range(steps):
        loop.train_step().numpy()
        stamps.append(time.perf_counter())
    return statistics.median(np.diff(stamps))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--weights", default="offline")
    parser.add_argument("--content", default=str(ROOT / "assets/content/cat.jpg"))
    parser.add_argument("--style", default=str(ROOT / "assets/styles/swirls.jpg"))
    args = parser.parse_args()

    content, style = load_image(args.content, args.size), load_image(args.style, args.size)
    backbone = load_backbone(args.weights)
    settings = Settings(size=args.size, steps=args.steps + 1, weights=args.weights)
    print(f"{platform.processor() or platform.machine()}, {tf.config.list_physical_devices()}, TF {tf.__version__}")
    print(f"{backbone.description}, {content.shape[1]}x{content.shape[0]} px, {args.steps} steps x {args.rounds} rounds")
    engine, reference = [], []
    for round_ in range(args.rounds):
        engine.append(engine_seconds_per_step(content, style, settings, backbone))
        reference.append(reference_seconds_per_step(content, style, args.steps, backbone.network))
        print(f"round {round_ + 1}: engine {engine[-1]:.3f} s/step, reference {reference[-1]:.3f} s/step")
    e, r = statistics.median(engine), statistics.median(reference)
    print(f"median: engine {e:.3f} s/step, reference {r:.3f} s/step, ratio engine/reference {e / r:.2f}")


if __name__ == "__main__":
    main()
