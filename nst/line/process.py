"""A local worker process (``python -m nst.line.serve``) and the thread that reads its replies.

A run in its own process shares no GIL with the web server, a crash of TensorFlow takes down only
the worker, and a run that stops responding can be killed.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from .job import Job
from .limits import Limits
from .protocol import Request, Stop
from .worker import Hooks, Worker

ROOT = Path(__file__).resolve().parent.parent.parent


class ProcessWorker(Worker):
    """A worker process on this machine, started on first use and again after it ends."""

    def __init__(self, hooks: Hooks):
        super().__init__(hooks)
        self.process: subprocess.Popen | None = None
        self._send_lock = threading.Lock()

    def stop(self, job: Job) -> None:
        if self.job is job and self.process is not None:
            try:
                self._write(Stop(job.id))
            except OSError:
                pass  # it is gone already; the reader thread reports that

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()

    def close(self) -> None:
        if self.process is not None:
            try:
                self.process.stdin.close()
                self.process.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
            self.process = None

    def _send(self, request: Request) -> None:
        if self.process is None or self.process.poll() is not None:
            self._start()
        self._write(request)

    def _start(self) -> None:
        # a temporary folder of its own, removed when it ends: TensorFlow's autograph writes a source file
        # there per traced function and removes them at exit, which a killed worker never reaches
        scratch = tempfile.mkdtemp(prefix="nst-worker-")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nst.line.serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT,
            env={**os.environ, "TMPDIR": scratch},
        )
        threading.Thread(target=self._read, args=(self.process, scratch), name="nst-worker-reader", daemon=True).start()

    def _write(self, request: Request) -> None:
        with self._send_lock:
            pickle.dump(request, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()

    def _read(self, process: subprocess.Popen, scratch: str) -> None:
        try:
            while True:
                self._receive(pickle.load(process.stdout))
        except (EOFError, OSError, pickle.UnpicklingError):
            code = process.wait()
            shutil.rmtree(scratch, ignore_errors=True)
            if self.process is process:
                self.process = None
            self._ended(code)


class LocalExecutor:
    """Worker processes on this machine, one per run slot."""

    def capacity(self, limits: Limits) -> int:
        return limits.slots

    def worker(self, hooks: Hooks) -> Worker:
        return ProcessWorker(hooks)
