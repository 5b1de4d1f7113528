"""A local worker process (``python -m nst.line.serve``) and the thread that reads its replies.

A run in its own process shares no GIL with the web server, a crash of TensorFlow takes down only
the worker, and a run that stops responding can be killed.
"""

from __future__ import annotations

import logging
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
from .serve import SCRATCH_PREFIX
from .worker import Hooks, Worker

ROOT = Path(__file__).resolve().parent.parent.parent
log = logging.getLogger(__name__)


class ProcessWorker(Worker):
    """A worker process on this machine, started on first use and again after it ends."""

    def __init__(self, hooks: Hooks):
        super().__init__(hooks)
        self.process: subprocess.Popen | None = None
        self._send_lock = threading.Lock()  # starting a process
        self._write_lock = threading.Lock()  # one request at a time on its pipe

    def stop(self, job: Job) -> None:
        process = self.process
        if self.job is job and process is not None:
            try:
                self._write(process, Stop(job.id))
            except OSError:
                pass  # it is gone already; the reader thread reports that

    def kill(self) -> None:
        if (process := self.process) is not None:
            process.kill()

    def close(self) -> None:
        if (process := self.process) is not None:
            try:
                process.stdin.close()
                process.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                process.kill()
            self.process = None

    def _send(self, request: Request) -> None:
        with self._send_lock:  # one process per slot, however many threads send at once
            if self.process is None or self.process.poll() is not None:
                self.process = self._start()
            process = self.process
        self._write(process, request)

    def _start(self) -> subprocess.Popen:
        # a temporary folder of its own, removed when it ends: TensorFlow's autograph writes a source file
        # there per traced function and removes them at exit, which a killed worker never reaches
        scratch = tempfile.mkdtemp(prefix=SCRATCH_PREFIX)
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "nst.line.serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT,
                env={**os.environ, "TMPDIR": scratch},
            )
        except OSError:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        threading.Thread(target=self._read, args=(process, scratch), name="nst-worker-reader", daemon=True).start()
        return process

    def _write(self, process: subprocess.Popen, request: Request) -> None:
        with self._write_lock:
            pickle.dump(request, process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            process.stdin.flush()

    def _read(self, process: subprocess.Popen, scratch: str) -> None:
        try:
            while True:
                self._receive(pickle.load(process.stdout))
        except (EOFError, OSError, pickle.UnpicklingError):
            pass
        except Exception:  # a reply the line could not take: end this process, as if it had crashed
            log.exception("worker reply failed")
            process.kill()
        code = process.wait()
        shutil.rmtree(scratch, ignore_errors=True)
        with self._send_lock:
            current = self.process is process
            if current:
                self.process = None
        if current:  # a process replaced already has no run to end
            self._ended(code)


class LocalExecutor:
    """Worker processes on this machine, one per run slot."""

    def capacity(self, limits: Limits) -> int:
        return limits.slots

    def worker(self, hooks: Hooks) -> Worker:
        return ProcessWorker(hooks)
