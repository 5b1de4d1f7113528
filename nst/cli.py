"""Command line: python -m nst CONTENT STYLE [STYLE ...] -o OUT.png [options]."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from .colour import MATCH_CHOICES, Adjustments, Look, finish
from .engine import Finished, Notice, Step, snapshot_schedule, stylise
from .errors import NSTError, os_reason
from .images import load_image, save_image
from .report import save_plot, write_csv
from .precision import PRECISIONS
from .settings import INITS, OPTIMIZERS, STYLE_COLOURS, WEIGHT_SOURCES, Settings

EXIT_OK, EXIT_DIVERGED, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    def h(name: str) -> str:
        return Settings.help(name).replace("%", "%%")  # argparse formats help texts with %

    d = Settings()
    p = argparse.ArgumentParser(
        prog="python -m nst",
        description="Repaint a photo in the style of a painting (neural style transfer, Gatys et al.).",
    )
    p.add_argument("content", help="the photo (PNG, JPEG, WebP, BMP, GIF, TIFF)")
    p.add_argument("style", nargs="+", help="the painting(s); several are blended")
    p.add_argument("-o", "--output", required=True, help="where to write the result (.png or .jpg)")
    p.add_argument("--size", type=int, default=d.size, help=h("size") + " (default %(default)s)")
    p.add_argument("--steps", type=int, default=d.steps, help=h("steps") + " (default %(default)s)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=d.optimizer, help=h("optimizer"))
    p.add_argument("--lr", type=float, default=None, help=h("learning_rate"))
    p.add_argument("--content-weight", type=float, default=d.content_weight, help=h("content_weight") + " (%(default)g)")
    p.add_argument("--style-weight", type=float, default=d.style_weight, help=h("style_weight") + " (%(default)g)")
    p.add_argument("--tv-weight", type=float, default=d.tv_weight, help=h("tv_weight") + " (%(default)g)")
    p.add_argument("--content-layers", type=_names, default=d.content_layers, help="comma-separated; " + h("content_layers"))
    p.add_argument("--style-layers", type=_names, default=d.style_layers, help="comma-separated; " + h("style_layers"))
    p.add_argument("--style-layer-weights", type=_numbers, default=None, help="comma-separated; " + h("style_layer_weights"))
    p.add_argument("--style-blend", type=_numbers, default=None, help="comma-separated; " + h("style_blend"))
    p.add_argument("--style-scale", type=float, default=d.style_scale, help=h("style_scale"))
    p.add_argument("--scales", type=int, default=d.scales, help=h("scales") + " (default %(default)s)")
    p.add_argument("--init", choices=INITS, default=d.init, help=h("init"))
    p.add_argument("--seed", type=int, default=d.seed, help=h("seed"))
    p.add_argument("--weights", choices=WEIGHT_SOURCES, default=None, help=h("weights") + f" (default {d.weights})")
    p.add_argument("--weights-file", default=None, help=h("weights_file"))
    p.add_argument("--precision", choices=PRECISIONS, default=d.precision, help=h("precision"))
    c = p.add_argument_group("colour", "applied to the finished image (no effect on the optimisation) except --style-colours")
    c.add_argument("--style-colours", choices=STYLE_COLOURS, default=d.style_colours, help=h("style_colours"))
    c.add_argument("--keep-colours", action="store_true",
                   help="luminance-only transfer: keep the photo's colours, take the stylised luminance (YIQ)")
    c.add_argument("--match", choices=MATCH_CHOICES, default="none",
                   help="match the result's colour histogram to the content's or the style's")
    c.add_argument("--strength", type=float, default=1.0, help="blend with the photo: 0 = photo, 1 = full style")
    for name, default, text in (("brightness", 1.0, "gain"), ("contrast", 1.0, "around mean grey"),
                                ("saturation", 1.0, "0 = grey"), ("hue", 0.0, "shift in degrees"),
                                ("gamma", 1.0, ">1 brightens mid-tones")):
        c.add_argument(f"--{name}", type=float, default=default, help=f"{text} (default {default:g})")
    p.add_argument("--outputs", type=int, default=1, help="also save N-1 snapshots at evenly spaced steps (OUT-stepK.png)")
    p.add_argument("--log", metavar="CSV", help="write the loss history as CSV")
    p.add_argument("--plot", metavar="PNG", help="plot content, style and total loss (log scale)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings(
            size=args.size, steps=args.steps, optimizer=args.optimizer, learning_rate=args.lr,
            content_weight=args.content_weight, style_weight=args.style_weight, tv_weight=args.tv_weight,
            content_layers=args.content_layers, style_layers=args.style_layers,
            style_layer_weights=args.style_layer_weights, style_blend=args.style_blend,
            style_scale=args.style_scale, init=args.init, seed=args.seed, weights=_weights(args),
            weights_file=args.weights_file, outputs=args.outputs, style_colours=args.style_colours,
            scales=args.scales, precision=args.precision,
        )
        look = Look(
            keep_colours=args.keep_colours, match=args.match, strength=args.strength,
            adjustments=Adjustments(args.brightness, args.contrast, args.saturation, args.hue, args.gamma),
        )
        check_outputs(args, settings)
        return _run(args, settings, look)
    except NSTError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _run(args: argparse.Namespace, settings: Settings, look: Look) -> int:
    stop = {"requested": False}
    signal.signal(signal.SIGINT, lambda *_: stop.update(requested=True))
    progress = _Progress(settings.steps, quiet=args.quiet)
    styles = args.style if len(args.style) > 1 else args.style[0]
    events = stylise(args.content, styles, settings, should_stop=lambda: stop["requested"], on_download=progress.download)
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
    content = load_image(args.content, settings.size, "content image")
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
        if args.log:
            write_csv(result.history, args.log)
        if args.plot:
            save_plot(result.history, args.plot, title=f"{Path(args.content).name}: {result.message}")
    except OSError as exc:
        raise NSTError(f"Wrote {output}, but not the other outputs: {exc.strerror or exc}.") from None
    if not args.quiet:
        print(f"wrote {output}", file=sys.stderr)


def _weights(args: argparse.Namespace) -> str:
    """--weights-file alone means --weights file; with another source it is a mistake, not ignored."""
    if args.weights_file and args.weights not in (None, "file"):
        raise NSTError(f"--weights-file is only used with --weights file, not --weights {args.weights}.")
    if args.weights is None:
        return "file" if args.weights_file else Settings().weights
    return args.weights


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
PLOT_SUFFIXES = (".png", ".svg", ".pdf")


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
    inputs = [Path(p).expanduser() for p in (args.content, *args.style)]
    seen: dict[Path, str] = {}
    for path, what, suffixes in targets:
        try:
            _check_output(path, what, suffixes, inputs)
            key = path.resolve()
        except OSError as exc:
            raise NSTError(f"Cannot write the {what} {path}: {os_reason(exc)}.") from None
        if key in seen:
            raise NSTError(f"The {what} and the {seen[key]} are the same file ({path}).")
        seen[key] = what


def _check_output(path: Path, what: str, suffixes: tuple[str, ...] | None, inputs: list[Path]) -> None:
    if path.is_dir():
        raise NSTError(f"Cannot write the {what} {path}: it is a folder; give a file name.")
    if suffixes and path.suffix.lower() not in suffixes:
        raise NSTError(f"Cannot write the {what} {path}: use one of {', '.join(suffixes)}.")
    folder = path.resolve().parent
    if not folder.is_dir():
        raise NSTError(f"Cannot write the {what} {path}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise NSTError(f"Cannot write the {what} {path}: permission denied.")
    for source in inputs:
        if path.exists() and source.exists() and path.samefile(source):
            raise NSTError(f"The {what} {path} is one of the input images; it would be overwritten. Choose another name.")


def _snapshot_path(output: Path, step: int) -> Path:
    return output.with_name(f"{output.stem}-step{step}{output.suffix}")


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _numbers(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


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
        line = (
            f"[{'#' * filled}{'.' * (30 - filled)}] {event.step}/{event.steps} "
            f"total {losses.total:.3e} content {losses.content:.3e} style {losses.style:.3e} "
            f"tv {losses.tv:.3e} {event.elapsed:.1f}s"
        )
        print("\r" + line if self.tty else line, end="" if self.tty else "\n", file=sys.stderr, flush=True)

    def done(self, message: str) -> None:
        if not self.quiet:
            print(("\n" if self.tty else "") + message, file=sys.stderr)
