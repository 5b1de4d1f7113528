"""The first picture in the browser: seconds from the click on Stylise until the instant picture is
on screen (its caption shown and its image decoded), as a visitor sees it.

    python -m bench.bench_first_picture [--runs 5] [--size 128]

Starts the studio (`streamlit run streamlit_app.py`, as `make app`), opens it in headless Chromium
with a link for a short run from the instant picture on the offline network, and presses Stylise
--runs times, stopping each run once its first picture shows. Times are the browser's own clock,
from the click's event to the first frame with the picture; the script prints each and the median.
"""

from __future__ import annotations

import argparse
import statistics
from urllib.parse import urlencode

from tests.harness.browser import launch
from tests.harness.server import streamlit_server

# in the page: note the click on Stylise, then the first moment the instant picture's caption shows
# with its image decoded, checked on every change of the page and on every frame
WATCH = """() => {
  window.__clicked = null; window.__shown = null;
  document.addEventListener('click', (e) => {
    if (e.target.closest('button') && e.target.closest('button').textContent.includes('Stylise')) {
      window.__clicked = performance.now(); window.__shown = null;
    }
  }, true);
  const check = () => {
    if (window.__clicked === null || window.__shown !== null) return;
    for (const caption of document.querySelectorAll('[data-testid=stMain] *')) {
      if (caption.children.length === 0 && caption.textContent.startsWith('The instant picture')) {
        const figure = caption.closest('[data-testid=stImage], [data-testid=stFullScreenFrame]')
          || caption.parentElement.parentElement;
        const image = figure && figure.querySelector('img');
        if (image && image.complete && image.naturalWidth > 0) { window.__shown = performance.now(); return; }
      }
    }
  };
  new MutationObserver(check).observe(document.body, {childList: true, subtree: true, attributes: true});
  const frame = () => { check(); requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
}"""

STYLISE_ENABLED = """() => {
  const button = [...document.querySelectorAll('button')].find(b => b.textContent.includes('Stylise'));
  return button && !button.disabled;
}"""


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args()
    query = urlencode({"weights": "offline", "size": args.size, "steps": 10, "init": "instant-palette"})
    times = []
    with streamlit_server() as server, sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(f"{server.url}/?{query}")
        page.get_by_role("button", name="Stylise").wait_for()
        page.wait_for_timeout(3000)  # the page settled, the instant network warmed up in the server
        page.evaluate(WATCH)
        for run in range(args.runs):
            stylise = page.get_by_role("button", name="Stylise")
            page.wait_for_function(STYLISE_ENABLED, timeout=300_000)
            page.wait_for_timeout(1000)
            stylise.click()
            page.wait_for_function("() => window.__shown !== null", timeout=60_000)
            seconds = page.evaluate("() => (window.__shown - window.__clicked) / 1000")
            times.append(seconds)
            print(f"run {run + 1}: first picture {seconds:.2f} s after the click", flush=True)
            page.get_by_role("button", name="Stop").click()
        browser.close()
    print(f"median {statistics.median(times):.2f} s over {len(times)} runs (size {args.size} px)")


if __name__ == "__main__":
    main()
