"""A run in a background thread while another thread keeps the GIL busy, as a page refresh does.

    python bench/bench_gil.py [--steps 90] [--modes 0/0.005,0.3/0.005,0.3/0.0005,0.9/0.005,0.9/0.0005]

Each mode is DUTY/INTERVAL: the main thread runs pure Python for DUTY of every second while the fast
mode (256 px, offline weights) runs in a thread, with sys.setswitchinterval(INTERVAL). Prints the
run's wall time per mode. The studio sets 0.5 ms (streamlit_app.py).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nst import Finished, Settings, load_backbone, load_image, stylise  # noqa: E402


def busy(duty: float, running: threading.Thread) -> None:
    while running.is_alive():
        end = time.perf_counter() + duty
        while time.perf_counter() < end:
            sum(i * i for i in range(200))
        time.sleep(max(0.0, 1.0 - duty))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=90)
    parser.add_argument("--modes", default="0/0.005,0.3/0.005,0.3/0.0005,0.9/0.005,0.9/0.0005")
    args = parser.parse_args()
    backbone = load_backbone("offline")
    content = load_image(ROOT / "assets/content/cat.jpg", 256)
    style = load_image(ROOT / "assets/styles/swirls.jpg", 256)
    settings = Settings(size=256, steps=args.steps, weights="offline")
    list(stylise(content, style, settings.replace(steps=6), backbone=backbone))  # trace and warm up
    for mode in args.modes.split(","):
        duty, interval = (float(v) for v in mode.split("/"))
        sys.setswitchinterval(interval)
        seconds: list[float] = []

        def run() -> None:
            for event in stylise(content, style, settings, backbone=backbone):
                if isinstance(event, Finished):
                    seconds.append(event.elapsed)

        thread = threading.Thread(target=run)
        thread.start()
        if duty > 0:
            busy(duty, thread)
        thread.join()
        print(f"busy {duty:.0%} of each second, switch interval {interval * 1000:g} ms: run took {seconds[0]:.1f} s",
              flush=True)


if __name__ == "__main__":
    main()
