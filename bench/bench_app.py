"""The studio's default run, timed in a real browser, against the same run on the bare engine.

    python -m bench.bench_app [--runs 3]

Starts `streamlit run streamlit_app.py`, opens it in headless Chromium (Playwright, Debian's chromium),
keeps every default (cat x swirls, 256 px, the fast mode; the ImageNet weights fall back to the
offline VGG16 where they cannot be downloaded) and presses Stylise --runs times. For each run it
prints the seconds from the click until the page shows the first picture (the start image: the
instant picture by default), until it shows step 1, until it shows a step at or past the
first preview (the default refreshes the image every 5 steps), and until the run is over (its Stop
button gone) and the result's download button shows. The first run includes building the network. The page polls
the run once a second,
so each time is up to about a second late.

Interleaved with each studio run, a bare-engine process (warm: its network built by a first, untimed
run) runs the same settings through `stylise` and reports its time. The script prints the median of
each and their ratio: the price of the page, the queue and the worker process.

It also reads the CPU seconds each run cost, from /proc: the server and its worker process against
the bare process, and the browser's. In real use the browser runs on the visitor's machine, so the
server-side CPU ratio is what a host pays; the wall-clock ratio here also pays for a browser that
shares the same cores. With --browser-core the browser (and this script's driving of it) runs on the
last core only and the server, its worker and the bare engine on the others, as in real use where
the browser is on the visitor's machine: both sides of the ratio then get the same cores.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tests.harness.browser import launch
from tests.harness.memory import descendants
from tests.harness.server import streamlit_server

ROOT = Path(__file__).resolve().parent.parent

STEP = re.compile(r"Step (\d+) of (\d+)")
FIRST_PICTURE = "the optimisation refines it next."  # the caption under the start image before step 1
ENGINE_TIME = re.compile(r"Finished \d+ steps\. (\d+) s on ")  # the result's summary: the engine's own time


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: set[int]) -> float:
    """User plus system CPU seconds of these processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / TICKS


def browser_pids() -> set[int]:
    pids = set()
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if "chrom" in comm.read_text():
                pids.add(int(comm.parent.name))
        except (OSError, ValueError):
            continue
    return pids


def renice_browser(idle_class: bool = False) -> None:
    """Give every Chromium process (and thread) the lowest priority, nice 19, or with `idle_class`
    Linux's SCHED_IDLE class: it then runs only on otherwise idle cores, as a browser on another
    machine would."""
    for stat in Path("/proc").glob("[0-9]*/task/[0-9]*/comm"):
        try:
            if "chrom" in stat.read_text():
                tid = int(stat.parent.name)
                os.setpriority(os.PRIO_PROCESS, tid, 19)
                if idle_class:
                    os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
        except OSError:
            pass  # the thread ended meanwhile


def pin(pids: set[int], cores: set[int]) -> None:
    """Move every thread of these processes onto these cores."""
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").glob("[0-9]*"):
            try:
                os.sched_setaffinity(int(task.name), cores)
            except OSError:
                pass  # the thread ended meanwhile


def time_one_run(page, preview_every: int = 5) -> dict[str, float]:
    """Press Stylise and poll the page every 250 ms until the result appears."""
    clicked = time.perf_counter()
    page.get_by_role("button", name="Stylise").click()
    marks: dict[str, float] = {}
    download = page.get_by_role("button", name="Download result (PNG)")
    stop = page.get_by_role("button", name="Stop")
    while "result" not in marks:
        now = time.perf_counter() - clicked
        if now > 1200:
            raise SystemExit("the run did not finish in 20 minutes")
        if "first preview" not in marks:  # reading the page's text costs the browser a layout: only early on
            text = page.locator("body").inner_text()
            match = STEP.search(text)
            if "first picture" not in marks and (FIRST_PICTURE in text or match):
                marks["first picture"] = now  # the start image (the instant picture by default) on screen
            if match and "first step" not in marks:
                marks["first step"] = now
            if match and int(match.group(1)) >= preview_every:
                marks["first preview"] = now
        elif stop.count() == 0 and download.count() > 0:
            marks["result"] = now
            engine = ENGINE_TIME.search(page.locator("body").inner_text())
            if engine:
                marks["of which the worker's engine"] = float(engine.group(1))
        page.wait_for_timeout(50 if "first picture" not in marks else 250 if "first preview" not in marks else 1000)
    return marks


BARE = """
import sys, time
from nst import Settings, load_backbone, stylise
settings = Settings(size=256, outputs=4, preview_every=5)  # the studio's defaults (studio/controls.py)
backbone = load_backbone(settings.weights)
list(stylise("assets/content/cat.jpg", "assets/styles/swirls.jpg", settings.replace(steps=2), backbone=backbone))
print("ready", flush=True)
for _ in sys.stdin:
    started = time.perf_counter()
    for event in stylise("assets/content/cat.jpg", "assets/styles/swirls.jpg", settings, backbone=backbone):
        pass
    print(f"{time.perf_counter() - started:.2f}", flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--same-priority", action="store_true", help="do not renice the browser")
    parser.add_argument("--idle-browser", action="store_true", help="run the browser in Linux's SCHED_IDLE class")
    parser.add_argument("--browser-core", action="store_true",
                        help="the browser on the last core, the server and the bare engine on the others")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    cores = sorted(os.sched_getaffinity(0))
    engine_cores = set(cores[:-1]) if args.browser_core else set(cores)
    os.sched_setaffinity(0, engine_cores)  # inherited by the server, its worker and the bare engine
    with streamlit_server() as server, sync_playwright() as p:
        browser = launch(p)
        if args.browser_core:
            print(f"server, worker and bare engine on cores {sorted(engine_cores)}; browser on core {cores[-1]}")
            driver = descendants(os.getpid()) - {server.process.pid} - descendants(server.process.pid)
            pin(browser_pids() | {os.getpid()} | driver, {cores[-1]})
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(server.url)
        page.get_by_role("button", name="Stylise").wait_for(timeout=60_000)
        if not args.same_priority:
            renice_browser(args.idle_browser)  # now that the page's renderer processes exist
        if args.browser_core:
            pin(browser_pids(), {cores[-1]})  # again, with the page's renderers
        page.wait_for_timeout(2000)
        bare = subprocess.Popen([sys.executable, "-c", BARE], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True, preexec_fn=lambda: os.sched_setaffinity(0, engine_cores))
        assert bare.stdout.readline().strip() == "ready"
        studio_times, bare_times, studio_cpu, bare_cpu = [], [], [], []
        for run in range(1, args.runs + 1):
            server_side = {server.process.pid} | descendants(server.process.pid)
            before = cpu_seconds(server_side), cpu_seconds(browser_pids())
            marks = time_one_run(page)
            server_cpu, browser_cpu = cpu_seconds(server_side) - before[0], cpu_seconds(browser_pids()) - before[1]
            studio_times.append(marks["result"])
            studio_cpu.append(server_cpu)
            print(f"studio run {run}: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in marks.items())
                  + f"; CPU: server and worker {server_cpu:.1f} s, browser {browser_cpu:.1f} s", flush=True)
            page.get_by_role("button", name="Stylise").wait_for(timeout=60_000)
            page.wait_for_timeout(2000)
            before_bare = cpu_seconds({bare.pid})
            bare.stdin.write("go\n")
            bare.stdin.flush()
            bare_times.append(float(bare.stdout.readline()))
            bare_cpu.append(cpu_seconds({bare.pid}) - before_bare)
            print(f"bare engine run {run}: {bare_times[-1]:.1f} s; CPU {bare_cpu[-1]:.1f} s", flush=True)
        bare.stdin.close()
        bare.wait()
        browser.close()
    studio, engine = statistics.median(studio_times), statistics.median(bare_times)
    print(f"median: studio {studio:.1f} s, bare engine {engine:.1f} s, ratio {studio / engine:.2f}")
    studio_cpu_median, bare_cpu_median = statistics.median(studio_cpu), statistics.median(bare_cpu)
    print(f"median CPU: server and worker {studio_cpu_median:.1f} s, bare engine {bare_cpu_median:.1f} s, "
          f"ratio {studio_cpu_median / bare_cpu_median:.2f}")


if __name__ == "__main__":
    main()
