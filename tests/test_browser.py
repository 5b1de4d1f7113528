"""End to end in a real browser: streamlit run + headless Chromium driven by Playwright.

Needs Debian's chromium (.ci/run installs it). Without it the test is skipped, except in CI
(CI=true), where a missing browser is a failure. Screenshots go to test-artifacts/.
"""

import io
import os
from pathlib import Path

import pytest
from PIL import Image
from streamlit_server import CHROMIUM, CHROMIUM_ARGS, ROOT, streamlit_server

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def server():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run should have installed it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with streamlit_server() as url:
        yield url


def _settle(page) -> None:
    """Wait until the app has finished re-running after the last interaction."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=60_000)


def test_upload_stylise_download_in_chromium(server, tmp_path):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    content, style = ROOT / "assets/content/coffee.jpg", ROOT / "assets/styles/mosaic.jpg"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
        page.goto(server)
        page.get_by_role("button", name="Stylise").wait_for(timeout=60_000)

        # a short run on the offline network, set through the sidebar
        page.get_by_text("Advanced").click()
        page.get_by_text("Offline VGG16").click()
        _settle(page)
        for label in ("Iterations", "Size (longer side, px)"):
            page.get_by_role("slider", name=label).press("Home")  # the minimum: 10 iterations, 128 px
            _settle(page)

        # upload both images through the file inputs
        for index, path in enumerate((content, style)):
            page.get_by_role("radio", name="Upload").nth(index).click()
            _settle(page)
            page.locator("input[type=file]").nth(index).set_input_files(str(path))
            page.get_by_text(path.name).wait_for(timeout=30_000)
            _settle(page)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / "browser-1-inputs.png"))

        page.get_by_role("button", name="Stylise").click()
        page.mouse.move(5, 5)  # no tooltip over the screenshots
        page.get_by_role("button", name="Stop").wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "browser-2-running.png"))

        download_button = page.get_by_role("button", name="Download result (PNG)")
        download_button.wait_for(timeout=300_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / "browser-3-result.png"))
        with page.expect_download() as download:
            download_button.click()
        saved = tmp_path / "result.png"
        download.value.save_as(saved)
        browser.close()

    image = Image.open(io.BytesIO(saved.read_bytes()))
    assert image.format == "PNG" and max(image.size) == 128
