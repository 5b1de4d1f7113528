"""A batch's memory against its number of items: `python -m nst batch` over N tiny photos (32 px, one
step, random weights: the items' own work is next to nothing, so what grows is what each item leaves
behind), the peak resident memory of the batch and its worker process sampled every 0.1 s.

    python -m bench.bench_batch_memory --items 10 200
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from tests.harness.memory import Peak
from tests.harness.paths import ROOT


def batch_peak(items: int, folder: Path) -> tuple[float, float]:
    """(peak MB, seconds) of a batch of `items` photos in one painting's style."""
    photos = folder / f"photos{items}"
    photos.mkdir()
    rng = np.random.default_rng(items)
    for k in range(items):
        Image.fromarray(rng.integers(0, 255, (48, 48, 3), dtype=np.uint8)).save(photos / f"p{k:04d}.png")
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "nst", "batch", str(photos), "--style",
                                str(ROOT / "assets/styles/starry_night.jpg"), "-o", str(folder / f"out{items}"),
                                "--size", "32", "--steps", "1", "--weights", "random", "--scales", "1", "-q"], cwd=ROOT)
    peak = Peak(process.pid)
    code = process.wait()
    mb = peak.stop()
    assert code == 0, f"the batch of {items} failed ({code})"
    return mb, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, nargs="+", default=[10, 200])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for items in args.items:
            mb, seconds = batch_peak(items, Path(folder))
            print(f"{items:5d} items: peak {mb:7.0f} MB (batch + worker), {seconds:6.1f} s, "
                  f"{seconds / items:.2f} s an item", flush=True)


if __name__ == "__main__":
    main()
