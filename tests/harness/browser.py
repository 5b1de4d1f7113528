"""Debian's Chromium (/usr/bin/chromium) started by Playwright: the tests and the benchmarks that
drive the studio in a real browser use this one executable and these flags."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--no-first-run",
    # quieter: nothing in the background competes with the page (and no network is needed)
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_installed() -> bool:
    return Path(CHROMIUM).exists()


def launch(playwright: Any, *args: str, **options: Any) -> Any:
    """Playwright's chromium on Debian's executable (Playwright's own browser download is not used);
    `args` are added to CHROMIUM_ARGS, `options` go to `chromium.launch`."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *args], **options)
