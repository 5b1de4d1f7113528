"""How long the colour tools take on a finished image (the app applies them on every slider move).

    python -m bench.bench_colour [--size 512] [--repeats 15]

Prints the median of --repeats timings of each operation on a --size px image (CPU).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from nst.colour import Adjustments, Look, finish, match_palette
from nst.images import encode_png, load_image

ROOT = Path(__file__).resolve().parent.parent

CASES = {
    "neutral (nothing to do)": Look(),
    "brightness+contrast+saturation": Look(adjustments=Adjustments(1.1, 1.2, 1.3)),
    "hue shift": Look(adjustments=Adjustments(hue=40.0)),
    "all five adjustments": Look(adjustments=Adjustments(1.1, 1.2, 1.3, 40.0, 1.2)),
    "keep the photo's colours (YIQ)": Look(keep_colours=True),
    "match to the painting": Look(match="style"),
    "everything + strength 0.7": Look(True, "content", 0.7, Adjustments(1.1, 1.2, 1.3, 40.0, 1.2)),
}


def median_ms(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    content = load_image(ROOT / "assets/content/astronaut.jpg", args.size)
    style = load_image(ROOT / "assets/styles/swirls.jpg", args.size)
    stylised = match_palette(content, style)  # any image of the right size will do for timing
    print(f"{content.shape[1]}x{content.shape[0]} px, median of {args.repeats}")
    for name, look in CASES.items():
        print(f"{name:34s} {median_ms(lambda: finish(stylised, content, style, look), args.repeats):7.1f} ms")
    print(f"{'PNG encoding for the download':34s} {median_ms(lambda: encode_png(stylised), args.repeats):7.1f} ms")


if __name__ == "__main__":
    main()
