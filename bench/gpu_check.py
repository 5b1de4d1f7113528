"""The GPU figures: the engine's default run at 512 px in float32 and bfloat16, one step's time, and
the instant network on CUDA. Run by bench/gpu_check.sh, which sets up the CUDA environment.

    python -m bench.gpu_check [--size 512] [--repeats 3]

Offline VGG16 weights (no download), cat x Starry Night. Each figure is the median of --repeats
runs after one untimed warm-up run (building the network, tracing the steps).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from nst import Finished, Settings, Step, load_backbone, load_image, stylise
from nst.instant import instant_image, instant_network

ROOT = Path(__file__).resolve().parent.parent

PHOTO, PAINTING = ROOT / "assets/content/cat.jpg", ROOT / "assets/styles/starry_night.jpg"


def timed_run(settings: Settings, backbone) -> tuple[float, float]:
    """(whole run in seconds, median seconds per full-size step) of one run."""
    stamps: list[tuple[float, tuple[int, int]]] = []
    started = time.perf_counter()
    for event in stylise(PHOTO, PAINTING, settings, backbone=backbone):
        if isinstance(event, Step):
            stamps.append((time.perf_counter(), event.shape))
        elif isinstance(event, Finished):
            whole = time.perf_counter() - started
    full = max(shape for _, shape in stamps)
    gaps = [b - a for (a, _), (b, shape) in zip(stamps, stamps[1:]) if shape == full]
    return whole, statistics.median(gaps) if gaps else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import tensorflow as tf

    figures: dict[str, object] = {"gpus": [d.name for d in tf.config.list_physical_devices("GPU")], "size": args.size}
    backbone = load_backbone("offline")
    for precision in ("float32", "bfloat16"):
        settings = Settings(size=args.size, weights="offline", precision=precision)
        timed_run(settings, backbone)  # warm-up
        runs = [timed_run(settings, backbone) for _ in range(args.repeats)]
        figures[f"default_run_s_{precision}"] = statistics.median(r[0] for r in runs)
        figures[f"full_size_step_s_{precision}"] = statistics.median(r[1] for r in runs)
    network = instant_network()
    photo, painting = load_image(PHOTO, args.size), load_image(PAINTING, args.size)
    instant_image(network, photo, [painting])  # warm-up
    times = []
    for _ in range(max(5, args.repeats)):
        started = time.perf_counter()
        instant_image(network, photo, [painting])
        times.append(time.perf_counter() - started)
    figures["instant_s"], figures["instant_device"] = statistics.median(times), network.device
    for name, value in figures.items():
        print(f"{name}: {value:.3f}" if isinstance(value, float) else f"{name}: {value}")
    (ROOT / "bench" / "gpu_check.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
