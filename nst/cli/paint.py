"""python -m nst CONTENT STYLE [STYLE ...] -o OUT.png [options]: one photo in the style of one
painting or several (blended, or by region), every refusal before TensorFlow loads."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from pathlib import Path

import numpy as np

from ..colour import MATCH_CHOICES, Adjustments, Look, finish
from ..errors import NSTError
from ..events import Finished, Notice, Step
from ..images import check_image, load_image, save_image
from ..settings import Settings, snapshot_schedule
from ..startup import import_engine
from .options import (
    EXIT_BAD_INPUT,
    EXIT_CANCELLED,
    EXIT_DIVERGED,
    EXIT_OK,
    add_settings_options,
    check_output_path,
    settings_from,
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m nst",
        description="Repaint a photo in the style of a painting (neural style transfer, Gatys et al.). "
        "For many photos at once: python -m nst batch --help; for a clip: python -m nst video --help.",
    )
    p.add_argument("content", help="the photo (PNG, JPEG, WebP, BMP, GIF, TIFF)")
    p.add_argument("style", nargs="+", help="the painting(s); several are blended (or painted by region: --masks)")
    p.add_argument("-o", "--output", required=True, help="where to write the result (.png or .jpg)")
    add_settings_options(p.add_argument_group("run settings", "every field of nst.Settings; defaults in brackets"))
    r = p.add_argument_group("regions")
    r.add_argument("--masks", nargs="+", metavar="MASK",
                   help="one greyscale mask per style image, white where that style paints; where all are black "
                   "the photo is kept")
    r.add_argument("--save-segments", metavar="PNG", help="write the map of the automatic regions (--segments or --segmenter)")
    c = p.add_argument_group("colour", "applied to the finished image (no effect on the optimisation)")
    c.add_argument("--keep-colours", action="store_true",
                   help="luminance-only transfer: keep the photo's colours, take the stylised luminance (YIQ)")
    c.add_argument("--match", choices=MATCH_CHOICES, default="none",
                   help="match the result's colour histogram to the content's or the style's")
    c.add_argument("--strength", type=float, default=1.0, help="blend with the photo: 0 = photo, 1 = full style")
    for name, default, text in (("brightness", 1.0, "gain"), ("contrast", 1.0, "around mean grey"),
                                ("saturation", 1.0, "0 = grey"), ("hue", 0.0, "shift in degrees"),
                                ("gamma", 1.0, ">1 brightens mid-tones")):
        c.add_argument(f"--{name}", type=float, default=default, help=f"{text} (default {default:g})")
    p.add_argument("--log", metavar="CSV", help="write the loss history as CSV")
    p.add_argument("--plot", metavar="PNG", help="plot the loss terms and the total (log scale)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    return p


def execute(args: argparse.Namespace) -> int:
    try:
        settings = settings_from(args)
        look = Look(
            keep_colours=args.keep_colours, match=args.match, strength=args.strength,
            adjustments=Adjustments(args.brightness, args.contrast, args.saturation, args.hue, args.gamma),
        )
        check_inputs(args, settings)
        check_outputs(args, settings)
        return _run(args, settings, look)
    except NSTError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _run(args: argparse.Namespace, settings: Settings, look: Look) -> int:
    import_engine()  # TensorFlow loads here, after every check
    from ..engine import stylise

    stop = {"requested": False}
    signal.signal(signal.SIGINT, lambda *_: stop.update(requested=True))
    progress = _Progress(settings.steps, quiet=args.quiet)
    styles = args.style if len(args.style) > 1 else args.style[0]
    if args.save_segments:
        _save_segments(args, settings)
    events = stylise(args.content, styles, settings, masks=args.masks, should_stop=lambda: stop["requested"],
                     on_download=progress.download)
    for event in events:
        if isinstance(event, Notice):
            progress.notice(event.text)
        elif isinstance(event, Step):
            progress.step(event)
        elif isinstance(event, Finished):
            progress.done(event.message)
            _write_outputs(args, settings, look, event)
            if event.reason == "diverged":
                return EXIT_DIVERGED
            return EXIT_CANCELLED if event.reason == "cancelled" else EXIT_OK
    raise AssertionError("the engine always ends with a Finished event")


def _write_outputs(args: argparse.Namespace, settings: Settings, look: Look, result: Finished) -> None:
    output = Path(args.output)
    content = result.content
    style = load_image(args.style[0], settings.size, "style image") if look.match == "style" else None

    def finished(image: np.ndarray) -> np.ndarray:
        return finish(image, content, style, look)  # the engine hands out every image at the output size

    try:
        save_image(finished(result.image), output)
    except NSTError as exc:  # checked before the run, so the disk filled up or the folder went away
        fallback = Path(tempfile.gettempdir()) / f"nst-result-{os.getpid()}.png"
        save_image(finished(result.image), fallback)
        raise NSTError(f"{exc} The result was saved to {fallback} instead.") from None
    try:
        for step, image in result.snapshots[:-1]:
            save_image(finished(image), _snapshot_path(output, step))
        if args.log or args.plot:
            from ..report import save_plot, write_csv  # matplotlib: a second to load, only when asked for

            if args.log:
                write_csv(result.history, args.log)
            if args.plot:
                save_plot(result.history, args.plot, title=f"{Path(args.content).name}: {result.message}")
    except OSError as exc:
        raise NSTError(f"Wrote {output}, but not the other outputs: {exc.strerror or exc}.") from None
    if not args.quiet:
        print(f"wrote {output} ({result.network})" if result.network else f"wrote {output}", file=sys.stderr)


def _save_segments(args: argparse.Namespace, settings: Settings) -> None:
    """Write the automatic regions as a coloured map over the photo (the same regions the run uses)."""
    from ..regions import labels_of, overlay, segment

    if not settings.region_count:
        raise NSTError("--save-segments needs automatic regions: --segments K or --segmenter person/face.")
    content = load_image(args.content, settings.size, "content image")
    if settings.segmenter == "colours":
        labels, order = segment(content, settings.segments, settings.seed), "numbered from the top"
    else:
        from ..people import region_probabilities
        from ..settings import SEGMENTER_REGIONS

        labels = labels_of(region_probabilities(content, settings.segmenter))
        order = ", ".join(f"{n} {name}" for n, name in enumerate(SEGMENTER_REGIONS[settings.segmenter], start=1))
    save_image(overlay(content, labels), args.save_segments)
    if not args.quiet:
        print(f"wrote {args.save_segments} ({int(labels.max()) + 1} regions, {order})", file=sys.stderr)


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def check_inputs(args: argparse.Namespace, settings: Settings) -> None:
    """Refuse, before any work, inputs that are missing, folders, unreadable or not images this app
    reads (from their headers), and a weights file that is not a file."""
    for name, what in [(args.content, "content image"), *((style, "style image") for style in args.style),
                       *((mask, "mask") for mask in args.masks or [])]:
        check_image(Path(name).expanduser(), what)
    if settings.weights == "file":
        path = Path(settings.resolved_weights_file).expanduser()
        if path.is_dir():
            raise NSTError(f"The weights file {path} is a folder; give the .h5 file in it.")
        if not path.is_file():
            raise NSTError(f"The weights file {path} does not exist.")


def check_outputs(args: argparse.Namespace, settings: Settings) -> None:
    """Refuse, before any work, every output that could not be written or would overwrite an input."""
    output = Path(args.output).expanduser()
    targets = [(output, "output image", IMAGE_SUFFIXES)]
    targets += [(_snapshot_path(output, step), "snapshot", IMAGE_SUFFIXES)
                for step in sorted(snapshot_schedule(settings.steps, settings.outputs))[:-1]]
    if args.log:
        targets.append((Path(args.log).expanduser(), "loss log (--log)", None))
    if args.plot:
        targets.append((Path(args.plot).expanduser(), "loss plot (--plot)", PLOT_SUFFIXES))
    if args.save_segments:
        targets.append((Path(args.save_segments).expanduser(), "region map (--save-segments)", IMAGE_SUFFIXES))
    inputs = [Path(p).expanduser() for p in (args.content, *args.style, *(args.masks or []))]
    seen: dict[Path, str] = {}
    for path, what, suffixes in targets:
        check_output_path(path, what, suffixes, inputs)
        key = path.resolve()
        if key in seen:
            raise NSTError(f"The {what} and the {seen[key]} are the same file ({path}).")
        seen[key] = what


def _snapshot_path(output: Path, step: int) -> Path:
    return output.with_name(f"{output.stem}-step{step}{output.suffix}")


class _Progress:
    """A one-line progress bar with live losses on stderr (plain lines when not a terminal)."""

    def __init__(self, steps: int, quiet: bool):
        self.steps, self.quiet = steps, quiet
        self.tty = sys.stderr.isatty()
        self.every = 1 if self.tty else max(1, steps // 10)

    def download(self, done: int, total: int) -> None:
        if not self.quiet:
            size = f"{done / 1e6:.0f}/{total / 1e6:.0f} MB" if total else f"{done / 1e6:.0f} MB"
            print(f"\rdownloading VGG19 ImageNet weights (first use only): {size}", end="", file=sys.stderr)

    def notice(self, text: str) -> None:
        print(f"warning: {text}", file=sys.stderr)

    def step(self, event: Step) -> None:
        if self.quiet or (event.step % self.every and event.step != event.steps):
            return
        filled = round(30 * event.step / event.steps)
        losses = event.losses
        terms = " ".join(f"{name} {value:.3e}" for name, value in losses.terms.items())
        bar = f"[{'#' * filled}{'.' * (30 - filled)}]"
        line = f"{bar} {event.step}/{event.steps} total {losses.total:.3e} {terms} {event.elapsed:.1f}s"
        print("\r" + line if self.tty else line, end="" if self.tty else "\n", file=sys.stderr, flush=True)

    def done(self, message: str) -> None:
        if not self.quiet:
            print(("\n" if self.tty else "") + message, file=sys.stderr)
