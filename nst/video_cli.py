"""python -m nst video CLIP PAINTING [PAINTING ...] -o OUT.mp4|OUT.gif [options]

Paints a short clip (MP4, WebM or GIF in; MP4 or GIF out, the frame rate kept, no audio) with
nst/video.py, a progress bar over the frames and the current frame's step. Ctrl-C stops after the
current step and writes the frames painted so far as a shorter clip.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from .clips import OUTPUTS, ClipLimits
from .errors import NSTError
from .settings import Settings

VIDEO_SIZE = 256  # a clip's default size: 512 px frames would take minutes each on a laptop's CPU


def build_parser() -> argparse.ArgumentParser:
    from .cli import add_common_options

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
    return add_common_options(p)


def main(argv: list[str]) -> int:
    from .cli import EXIT_BAD_INPUT, EXIT_CANCELLED, EXIT_OK, check_output_path, settings_from

    args = build_parser().parse_args(argv)
    try:
        given = settings_from(args)
        settings = given if "size" in vars(args) else given.replace(size=VIDEO_SIZE)
        output = Path(args.output).expanduser()
        if output.suffix.lower() not in OUTPUTS:
            raise NSTError(f"Cannot write the clip {output}: use {' or '.join(OUTPUTS)}.")
        check_output_path(output, "painted clip", OUTPUTS, [Path(args.clip).expanduser()])
        from .clips import read_clip

        limits = ClipLimits(seconds=args.max_seconds, frames=max(1, round(args.max_seconds * 60)))
        clip = read_clip(Path(args.clip).expanduser(), settings.size, limits)
    except NSTError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    stop = {"requested": False}
    signal.signal(signal.SIGINT, lambda *_: stop.update(requested=True))
    return _run(args, settings, clip, output, stop, EXIT_OK, EXIT_CANCELLED, EXIT_BAD_INPUT)


def _run(args, settings: Settings, clip, output: Path, stop: dict, ok: int, cancelled: int, bad: int) -> int:
    from .clips import write_clip
    from .events import ClipFinished, FrameDone, Notice, Step
    from .video import stylise_video

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
            if not event.frames:
                print("error: stopped before the first frame was painted; nothing written", file=sys.stderr)
                return cancelled
            try:
                write_clip(event.frames, clip.fps, output)
            except (NSTError, OSError) as exc:
                print(f"error: {exc}", file=sys.stderr)
                return bad
            if not args.quiet:
                flicker = "" if event.warping_error is None else f"; warping error {event.warping_error:.4f}"
                print(f"{event.message} wrote {output} ({len(event.frames)} frames{flicker})", file=sys.stderr)
            return cancelled if event.reason == "cancelled" else ok
    raise AssertionError("stylise_video always ends with ClipFinished")
