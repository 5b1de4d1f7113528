"""The GPU figures, on whichever Keras backend this Python has (KERAS_BACKEND): one step at 512, 1024
and 2048 px, the default 512 px run (the first after start-up, compile included, and warm), peak
memory, and the instant picture. Run by bench/gpu_check.sh, which installs nothing from the network.

    KERAS_BACKEND=jax python -m bench.gpu_check [--weights random] [--sizes 512 1024 2048] [--repeats 3]

`--weights random` (VGG19, random weights) where no weights file can travel: timing does not depend
on the values. A step is the run's compiled step (loss, gradient, Adam update); its time is the median
of 20 after 3 untimed. Prints one JSON object and writes it to bench/gpu_check-<backend>.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import resource
import statistics
import time
from pathlib import Path

from nst import Finished, Settings, backends, load_backbone, load_image, stylise
from nst.backbone import FeatureExtractor
from nst.objective import Objective, objective_calibration
from nst.optimizers import make_step
from nst.precision import resolve

ROOT = Path(__file__).resolve().parent.parent
PHOTO, PAINTING = ROOT / "assets/content/cat.jpg", ROOT / "assets/styles/starry_night.jpg"
TIMED_STEPS, UNTIMED_STEPS = 20, 3


def step_seconds(backbone, settings: Settings) -> float:
    """Median seconds of one compiled Adam step at settings.size (loss values do not matter)."""
    photo, painting = load_image(PHOTO, settings.size), load_image(PAINTING, settings.size)
    extractor = FeatureExtractor(backbone, settings.content_layers, settings.style_layers, resolve(settings.precision))
    shape = photo.shape[:2]
    objective = Objective(extractor, photo, [painting], settings, *objective_calibration(settings, backbone, shape, shape))
    step = make_step(objective, settings, photo, "adam")
    times = []
    for index in range(UNTIMED_STEPS + TIMED_STEPS):
        started = time.perf_counter()
        (total, _), _ = step()
        float(total)  # waits for the device
        if index >= UNTIMED_STEPS:
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def whole_run(backbone, settings: Settings) -> dict:
    started = time.perf_counter()
    result = [e for e in stylise(PHOTO, PAINTING, settings, backbone=backbone) if isinstance(e, Finished)][-1]
    return {"seconds": round(time.perf_counter() - started, 3), "steps": result.steps_done, "reason": result.reason}


def peak_memory_mb(backend: str) -> dict:
    """The accelerator's peak allocation where the backend reports one, and this process's peak RSS."""
    figures = {"process_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    try:
        if backend == "jax":
            import jax

            stats = jax.devices()[0].memory_stats() or {}
            if "peak_bytes_in_use" in stats:
                figures["device_peak_mb"] = round(stats["peak_bytes_in_use"] / 2**20)
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                figures["device_peak_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
        else:
            import tensorflow as tf

            if tf.config.list_physical_devices("GPU"):
                figures["device_peak_mb"] = round(tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20)
    except Exception as exc:  # a backend without memory statistics on this device
        figures["device_peak_mb"] = f"unavailable ({type(exc).__name__})"
    return figures


def instant_seconds(size: int, repeats: int) -> dict:
    from nst.instant import instant_image, instant_network

    network = instant_network()
    photo, painting = load_image(PHOTO, size), load_image(PAINTING, size)
    instant_image(network, photo, [painting])  # warm-up
    times = []
    for _ in range(max(5, repeats)):
        started = time.perf_counter()
        instant_image(network, photo, [painting])
        times.append(time.perf_counter() - started)
    return {"seconds": round(statistics.median(times), 4), "device": network.device}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="random", choices=("random", "offline", "imagenet"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--run-size", type=int, default=512, help="the size of the whole default run")
    parser.add_argument("--no-instant", action="store_true", help="leave out the instant picture (no onnxruntime)")
    args = parser.parse_args()
    backend = backends.check()
    backbone = load_backbone(args.weights)
    figures: dict[str, object] = {"backend": backends.describe(), "weights": args.weights,
                                  "native_bfloat16": resolve("auto") == "bfloat16"}
    precisions = sorted({"float32", resolve("auto")}, reverse=True)  # float32 first
    started = time.perf_counter()
    default = Settings(size=args.run_size, weights=args.weights)
    if importlib.util.find_spec("skimage") is None:  # its palette match (milliseconds) needs SciPy: not carried
        default = dataclasses.replace(default, init="instant")
    figures["default_start"] = default.init
    figures[f"default_{args.run_size}_first_run"] = whole_run(backbone, default)  # start-up: compiling included
    warm = [whole_run(backbone, default) for _ in range(args.repeats)]
    figures[f"default_{args.run_size}_warm_run"] = {**warm[0], "seconds": statistics.median(r["seconds"] for r in warm)}
    for precision in precisions:
        figures[f"step_ms_{precision}"] = {
            size: round(1000 * step_seconds(backbone, Settings(size=size, weights=args.weights, precision=precision)), 2)
            for size in args.sizes}
    figures["memory"] = peak_memory_mb(backend)
    if not args.no_instant:
        figures[f"instant_{args.run_size}"] = instant_seconds(args.run_size, args.repeats)
    figures["check_seconds"] = round(time.perf_counter() - started, 1)
    text = json.dumps(figures, indent=2)
    print(text)
    (ROOT / "bench" / f"gpu_check-{backend}.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
