"""The image loader against hostile files: time per file over the fuzz corpus, and the peak memory of
decoding small files that expand to huge images (each in a fresh process).

    python -m bench.bench_loader

Prints how many files loaded or were refused, the slowest files, and the memory table.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from nst.errors import NSTError
from nst.images import load_image
from tests.harness.corpus import fuzz_corpus, sparse_png

ROOT = Path(__file__).resolve().parent.parent

MEASURE = """
import sys, time
from nst.images import load_image
from nst.errors import NSTError
def peak_kb():  # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])
data = open(sys.argv[1], "rb").read()
before = peak_kb()
started = time.perf_counter()
try:
    load_image(data, 512)
    outcome = "loaded"
except NSTError:
    outcome = "refused"
print(outcome, (peak_kb() - before) // 1024, round(time.perf_counter() - started, 2))
"""


def main() -> None:
    times, outcomes = [], {"loaded": 0, "refused": 0}
    for name, data in fuzz_corpus():
        started = time.perf_counter()
        try:
            load_image(data, 256, "upload")
            outcomes["loaded"] += 1
        except NSTError:
            outcomes["refused"] += 1
        times.append((time.perf_counter() - started, name, len(data)))
    times.sort(reverse=True)
    print(f"{len(times)} files: {outcomes['loaded']} loaded, {outcomes['refused']} refused with a message")
    print("slowest: " + ", ".join(f"{name} ({size / 1e6:.1f} MB) {seconds:.2f} s" for seconds, name, size in times[:5]))

    big = {
        "16-bit grey 7745^2 PNG": lambda: sparse_png(7745, 7745, 16, 0),
        "RGB 7745^2 PNG": lambda: sparse_png(7745, 7745, 8, 2),
        "RGB 16-bit 7745^2 PNG": lambda: sparse_png(7745, 7745, 16, 2),
        "RGBA 7745^2 PNG": lambda: sparse_png(7745, 7745, 8, 6),
        "RGBA 5600^2 PNG": lambda: sparse_png(5600, 5600, 8, 6),
        "RGB 7745^2 JPEG": lambda: _jpeg(7745),
    }
    print("| file | size | outcome | peak memory added | seconds |\n|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for name, make in big.items():
            path = Path(folder) / "file"
            path.write_bytes(make())
            result = subprocess.run([sys.executable, "-c", MEASURE, str(path)], cwd=ROOT, capture_output=True, text=True)
            outcome, grown, seconds = result.stdout.split()
            print(f"| {name} | {path.stat().st_size / 1e3:.0f} KB | {outcome} | {grown} MB | {seconds} |")


def _jpeg(side: int) -> bytes:
    import io

    buffer = io.BytesIO()
    Image.new("RGB", (side, side), (90, 140, 200)).save(buffer, "JPEG", quality=50)
    return buffer.getvalue()


if __name__ == "__main__":
    main()
