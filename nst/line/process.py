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
from .protocol import Done, Reply, Request, Stop
from .serve import SCRATCH_PREFIX
from .worker import Hooks, Worker

ROOT = Path(__file__).resolve().parent.parent.parent
GROWTH_MB = 80.0  # a worker whose memory grew by more than this since its first run is replaced after its run
EXIT_GRACE_SECONDS = 15.0  # a process let go (its stdin closed) that has not exited by then is killed
log = logging.getLogger(__name__)


class ProcessWorker(Worker):
    """A worker process on this machine, started on first use and again after it ends."""

    def __init__(self, hooks: Hooks):
        super().__init__(hooks)
        self.process: subprocess.Popen | None = None
        self._send_lock = threading.Lock()  # starting a process
        self._write_lock = threading.Lock()  # one request at a time on its pipe
        self._first_mb: float | None = None  # its process's memory after its first run

    def stop(self, job: Job) -> None:
        process = self.process
        if self.job is job and process is not None:
            try:
                self._write(process, Stop(job.id))
            except (OSError, ValueError):  # ValueError: its pipe was closed (a retired process)
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
            self._write(self.process, request)

    def _receive(self, reply: Reply) -> None:
        if isinstance(reply, Done) and self._grown(reply.memory_mb):
            self._retire()  # before the slot is free: the next run goes to a fresh process
        super()._receive(reply)

    def _grown(self, mb: float) -> bool:
        """Whether this worker has grown GROWTH_MB since its first run. Runs of one layout reuse their
        compiled steps (~1 MB a run), but each new image size is traced or compiled again and kept, and
        a library may keep more: a worker that serves a batch or a day of visitors must not grow without end."""
        if self._first_mb is None:
            self._first_mb = mb
        return mb - self._first_mb > GROWTH_MB

    def rest(self) -> None:
        with self._send_lock:  # a run handed over meanwhile is sent under this lock: it gets a new process
            if self.job is None:
                self._let_go()

    def _retire(self) -> None:
        """End this process when its run is done (its stdin closed, it exits); the next run starts another."""
        with self._send_lock:
            self._let_go()

    def _let_go(self) -> None:
        process, self.process, self._first_mb = self.process, None, None
        if process is not None:
            try:
                process.stdin.close()
            except OSError:
                pass
            threading.Thread(target=_end_within, args=(process, EXIT_GRACE_SECONDS), daemon=True).start()

    def _start(self) -> subprocess.Popen:
        # a temporary folder of its own, removed when it ends: TensorFlow's autograph writes a source file
        # there per traced function and removes them at exit, which a killed worker never reaches
        scratch = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")  # whose it is: see sweep_scratch
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


def _end_within(process: subprocess.Popen, seconds: float) -> None:
    """Kill a process let go that is still there after `seconds` (its stdin's end may be held elsewhere,
    or its exit stuck): a retired or rested worker must not keep its memory."""
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        log.warning("worker %s did not exit within %.0f s of being let go: killed", process.pid, seconds)
        process.kill()


class LocalExecutor:
    """Worker processes on this machine, one per run slot."""

    def __init__(self) -> None:
        sweep_scratch()

    def capacity(self, limits: Limits) -> int:
        return limits.slots

    def worker(self, hooks: Hooks) -> Worker:
        return ProcessWorker(hooks)


def sweep_scratch() -> None:
    """Remove this user's worker scratch folders whose server process is gone: a server killed with its
    workers (SIGKILL, a power cut) could not remove them itself."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        owner = folder.name[len(SCRATCH_PREFIX):].split("-", 1)[0]
        try:
            if owner.isdigit() and folder.stat().st_uid == os.getuid() and not _alive(int(owner)):
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
