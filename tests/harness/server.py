"""The studio served by `streamlit run` on a free 127.0.0.1 port: started, waited for, stopped.

Shared by the browser tests (tests/browser/) and the benchmarks that drive the page
(bench/bench_app.py, bench/screenshots.py). How to start Chromium is in tests/harness/browser.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .memory import tree_mb
from .paths import ROOT
from .ports import free_port


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process itself has used so far, in seconds (Linux)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory_mb(self) -> float:
        """Resident memory of the server and all its descendants (the run workers), in MB (Linux)."""
        return tree_mb(self.process.pid)


@contextmanager
def streamlit_server(timeout: float = 90, env: dict[str, str] | None = None) -> Iterator[Server]:
    """Start streamlit_app.py, wait until it answers its health check, yield it, then stop it.

    The server's log goes to a temporary file; if it does not start, the error carries the log's end."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"), "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1"],  # else as `make app`: .streamlit/config.toml
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "NST_SHUTDOWN_SECONDS": "1", **(env or {})},  # quick to stop after the tests
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        log.seek(0)
                        tail = log.read().decode(errors="replace")[-3000:]
                        raise RuntimeError(f"streamlit did not start; its log ends:\n{tail}") from None
                    time.sleep(0.5)
            yield Server(url, process)
        finally:
            stop(process)


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM, as a redeploy sends it; SIGKILL if the server has not gone within `timeout` seconds."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
