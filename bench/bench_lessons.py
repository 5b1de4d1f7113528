"""The classroom's series (nst/lessons.py) as the "Inside the network" page runs them: the content
reconstructions of block1 to block5 and the style reconstructions of block1 up to block5, timed,
with a contact sheet (content row, then style row) to look at.

    python -m bench.bench_lessons [--size 128] [--steps 60] [--content cat] [--style starry_night]

Prints each image's seconds and its mean absolute difference from the photo; writes
bench/screenshots/lessons_<content>_<style>.png.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image

from nst import Settings, load_backbone, load_image, stylise
from nst.events import Finished
from nst.lessons import content_reconstructions, lesson_settings, style_reconstructions

ROOT = Path(__file__).resolve().parent.parent

CELL = 160


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--content", default="cat")
    parser.add_argument("--style", default="starry_night")
    parser.add_argument("--weights", default="offline")
    args = parser.parse_args()
    backbone = load_backbone(args.weights)
    photo = load_image(ROOT / "assets" / "content" / f"{args.content}.jpg", args.size)
    painting = load_image(ROOT / "assets" / "styles" / f"{args.style}.jpg", args.size)
    base = lesson_settings(Settings(weights=args.weights, precision="float32"), args.size, args.steps)
    rows, seconds = [], []
    for series in (content_reconstructions(base), style_reconstructions(base)):
        row = []
        for label, settings in series:
            started = time.perf_counter()
            result = [e for e in stylise(photo, painting, settings, backbone=backbone) if isinstance(e, Finished)][0]
            seconds.append(time.perf_counter() - started)
            print(f"{label:<24} {seconds[-1]:5.1f} s  mean |result - photo| {np.abs(result.image - photo).mean():.3f}",
                  flush=True)
            image = Image.fromarray(np.round(result.image * 255).astype(np.uint8))
            row.append(np.asarray(image.resize((CELL, round(CELL * image.height / image.width)))))
        rows.append(np.concatenate(row, axis=1))
    out = ROOT / "bench" / "screenshots" / f"lessons_{args.content}_{args.style}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, axis=0)).save(out)
    median = statistics.median(seconds)
    print(f"median {median:.1f} s per image ({args.size} px, {args.steps} L-BFGS steps); {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
