"""Flicker, measured: the warping error of painted clips, frames painted independently against the
temporal method and the instant mode, on the sample clips; time per frame; a contact strip.

    python -m bench.bench_video [--size 128] [--frames 12] [--steps 60]

For each clip in assets/clips/ (its first --frames frames) and each mode, with the offline VGG16 in
float32 and the painting given (--painting, default The Starry Night): the warping error (nst/flow.py:
the mean absolute difference between painted frame t and painted frame t-1 warped onto it along the
photo's flow, over the pixels whose flow passes the forward-backward check; the field's measure of
temporal consistency), the seconds per frame, and a strip of 6 consecutive painted frames per mode,
written to bench/video/strip_<clip>.png. Results in bench/video/video.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from nst import Settings, load_backbone
from nst.clips import read_clip
from nst.events import ClipFinished
from nst.images import resize_array
from nst.video import MODES, stylise_video

ROOT = Path(__file__).resolve().parent.parent


def strip(rows: list[tuple[str, list[np.ndarray]]], path: Path, cell: int = 160) -> None:
    """One row per mode of 6 consecutive frames, each `cell` px wide, with a white gap."""
    from PIL import Image, ImageDraw

    height = round(cell * rows[0][1][0].shape[0] / rows[0][1][0].shape[1])
    sheet = Image.new("RGB", (110 + 6 * (cell + 4), len(rows) * (height + 4)), "white")
    draw = ImageDraw.Draw(sheet)
    for r, (label, frames) in enumerate(rows):
        draw.text((4, r * (height + 4) + height // 2 - 6), label, fill="black")
        for c, frame in enumerate(frames[:6]):
            tile = Image.fromarray((np.clip(resize_array(frame, (height, cell)), 0, 1) * 255).astype(np.uint8))
            sheet.paste(tile, (110 + c * (cell + 4), r * (height + 4)))
    sheet.save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--steps", type=int, default=60, help="the first frame's steps (later frames: a third)")
    parser.add_argument("--painting", default=str(ROOT / "assets/styles/starry_night.jpg"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "video")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    backbone = load_backbone("offline")
    settings = Settings(size=args.size, steps=args.steps, weights="offline", precision="float32")
    results = {}
    for path in sorted((ROOT / "assets" / "clips").glob("*.mp4")):
        clip = read_clip(path, args.size)
        frames = clip.frames[: args.frames]
        rows = [("photo", frames[3:9])]
        for mode in ("independent", "temporal", "instant"):
            assert mode in MODES
            started = time.perf_counter()
            *_, finished = stylise_video(frames, clip.fps, args.painting, settings, mode=mode, backbone=backbone)
            assert isinstance(finished, ClipFinished)
            seconds = time.perf_counter() - started
            results[f"{path.stem}/{mode}"] = {"warping_error": round(finished.warping_error, 4),
                                              "seconds_per_frame": round(seconds / len(frames), 2)}
            print(path.stem, mode, results[f"{path.stem}/{mode}"], flush=True)
            rows.append((mode, finished.frames[3:9]))
        strip(rows, args.out / f"strip_{path.stem}.png")
    (args.out / "video.json").write_text(json.dumps({"size": args.size, "frames": args.frames, "steps": args.steps,
                                                     "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
