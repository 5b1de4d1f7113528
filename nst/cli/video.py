"""python -m nst video CLIP PAINTING [PAINTING ...] -o OUT.mp4|OUT.gif [options]

Paints a short clip (MP4, WebM or GIF in; MP4 or GIF out, the frame rate kept, no audio) with
nst/video.py, a progress bar over the frames and the current frame's step. Ctrl-C stops after the
current step and writes the frames painted so far as a shorter clip. With --workers N (local worker
processes) or --ray ADDRESS (a Ray cluster), the clip is painted as overlapping chunks in parallel and
stitched with cross-faded seams (nst/chunks.py).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from ..chunks import CHUNK_FRAMES, OVERLAP_FRAMES, paint_in_chunks, spans
from ..clips import OUTPUTS, ClipLimits, read_clip, write_clip
from ..errors import NSTError
from ..images import load_image
from ..settings import Settings
from ..startup import import_engine
from .options import (
    EXIT_BAD_INPUT,
    EXIT_CANCELLED,
    EXIT_OK,
    add_common_options,
    check_output_path,
    check_workers,
    executor_from,
    settings_from,
)

VIDEO_SIZE = 256  # a clip's default size: 512 px frames would take minutes each on a laptop's CPU
MAX_SECONDS = 600.0  # --max-seconds: ten minutes, 36,000 frames at 60 fps


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m nst video", description=__doc__.splitlines()[0])
    p.add_argument("clip", help="the video: MP4, WebM or GIF")
    p.add_argument("style", nargs="+", help="the painting(s); several are blended")
    p.add_argument("-o", "--output", required=True, help="where to write the painted clip (.mp4 or .gif)")
    p.add_argument("--mode", choices=("temporal", "independent", "instant"), default="temporal",
                   help="temporal: each frame starts from the last one, warped by the motion, and keeps it "
                   "(no flicker); independent: frames on their own; instant: the feed-forward network's "
                   "picture of each frame, smoothed along the motion (seconds, not minutes) [temporal]")
    p.add_argument("--frame-steps", type=int, help="steps of each frame after the first [a third of --steps]")
    p.add_argument("--max-seconds", type=float, default=ClipLimits.seconds, help="the longest clip read [%(default)g]")
    p.add_argument("--workers", type=int, default=1,
                   help="paint overlapping chunks of the clip on this many local worker processes (each ~1-2 GB) [1]")
    p.add_argument("--ray", metavar="ADDRESS", help="paint overlapping chunks on this Ray cluster's actors")
    p.add_argument("--chunk-frames", type=int, default=CHUNK_FRAMES, help="frames per chunk [%(default)d]")
    p.add_argument("--overlap", type=int, default=OVERLAP_FRAMES,
                   help="frames two neighbouring chunks share, cross-faded [%(default)d]")
    return add_common_options(p)


def execute(args: argparse.Namespace) -> int:
    try:
        given = settings_from(args)
        settings = given if "size" in vars(args) else given.replace(size=VIDEO_SIZE)
        check_numbers(args, settings)
        output, source = Path(args.output).expanduser(), Path(args.clip).expanduser()
        paintings = [Path(p).expanduser() for p in args.style]
        for painting in paintings:  # each painting read as the run will read it, before the clip is decoded
            load_image(painting, round(settings.size * settings.style_scale), "painting", narrow_ok=True)
        if output.suffix.lower() not in OUTPUTS:
            raise NSTError(f"Cannot write the clip {output}: use {' or '.join(OUTPUTS)}.")
        check_output_path(output, "painted clip", OUTPUTS, [source, *paintings])
        limits = ClipLimits(seconds=args.max_seconds, frames=max(1, round(args.max_seconds * 60)))
        clip = read_clip(source, settings.size, limits)
    except NSTError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for note in clip.notes:
        print(f"warning: {note}", file=sys.stderr)
    stop = {"requested": False}
    signal.signal(signal.SIGINT, lambda *_: stop.update(requested=True))
    if args.ray or args.workers > 1:
        return _run_chunks(args, settings, clip, limits, output, stop)
    return _run(args, settings, clip, output, stop)


def check_numbers(args: argparse.Namespace, settings: Settings) -> None:
    """The clip options' numbers in their ranges (NSTError), before any file is read."""
    check_workers(args.workers)
    if not 0 <= args.overlap < args.chunk_frames:
        raise NSTError("--overlap must be at least 0 and below --chunk-frames.")
    if args.frame_steps is not None:
        if args.frame_steps < 1:
            raise NSTError(f"--frame-steps must be at least 1, not {args.frame_steps}.")
        try:
            settings.replace(steps=args.frame_steps)  # within the steps' own bounds
        except NSTError as exc:
            raise NSTError(f"--frame-steps: {exc}") from None
    if not 0 < args.max_seconds <= MAX_SECONDS:  # False for nan too
        raise NSTError(f"--max-seconds must be above 0 and at most {MAX_SECONDS:g}, not {args.max_seconds:g}.")


def _run_chunks(args, settings: Settings, clip, limits: ClipLimits, output: Path, stop: dict) -> int:
    """The clip as overlapping chunks over the workers or the Ray cluster's actors (nst/chunks.py)."""
    ranges = spans(len(clip.frames), args.chunk_frames, args.overlap)
    if not args.quiet:
        print(f"{len(clip.frames)} frames at {float(clip.fps):g} fps in {len(ranges)} chunks of up to "
              f"{args.chunk_frames} ({args.overlap} shared)", file=sys.stderr)
    tty = sys.stderr.isatty()

    def progress(statuses) -> None:
        if tty and not args.quiet:
            painted = sum(s.frame for s in statuses)
            print("\r\033[K" + " ".join(f"[{s.frame}/{e - b}]" for s, (b, e) in zip(statuses, ranges, strict=True))
                  + f" {painted} frames painted", end="", file=sys.stderr, flush=True)

    try:
        finished = paint_in_chunks(Path(args.clip).expanduser().read_bytes(), clip.frames, args.style if len(args.style) > 1
                                   else args.style[0], settings, args.mode, limits, args.workers,
                                   executor_from(args.ray), chunk=args.chunk_frames, overlap=args.overlap,
                                   should_stop=lambda: stop["requested"], on_progress=progress)
    except NSTError as exc:  # the cluster could not be reached
        print(f"\nerror: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if tty and not args.quiet:
        print(file=sys.stderr)
    return _write(finished, clip, output, args.quiet)


def _run(args, settings: Settings, clip, output: Path, stop: dict) -> int:
    import_engine()  # TensorFlow loads here, after every check
    from ..events import ClipFinished, FrameDone, Notice, Step
    from ..video import stylise_video

    if not args.quiet:
        print(f"{len(clip.frames)} frames at {float(clip.fps):g} fps, {clip.frames[0].shape[1]}x"
              f"{clip.frames[0].shape[0]} px ({clip.container}, {clip.codec})", file=sys.stderr)
    styles = args.style if len(args.style) > 1 else args.style[0]
    tty = sys.stderr.isatty()
    frame = 0
    for event in stylise_video(clip.frames, clip.fps, styles, settings, mode=args.mode, frame_steps=args.frame_steps,
                               should_stop=lambda: stop["requested"]):
        if isinstance(event, Notice):
            print(f"warning: {event.text}", file=sys.stderr)
        elif isinstance(event, Step) and tty and not args.quiet:
            bar = round(30 * frame / len(clip.frames))
            print(f"\r[{'#' * bar}{'.' * (30 - bar)}] frame {frame + 1}/{len(clip.frames)} step {event.step}/"
                  f"{event.steps}", end="", file=sys.stderr, flush=True)
        elif isinstance(event, FrameDone):
            frame = event.frame + 1
            if not args.quiet and not tty:
                print(f"frame {frame}/{event.frames} {event.elapsed:.1f}s", file=sys.stderr)
        elif isinstance(event, ClipFinished):
            if tty and not args.quiet:
                print(file=sys.stderr)
            return _write(event, clip, output, args.quiet)
    raise AssertionError("stylise_video always ends with ClipFinished")


def _write(finished, clip, output: Path, quiet: bool) -> int:
    """Write the painted frames (all, or those before a stop) as the clip at `output`."""
    if not finished.frames:
        print(f"error: no frame was painted; nothing written ({finished.message})", file=sys.stderr)
        return EXIT_CANCELLED if finished.reason == "cancelled" else EXIT_BAD_INPUT
    try:
        write_clip(finished.frames, clip.fps, output)
    except (NSTError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not quiet:
        flicker = "" if finished.warping_error is None else f"; warping error {finished.warping_error:.4f}"
        print(f"{finished.message} wrote {output} ({len(finished.frames)} frames{flicker})", file=sys.stderr)
    return EXIT_CANCELLED if finished.reason == "cancelled" else EXIT_OK
