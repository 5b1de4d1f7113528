"""What semantic style transfer costs and what it does.

    python -m bench.bench_semantic [--size 256] [--rounds 3] [--steps 20] [--effect-size 128]

Cost: every variant once per round, interleaved (A/B/C... then again), on cat x swirls with the offline
VGG16 (no download), Adam at one size so that every step costs the same; the median seconds per step
(setup included) of each variant and its ratio to the plain objective; then the time of the region
and saliency maps.

Effect, with numbers the network does not grade, on the four sample photos x swirls at
--effect-size px (the default fast mode, 60 steps): for saliency 0 and 10, the mean absolute change
from the photo in its most salient 30% and its least salient 30%; for edge weights 0, 1e6 and 1e7,
the edge distance (mean squared difference of the Laplacians, nst/losses.py) to the photo.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from nst import Finished, Settings, load_backbone, load_image, stylise
from nst.regions import segment
from nst.saliency import saliency_map

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--effect-size", type=int, default=128)
    args = parser.parse_args()
    backbone = load_backbone("offline")
    content = load_image(ROOT / "assets/content/cat.jpg", args.size)
    styles = [load_image(ROOT / f"assets/styles/{name}.jpg", args.size) for name in ("swirls", "starry_night")]
    base = Settings(size=args.size, steps=args.steps, scales=1, optimizer="adam", weights="offline", precision="float32")
    left = np.zeros(content.shape[:2], np.float32)
    left[:, : content.shape[1] // 2] = 1.0
    variants = {
        "plain": (base, None),
        "2 regions (masks)": (base, [left, 1 - left]),
        "saliency 5": (base.replace(saliency=5.0), None),
        "edge term": (base.replace(edge_weight=1e7), None),
        "all three": (base.replace(saliency=5.0, edge_weight=1e7), [left, 1 - left]),
    }
    for settings, masks in variants.values():  # trace every variant once before timing
        list(stylise(content, styles if masks else styles[0], settings.replace(steps=2), masks=masks, backbone=backbone))
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, (settings, masks) in variants.items():
            finished = list(stylise(content, styles if masks else styles[0], settings, masks=masks, backbone=backbone))[-1]
            assert isinstance(finished, Finished)
            times[name].append(finished.elapsed / args.steps)
    plain = statistics.median(times["plain"])
    print(f"{args.size} px, {args.steps} Adam steps, median of {args.rounds} interleaved rounds (float32):")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<18} {median * 1000:7.1f} ms/step  x{median / plain:.2f}")
    photo = load_image(ROOT / "assets/content/cat.jpg", 512)
    for label, call in (("automatic regions (K=4)", lambda: segment(photo, 4)), ("saliency map", lambda: saliency_map(photo))):
        call()
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            call()
            runs.append(time.perf_counter() - started)
        print(f"  {label} at 512 px: {statistics.median(runs) * 1000:.0f} ms (median of 5)")
    effects(backbone, args.effect_size)


def effects(backbone, size: int) -> None:
    import tensorflow as tf

    from nst.losses import edge_distance

    print(f"effect at {size} px (fast mode, 60 steps), photo x swirls:")
    style = load_image(ROOT / "assets/styles/swirls.jpg", size)
    for name in ("cat", "astronaut", "coffee", "rocket"):
        photo = load_image(ROOT / f"assets/content/{name}.jpg", size)
        salience = saliency_map(photo)
        subject, background = salience >= np.quantile(salience, 0.7), salience <= np.quantile(salience, 0.3)
        base = Settings(size=size, steps=60, weights="offline")
        cells = []
        for strength in (0.0, 10.0):
            image = list(stylise(photo, style, base.replace(saliency=strength), backbone=backbone))[-1].image
            change = np.abs(image - photo)
            cells.append(f"saliency {strength:g}: subject {change[subject].mean():.3f}, "
                         f"background {change[background].mean():.3f}")
        for weight in (0.0, 1e6, 1e7):
            image = list(stylise(photo, style, base.replace(edge_weight=weight), backbone=backbone))[-1].image
            distance = float(edge_distance(tf.constant(image[None]), tf.constant(photo[None])))
            cells.append(f"edge {weight:g}: {distance:.4f}")
        print(f"  {name:<10} " + " | ".join(cells))


if __name__ == "__main__":
    main()
