"""Batches: a folder of photos in the style of one painting or several, from one command.

    python -m nst batch PHOTO_OR_FOLDER... --style PAINTING... -o OUT_FOLDER [--blend] [run settings]

Every photo (files, or the files of a folder) is painted in every painting's style, or in their blend
with --blend: OUT_FOLDER/<photo>__<painting>.png. Items run in the run line of nst/line/, on local
worker processes (--workers, default 1) or on the Ray cluster at --ray / $NST_RAY_ADDRESS (one item
per actor at a time), with a progress bar over the items and the current item's step. Each output is
written to a temporary file and renamed, so a killed batch leaves no half-written image, and a batch
run again skips what it already made. An item whose worker dies is run once more; a photo or a
painting that cannot be read fails its items with a sentence and the others go on. The summary, what
was made, skipped and failed and why, goes to OUT_FOLDER/batch-summary.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import NSTError
from ..images import check_image, save_image
from ..line.job import Job
from ..line.limits import Limits
from ..line.queue import RunQueue
from ..line.worker import Executor
from ..settings import Settings
from .options import EXIT_BAD_INPUT, EXIT_CANCELLED, EXIT_OK, add_common_options, executor_from, settings_from

SUMMARY = "batch-summary.json"
RETRIES = 1  # an item whose worker died runs once more


@dataclass
class Item:
    photo: Path
    paintings: list[Path]
    output: Path
    status: str = "waiting"  # waiting, skipped, done, failed, stopped
    reason: str = ""
    seconds: float = 0.0
    tries: int = 0
    job: Job | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.output.stem

    def summary(self) -> dict[str, Any]:
        return {"photo": str(self.photo), "paintings": [str(p) for p in self.paintings], "output": str(self.output),
                "status": self.status, "reason": self.reason, "seconds": round(self.seconds, 1)}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m nst batch", description=__doc__.splitlines()[0])
    p.add_argument("photos", nargs="+", help="photos, or folders of photos (their files, not sub-folders)")
    p.add_argument("--style", nargs="+", required=True, metavar="PAINTING", help="the painting(s)")
    p.add_argument("--blend", action="store_true", help="one item per photo in the blend of all the paintings")
    p.add_argument("-o", "--output", required=True, help="the folder to write into (made if missing)")
    p.add_argument("--workers", type=int, default=1, help="local worker processes (each ~1-2 GB) [1]")
    p.add_argument("--ray", metavar="ADDRESS", help="run on this Ray cluster (default $NST_RAY_ADDRESS)")
    return add_common_options(p)


def execute(args: argparse.Namespace) -> int:
    try:
        settings = settings_from(args)
        out = Path(args.output).expanduser()
        out.mkdir(parents=True, exist_ok=True)
        tempfile.NamedTemporaryFile(dir=out).close()  # writable, really
        items = plan(args.photos, args.style, args.blend, out)
    except OSError as exc:
        print(f"error: cannot write into {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except NSTError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    stop = {"requested": False}
    signal.signal(signal.SIGINT, lambda *_: stop.update(requested=True))
    try:
        run(items, settings, args.workers, executor_from(args.ray), stop, quiet=args.quiet)
    except NSTError as exc:  # the cluster could not be reached
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    write_summary(out, items, settings)
    counts = {status: sum(item.status == status for item in items) for status in ("done", "skipped", "failed", "stopped")}
    if not args.quiet:
        print(", ".join(f"{n} {status}" for status, n in counts.items() if n) + f"; summary in {out / SUMMARY}",
              file=sys.stderr)
    return EXIT_CANCELLED if stop["requested"] else EXIT_OK if not counts["failed"] else 1


def plan(photos: list[str], paintings: list[str], blend: bool, out: Path) -> list[Item]:
    """The batch's items, photo by photo; those whose output exists are already skipped."""
    files: list[Path] = []
    for name in photos:
        path = Path(name).expanduser()
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        else:
            files.append(path)
    if not files:
        raise NSTError("No photos: the folders given are empty.")
    styles = [Path(p).expanduser() for p in paintings]
    groups = [styles] if blend else [[style] for style in styles]
    items = []
    for photo in files:
        for group in groups:
            label = "blend" if blend and len(group) > 1 else group[0].stem
            item = Item(photo, group, out / f"{photo.stem}__{label}.png")
            for stale in out.glob(f".{item.output.stem}-*.png"):  # a killed batch's half-written temporary file
                stale.unlink(missing_ok=True)
            if item.output.exists():
                item.status, item.reason = "skipped", "already made"
            items.append(item)
    return items


def run(items: list[Item], settings: Settings, workers: int, executor: Executor, stop: dict[str, bool],
        quiet: bool = False) -> None:
    """Run the waiting items in one run line on `executor`'s workers (`workers` local processes, or as
    many Ray actors as the cluster holds) and write each result as it arrives."""
    queue = RunQueue(Limits(slots=workers, max_waiting=len(items) + 1, max_run_seconds=7 * 24 * 3600.0), executor)
    progress = _Progress(items, quiet)
    try:
        for item in items:
            if item.status == "waiting":
                _submit(item, settings, queue)
        while not all(item.status != "waiting" for item in items):
            if stop["requested"]:
                for item in items:
                    if item.job is not None and item.status == "waiting":
                        item.job.stop()
                        item.status, item.reason = "stopped", "stopped by Ctrl-C"
                break
            for item in items:
                if item.status == "waiting" and item.job is not None:
                    _poll(item, settings, queue)
            progress.show()
            time.sleep(0.2)
    finally:
        queue.close()
        progress.done()


def _submit(item: Item, settings: Settings, queue: RunQueue) -> None:
    """Read the item's files (bytes travel to any worker, on any node) and put it in line."""
    try:
        check_image(item.photo, "photo")
        for painting in item.paintings:
            check_image(painting, "painting")
        photo = item.photo.read_bytes()
        paintings = [p.read_bytes() for p in item.paintings]
    except NSTError as exc:
        item.status, item.reason = "failed", str(exc)
        return
    except OSError as exc:
        item.status, item.reason = "failed", f"cannot read it: {exc.strerror or exc}"
        return
    item.tries += 1
    item.job = Job(photo, paintings[0] if len(paintings) == 1 else paintings, settings).start(queue)


def _poll(item: Item, settings: Settings, queue: RunQueue) -> None:
    status = item.job.status()
    if not status.done:
        return
    item.seconds += status.elapsed
    result = status.result
    if result is not None and result.reason in ("completed", "diverged"):
        write_image(result.image, item.output)
        item.status = "done"
        item.reason = "" if result.reason == "completed" else result.message
    elif (result is not None and result.reason == "failed" or status.error and "ended unexpectedly" in status.error) \
            and item.tries <= RETRIES:
        _submit(item, settings, queue)  # its worker died: once more, on a fresh one
    else:
        item.status, item.reason = "failed", status.error or (result.message if result else "cancelled")


def write_image(image, path: Path) -> None:
    """Write `image` to `path` atomically: a temporary file beside it, then a rename."""
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix, delete=False) as tmp:
        temporary = Path(tmp.name)
    try:
        save_image(image, temporary)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # as an ordinary file, not the temporary file's owner-only mode
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_summary(out: Path, items: list[Item], settings: Settings) -> None:
    summary = {"settings": settings.to_dict(), "items": [item.summary() for item in items],
               **{status: sum(i.status == status for i in items) for status in ("done", "skipped", "failed", "stopped")}}
    temporary = out / f".{SUMMARY}.part"
    temporary.write_text(json.dumps(summary, indent=1) + "\n")
    os.replace(temporary, out / SUMMARY)


class _Progress:
    """One line: a bar over the items, and the running items' steps (plain lines when not a terminal)."""

    def __init__(self, items: list[Item], quiet: bool):
        self.items, self.quiet, self.tty = items, quiet, sys.stderr.isatty()
        self.reported: set[int] = set()

    def show(self) -> None:
        if self.quiet:
            return
        for index, item in enumerate(self.items):
            if item.status != "waiting" and index not in self.reported:
                self.reported.add(index)
                line = f"{item.status:<8} {item.name}" + (f": {item.reason}" if item.reason else "")
                print(("\r\033[K" if self.tty else "") + line, file=sys.stderr)
        if self.tty:
            finished = sum(item.status != "waiting" for item in self.items)
            filled = round(30 * finished / len(self.items))
            running = [f"{item.name} {s.step}/{s.steps}" for item in self.items
                       if item.status == "waiting" and item.job is not None and (s := item.job.status()).step]
            print(f"\r\033[K[{'#' * filled}{'.' * (30 - filled)}] {finished}/{len(self.items)} " + " ".join(running)[:80],
                  end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        self.show()
        if self.tty and not self.quiet:
            print(file=sys.stderr)
