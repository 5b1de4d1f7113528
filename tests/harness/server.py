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
        return sum(_rss_kb(pid) for pid in _descendants(self.process.pid) | {self.process.pid}) / 1024


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


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
