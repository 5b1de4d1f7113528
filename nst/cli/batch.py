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
import hashlib
import json
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from glob import escape as glob_escape
from pathlib import Path
from typing import Any

from ..errors import NSTError
from ..images import check_image, save_image
from ..line.job import Job
from ..line.limits import Limits
from ..line.queue import RunQueue
from ..line.worker import Executor
from ..settings import Settings
from .options import EXIT_BAD_INPUT, EXIT_CANCELLED, EXIT_OK, add_common_options, check_workers, executor_from, settings_from

SUMMARY = "batch-summary.json"
RETRIES = 1  # an item whose worker died runs once more
LABEL_BYTES = 100  # the most of an output name a photo's or a painting's name takes (file names: 255 bytes)


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
        check_workers(args.workers)
        out = Path(args.output).expanduser()
        out.mkdir(parents=True, exist_ok=True)
        tempfile.NamedTemporaryFile(dir=out).close()  # writable, really
        if (out / SUMMARY).is_dir() or (out / SUMMARY).is_symlink():
            raise NSTError(f"{out / SUMMARY} is in the way: the batch writes its summary there. Move it.")
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
    """The batch's items, photo by photo, each with an output name of its own; those already made are
    skipped. A folder's entries that are not sub-folders are its photos (a pipe or a broken link fails
    its items with a sentence); in the output folder, the batch's own outputs and summary are not."""
    styles = _unique([Path(p).expanduser() for p in paintings])
    groups = [(styles, "blend")] if blend and len(styles) > 1 else [([style], label) for style, label
                                                                    in zip(styles, _labels(styles), strict=True)]
    made_here = tuple(f"__{label}.png" for _, label in groups)
    files: list[Path] = []
    for name in photos:
        path = Path(name).expanduser()
        if path.is_dir():
            ours = _same(path, out)
            files += sorted(p for p in path.iterdir() if not p.name.startswith(".") and not _is_folder(p)
                            and not (ours and (p.name == SUMMARY or p.name.endswith(made_here))))
        else:
            files.append(path)
    files = _unique(files)
    if not files:
        raise NSTError("No photos: the folders given are empty.")
    items = []
    for photo, photo_label in zip(files, _labels(files), strict=True):
        for group, label in groups:
            item = Item(photo, group, out / f"{photo_label}__{label}.png")
            for stale in out.glob(f".{glob_escape(item.output.stem)}-*.png"):  # a killed batch's half-written file
                stale.unlink(missing_ok=True)
            if _made(item.output):
                item.status, item.reason = "skipped", "already made"
            items.append(item)
    assert len({item.output for item in items}) == len(items), "two items would write one file"
    return items


def _labels(paths: list[Path]) -> list[str]:
    """Each path's part of an output name: its stem; with its suffix where two stems are the same (a.png,
    a.jpg); with a digest of its full path where those are still the same (two folders); shortened
    with a digest where too long for a file name."""
    stems = Counter(p.stem for p in paths)
    labels = [p.stem if stems[p.stem] == 1 else f"{p.stem}_{p.suffix.lstrip('.')}" for p in paths]
    counts = Counter(labels)
    labels = [label if counts[label] == 1 else f"{label}-{_digest(p)}" for p, label in zip(paths, labels, strict=True)]
    return [label if len(label.encode()) <= LABEL_BYTES
            else label.encode()[:LABEL_BYTES - 9].decode(errors="ignore") + f"-{_digest(p)}"
            for p, label in zip(paths, labels, strict=True)]


def _digest(path: Path) -> str:
    return hashlib.sha1(os.fsencode(os.path.abspath(path))).hexdigest()[:8]


def _unique(paths: list[Path]) -> list[Path]:
    """`paths` without repeats (a photo given by itself and in its folder), in order."""
    seen: set[str] = set()
    return [p for p in paths if not (os.path.abspath(p) in seen or seen.add(os.path.abspath(p)))]


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a link loop, a name too long: an item that fails with a sentence
        return False


def _made(output: Path) -> bool:
    """A whole image of this batch's at `output`: a regular file (not a link) that reads as an image."""
    try:
        if output.is_symlink() or not output.is_file():
            return False
        check_image(output, "output")
        return True
    except (NSTError, OSError):
        return False


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
    item.job = None  # its images are let go once written: the batch's memory does not grow with its items
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
