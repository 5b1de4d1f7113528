"""The studio's default run, timed in a real browser: click to first step shown, to first preview, to result.

    python bench/bench_app.py [--runs 2]

Starts `streamlit run streamlit_app.py`, opens it in headless Chromium (Playwright, Debian's chromium),
keeps every default (cat x swirls, 256 px, the fast mode; the ImageNet weights fall back to the
offline VGG16 where they cannot be downloaded) and presses Stylise --runs times. For each run it
prints the seconds from the click until the page shows step 1, until it shows a step at or past the
first preview (the default refreshes the image every 5 steps), and until the run is over (its Stop
button gone) and the result's download button shows. The first run includes building the network. The page polls the run once a second,
so each time is up to about a second late.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from streamlit_server import CHROMIUM, CHROMIUM_ARGS, streamlit_server  # noqa: E402

STEP = re.compile(r"Step (\d+) of (\d+)")


def renice_browser() -> None:
    """Give every Chromium process idle priority (Linux)."""
    for stat in Path("/proc").glob("[0-9]*/comm"):
        try:
            if "chrom" in stat.read_text():
                os.setpriority(os.PRIO_PROCESS, int(stat.parent.name), 19)
        except OSError:
            pass  # the process ended meanwhile


def time_one_run(page, preview_every: int = 5) -> dict[str, float]:
    """Press Stylise and poll the page every 250 ms until the result appears."""
    clicked = time.perf_counter()
    page.get_by_role("button", name="Stylise").click()
    marks: dict[str, float] = {}
    download = page.get_by_role("button", name="Download result (PNG)")
    stop = page.get_by_role("button", name="Stop")
    while "result" not in marks:
        now = time.perf_counter() - clicked
        if now > 600:
            raise SystemExit("the run did not finish in 10 minutes")
        match = STEP.search(page.locator("body").inner_text())
        if match and "first step" not in marks:
            marks["first step"] = now
        if match and int(match.group(1)) >= preview_every and "first preview" not in marks:
            marks["first preview"] = now
        if "first step" in marks and stop.count() == 0 and download.count() > 0:
            marks["result"] = now
        page.wait_for_timeout(250)
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--same-priority", action="store_true", help="do not renice the browser")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with streamlit_server() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(url)
        page.get_by_role("button", name="Stylise").wait_for(timeout=60_000)
        if not args.same_priority:
            renice_browser()  # now that the page's renderer processes exist
        page.wait_for_timeout(2000)
        for run in range(1, args.runs + 1):
            marks = time_one_run(page)
            print(f"run {run}: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in marks.items()), flush=True)
            page.get_by_role("button", name="Stylise").wait_for(timeout=60_000)
            page.wait_for_timeout(2000)
        browser.close()


if __name__ == "__main__":
    main()
