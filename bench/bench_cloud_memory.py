"""The whole studio's memory as Community Cloud runs it: `streamlit run` (as `make app`) with its run
workers, driven in headless Chromium. Resident memory of the server and all its workers together,
sampled every 0.1 s: idle (the page open, the warm-up over), then the peak of each flow.

    python -m bench.bench_cloud_memory [--flows open idle run256 run512 video two512]

"open": a visitor has opened the page (its worker started and warmed for a run); "idle": nobody has
run anything for the workers' idle time (NST_WORKER_IDLE_SECONDS, 120 s), so they have let go.

Cloud's budget: 690 MB guaranteed, 2.7 GB at most (over it the app is restarted).
"""

from __future__ import annotations

import argparse
import re
import time
from urllib.parse import urlencode

from nst.line.limits import Limits
from tests.harness.browser import launch
from tests.harness.memory import Peak, descendants, tree_mb
from tests.harness.server import streamlit_server

WAIT = 600_000  # ms: a flow's longest wait


def _run(page, base: str, size: int, steps: int) -> None:
    page.goto(f"{base}/?{urlencode({'weights': 'offline', 'size': size, 'steps': steps})}")
    page.get_by_role("button", name="Stylise").click(timeout=WAIT)
    page.get_by_role("button", name="Stop").wait_for(timeout=WAIT)
    page.get_by_role("button", name="Stop").wait_for(state="detached", timeout=WAIT)


def _video(page, base: str, seconds: float) -> None:
    page.goto(f"{base}/video?{urlencode({'weights': 'offline'})}")
    page.get_by_role("button", name="Paint the clip").click(timeout=WAIT)
    page.get_by_role("button", name="Stop").wait_for(timeout=WAIT)
    page.wait_for_timeout(seconds * 1000)  # its memory is reached with the first frames; then stopped
    page.get_by_role("button", name="Stop").click()
    page.get_by_role("button", name="Stop").wait_for(state="detached", timeout=WAIT)


def _inside(page, base: str) -> None:
    """The Inside page's content series: the photo rebuilt from block1 to block5, one run after another."""
    page.goto(f"{base}/inside?{urlencode({'weights': 'offline'})}")
    page.get_by_role("tab", name="Reconstructions").click(timeout=WAIT)
    page.get_by_role("button", name="Rebuild the content, block1 to block5").click(timeout=WAIT)
    progress = page.get_by_text(re.compile(r"^Run \d+ of \d+:")).first
    progress.wait_for(timeout=WAIT)
    progress.wait_for(state="detached", timeout=WAIT)


def _quiet(server_pid: int, seconds: float) -> float:
    """The largest memory over `seconds` of nobody doing anything."""
    peak = Peak(server_pid)
    time.sleep(seconds)
    return peak.stop()


def _own_mb(pid: int) -> float:
    return tree_mb(pid) - sum(tree_mb(child) for child in descendants(pid) if _parent(child) == pid)


def _parent(pid: int) -> int:
    try:
        return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", nargs="+", default=["open", "idle", "run256", "run512", "video", "two512"])
    parser.add_argument("--settle", type=float, default=45.0, help="seconds after the page opens before it is read")
    parser.add_argument("--idle", type=float, default=Limits().idle_seconds + 15, help="seconds of nothing before idle")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with streamlit_server() as server, sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        page = context.new_page()
        page.goto(server.url)
        page.get_by_role("button", name="Stylise").wait_for(timeout=WAIT)
        results = {}
        for flow in args.flows:
            if flow in ("open", "idle"):
                time.sleep(args.settle if flow == "open" else args.idle)
                results[flow] = _quiet(server.process.pid, 10)
                workers = tree_mb(server.process.pid) - _own_mb(server.process.pid)
                print(f"{flow:8s} {results[flow]:6.0f} MB (server {_own_mb(server.process.pid):.0f}, "
                      f"{len(descendants(server.process.pid))} worker processes {workers:.0f})", flush=True)
                continue
            peak = Peak(server.process.pid)
            if flow == "run256":
                _run(page, server.url, 256, 50)
            elif flow == "run512":
                _run(page, server.url, 512, 30)
            elif flow == "inside":
                _inside(page, server.url)
            elif flow == "video":
                _video(page, server.url, 60)
            elif flow == "two512":  # a second visitor runs at the same time (one waits in line: NST_MAX_RUNS=1)
                other = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
                other.goto(f"{server.url}/?{urlencode({'weights': 'offline', 'size': 512, 'steps': 30})}")
                other.get_by_role("button", name="Stylise").click(timeout=WAIT)
                _run(page, server.url, 512, 30)
                other.get_by_role("button", name="Stop").wait_for(state="detached", timeout=WAIT)
            results[flow] = peak.stop()
            print(f"{flow:8s} peak {results[flow]:6.0f} MB (server + workers)", flush=True)
        for flow, mb in results.items():
            print(f"{flow:8s} {mb:6.0f} MB")
        print(f"after    {tree_mb(server.process.pid):6.0f} MB now")
        browser.close()


if __name__ == "__main__":
    main()
