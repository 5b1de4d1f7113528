"""The README's screenshots of both pages, taken in headless Chromium from a real `streamlit run`.

    python -m bench.screenshots [--out bench/screenshots]

Runs the studio's samples on the offline VGG16 (so it works without internet): a studio run at
256 px, then on "Inside the network" the feature maps, the Gram matrices and the content
reconstructions. Writes studio.png, inside-layers.png, inside-gram.png and inside-reconstructions.png.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tests.harness.browser import launch
from tests.harness.server import streamlit_server

ROOT = Path(__file__).resolve().parent.parent


def settle(page) -> None:
    page.wait_for_timeout(400)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=120_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "screenshots")
    parser.add_argument("--steps", type=int, default=60, help="iterations of the studio's run")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with streamlit_server() as server, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{server.url}/?weights=offline&steps={args.steps}&style=starry_night&content=cat")
        page.get_by_role("button", name="Stylise").wait_for(timeout=60_000)
        settle(page)
        page.get_by_role("button", name="Stylise").click()
        page.mouse.move(5, 5)
        page.get_by_role("button", name="Download result (PNG)").wait_for(timeout=600_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(args.out / "studio.png"))

        page.get_by_role("link", name="Inside the network").click()
        page.get_by_text("sees the pixels").wait_for(timeout=300_000)
        settle(page)
        for _ in range(6):  # block3_conv3: each key press reruns the page, so one at a time
            page.get_by_role("slider", name="Layer").press("ArrowRight")
            settle(page)
        page.get_by_text("block3_conv3: the 8 strongest").wait_for(timeout=60_000)
        settle(page)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(args.out / "inside-layers.png"))

        page.get_by_role("tab", name="Style is statistics").click()
        settle(page)
        page.get_by_text("the latest result").last.click()
        settle(page)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(args.out / "inside-gram.png"))

        page.get_by_role("tab", name="Reconstructions").click()
        settle(page)
        page.get_by_role("button", name="Rebuild the content, block1 to block5").click()
        page.mouse.move(5, 5)
        page.get_by_text("content of block5_conv2").first.wait_for(timeout=600_000)
        page.get_by_role("button", name="Rebuild the style, block1 up to block5").wait_for(timeout=600_000)
        page.locator('[data-testid="stProgress"]').wait_for(state="hidden", timeout=600_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(args.out / "inside-reconstructions.png"))
        browser.close()
    for name in ("studio", "inside-layers", "inside-gram", "inside-reconstructions"):
        print(args.out / f"{name}.png")


if __name__ == "__main__":
    main()
