"""The README's screenshots of the pages, taken in headless Chromium from a real `streamlit run`.

    python -m bench.screenshots [--out bench/screenshots] [--only studio inside regions camera]

Runs the studio's samples on the offline VGG16 (so it works without internet): a studio run at
256 px, then on "Inside the network" the feature maps, the Gram matrices and the content
reconstructions; regions painted by hand over the person; the live camera with Chromium's fake
webcam (a test pattern). Writes studio.png, inside-layers.png, inside-gram.png,
inside-reconstructions.png, regions-painted.png and live-camera.png.
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
    parser.add_argument("--only", nargs="+", choices=("studio", "inside", "regions", "camera"),
                        default=["studio", "inside", "regions", "camera"])
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with streamlit_server() as server, sync_playwright() as p:
        browser = launch(p, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream")
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        if "regions" in args.only:
            painted_regions(page, server.url, args.out)
        if "camera" in args.only:
            live_camera(page, server.url, args.out)
        if "studio" in args.only or "inside" in args.only:
            studio_and_inside(page, server.url, args)
        browser.close()


def painted_regions(page, url: str, out: Path) -> None:
    """The Paint mode over the person, with a stroke of region 3 down the flag behind her."""
    page.set_viewport_size({"width": 1400, "height": 1500})  # the canvas in view without scrolling
    page.goto(f"{url}/?content=astronaut")
    page.get_by_role("button", name="Stylise").wait_for(timeout=60_000)
    settle(page)
    page.get_by_text("Regions and subject").click()
    page.get_by_role("radio", name="Paint", exact=True).click()
    page.get_by_text("Brush size").wait_for()
    settle(page)
    page.get_by_role("radio", name="Person", exact=True).last.click()
    settle(page)
    page.get_by_role("radio", name="3", exact=True).click()
    settle(page)
    page.wait_for_timeout(2000)  # the canvas, new for the new start, draws its background
    box = page.locator("[data-testid=stMain] canvas").last.bounding_box()
    # down the flag left of her (a stroke starting under the canvas's toolbar, top right, draws nothing)
    page.mouse.move(box["x"] + 0.08 * box["width"], box["y"] + 0.2 * box["height"])
    page.mouse.down()
    for step in range(12):
        page.mouse.move(box["x"] + (0.08 + 0.008 * step) * box["width"], box["y"] + (0.2 + 0.05 * step) * box["height"])
    page.mouse.up()
    page.get_by_text("Region 3 (teal)").wait_for()
    settle(page)
    page.mouse.move(5, 5)
    page.get_by_test_id("stExpander").filter(has_text="Regions and subject").screenshot(path=str(out / "regions-painted.png"))
    page.set_viewport_size({"width": 1400, "height": 900})
    print(out / "regions-painted.png")


def live_camera(page, url: str, out: Path) -> None:
    """The live camera page painting Chromium's fake webcam in The Starry Night."""
    page.goto(f"{url}/camera")
    page.get_by_text("Painted size (px)").wait_for(timeout=120_000)
    settle(page)
    page.frame_locator("iframe").first.get_by_role("button", name="START").click(timeout=60_000)
    page.wait_for_timeout(8000)
    page.mouse.move(5, 5)
    page.screenshot(path=str(out / "live-camera.png"))
    print(out / "live-camera.png")


def studio_and_inside(page, url: str, args: argparse.Namespace) -> None:
    """The studio's run and the three views of Inside the network."""
    if "studio" in args.only or "inside" in args.only:  # the Gram view compares with the studio's result
        page.goto(f"{url}/?weights=offline&steps={args.steps}&style=starry_night&content=cat")
        page.get_by_role("button", name="Stylise").wait_for(timeout=60_000)
        settle(page)
        page.get_by_role("button", name="Stylise").click()
        page.mouse.move(5, 5)
        page.get_by_role("button", name="Download result (PNG)").wait_for(timeout=600_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(args.out / "studio.png"))
        print(args.out / "studio.png")
    if "inside" in args.only:
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
        for name in ("inside-layers", "inside-gram", "inside-reconstructions"):
            print(args.out / f"{name}.png")


if __name__ == "__main__":
    main()
