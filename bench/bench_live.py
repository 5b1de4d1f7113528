"""The live camera: painted frames per second at each size, and what a live stream costs a run.

    python -m bench.bench_live [--seconds 6] [--rounds 3] [--size 256]

Frames per second: LivePainter (nst/live.py) on a 640 x 480 frame (the astronaut, as a webcam would
send it) for `--seconds` at 128, 256 and 384 px, as fast as it paints (a camera sends 30 a second;
more than that is not needed). Then a run's step time (the default run's working-size Adam steps at
`--size`, offline VGG16) alone, beside a live stream that paints every frame, and beside one that
yields to runs (nst/live.py: YIELD_FPS), interleaved over `--rounds`, medians reported.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from pathlib import Path

import numpy as np

from nst import Settings, Step, load_backbone, load_image, stylise
from nst.instant import instant_network
from nst.live import SIZES, LivePainter

ROOT = Path(__file__).resolve().parent.parent
CAMERA_FPS = 30.0


def frame() -> np.ndarray:
    photo = load_image(ROOT / "assets" / "content" / "astronaut.jpg", 640)
    square = np.zeros((480, 640, 3), np.float32)
    square[:, 80:560] = photo[:480, :480] if photo.shape[1] >= 480 else 0
    return (square * 255).astype(np.uint8)


def painted_fps(size: int, seconds: float, code: np.ndarray) -> float:
    painter = LivePainter(instant_network(), code, size, busy=lambda: False)
    image, count, started = frame(), 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        painter(image)
        count += 1
    return count / (time.perf_counter() - started)


def step_seconds(size: int, live: str | None, code: np.ndarray, backbone) -> float:
    """The median step time of a short run, with a live stream beside it ('every' frame painted,
    'yielding' to the run, or None)."""
    stop = threading.Event()

    def camera() -> None:
        painter = LivePainter(instant_network(), code, 128, busy=lambda: live == "yielding")
        image = frame()
        while not stop.is_set():
            started = time.perf_counter()
            painter(image)
            time.sleep(max(0.0, 1.0 / CAMERA_FPS - (time.perf_counter() - started)))

    thread = threading.Thread(target=camera, daemon=True)
    if live:
        thread.start()
    photo = load_image(ROOT / "assets" / "content" / "cat.jpg", size)
    painting = load_image(ROOT / "assets" / "styles" / "starry_night.jpg", size)
    settings = Settings(size=size, steps=12, strokes="fine", optimizer="adam", weights="offline", precision="float32")
    times, last = [], None
    for event in stylise(photo, painting, settings, backbone=backbone):
        if isinstance(event, Step):
            if last is not None and event.step > 2:  # the first steps trace and compile
                times.append(event.elapsed - last)
            last = event.elapsed
    stop.set()
    if live:
        thread.join()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    code = instant_network().style_code(load_image(ROOT / "assets" / "styles" / "starry_night.jpg", 512))
    for size in SIZES:
        print(f"live painting at {size} px: {painted_fps(size, args.seconds, code):.1f} frames/s", flush=True)
    backbone = load_backbone("offline")
    step_seconds(args.size, None, code, backbone)  # warm: the network and the compiled step
    results: dict[str, list[float]] = {"alone": [], "every": [], "yielding": []}
    for _ in range(args.rounds):
        for name in results:
            results[name].append(step_seconds(args.size, None if name == "alone" else name, code, backbone))
    alone = statistics.median(results["alone"])
    for name, values in results.items():
        median = statistics.median(values)
        print(f"run step at {args.size} px, {name:>8}: {median:.3f} s ({median / alone:.2f}x alone)", flush=True)


if __name__ == "__main__":
    main()
