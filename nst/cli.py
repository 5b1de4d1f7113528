"""Command line: python -m nst CONTENT STYLE [STYLE ...] -o OUT.png [options], and
python -m nst batch ... (nst/batch.py).

Everything that can be refused is checked before TensorFlow is imported (several seconds): --help,
the settings, the inputs and every output answer within about a second.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .colour import MATCH_CHOICES, Adjustments, Look, finish
from .errors import NSTError, os_reason
from .events import Finished, Notice, Step
from .images import check_image, load_image, save_image
from .settings import Settings, snapshot_schedule

EXIT_OK, EXIT_DIVERGED, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 130


NOT_ON_COMMAND_LINE = ("preview_every",)  # the command line shows no previews
OPTION_NOTES = {"outputs": " Snapshots are saved as OUT-stepK.png."}


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
    r.add_argument("--save-segments", metavar="PNG", help="write the map of the automatic regions (--segments)")
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


def add_common_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options every subcommand shares: -q, and one option per Settings field."""
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    add_settings_options(parser.add_argument_group("run settings", "every field of nst.Settings; defaults in brackets"))
    return parser


def add_settings_options(group: argparse._ArgumentGroup) -> None:
    """One option per Settings field, named after it (--content-weight), typed from its annotation,
    with its help text, choices and default; options not given are left to Settings' defaults."""
    defaults = Settings()
    for f in dataclasses.fields(Settings):
        if f.name in NOT_ON_COMMAND_LINE:
            continue
        kind = OPTION_TYPES[str(f.type)]
        shown = _shown(getattr(defaults, f.name))
        text = Settings.help(f.name) + OPTION_NOTES.get(f.name, "") + (f" [{shown}]" if shown else "")
        if kind in (_names, _numbers, _whole_numbers):
            text = "comma-separated; " + text
        group.add_argument(
            f.metadata.get("flag") or "--" + f.name.replace("_", "-"), dest=f.name, type=kind,
            choices=Settings.choices(f.name), default=argparse.SUPPRESS, help=text.replace("%", "%%"),
        )


def _shown(default: object) -> str:
    """A default as the help text shows it: '' for none, tuples comma-separated, floats short."""
    if default is None:
        return ""
    if isinstance(default, tuple):
        return ",".join(map(str, default))
    return f"{default:g}" if isinstance(default, float) else str(default)


def settings_from(args: argparse.Namespace) -> Settings:
    """The Settings the options describe (--weights-file alone means --weights file)."""
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(Settings) if hasattr(args, f.name)}
    if given.get("weights_file") and "weights" not in given:
        given["weights"] = "file"
    if given.get("weights_file") and given["weights"] != "file":
        raise NSTError(f"--weights-file is only used with --weights file, not --weights {given['weights']}.")
    return Settings(**given)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["batch"]:  # python -m nst batch ...: many photos and paintings (nst/batch.py)
        from .batch import main as batch

        return batch(argv[1:])
    if argv[:1] == ["video"]:  # python -m nst video ...: a clip (nst/video_cli.py)
        from .video_cli import main as video

        return video(argv[1:])
    args = build_parser().parse_args(argv)
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
    from .engine import stylise  # TensorFlow loads here, after every check

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
            from .report import save_plot, write_csv  # matplotlib: a second to load, only when asked for

            if args.log:
                write_csv(result.history, args.log)
            if args.plot:
                save_plot(result.history, args.plot, title=f"{Path(args.content).name}: {result.message}")
    except OSError as exc:
        raise NSTError(f"Wrote {output}, but not the other outputs: {exc.strerror or exc}.") from None
    if not args.quiet:
        print(f"wrote {output}", file=sys.stderr)


def _save_segments(args: argparse.Namespace, settings: Settings) -> None:
    """Write the automatic regions as a coloured map over the photo (the same regions the run uses)."""
    from .regions import overlay, segment

    if not settings.segments:
        raise NSTError("--save-segments needs --segments K (the number of automatic regions).")
    content = load_image(args.content, settings.size, "content image")
    labels = segment(content, settings.segments, settings.seed)
    save_image(overlay(content, labels), args.save_segments)
    if not args.quiet:
        print(f"wrote {args.save_segments} ({int(labels.max()) + 1} regions, numbered from the top)", file=sys.stderr)


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
        try:
            _check_output(path, what, suffixes, inputs)
            key = path.resolve()
        except OSError as exc:
            raise NSTError(f"Cannot write the {what} {path}: {os_reason(exc)}.") from None
        if key in seen:
            raise NSTError(f"The {what} and the {seen[key]} are the same file ({path}).")
        seen[key] = what


def check_output_path(path: Path, what: str, suffixes: tuple[str, ...] | None, inputs: list[Path]) -> None:
    """Refuse an output path that could not be written or would overwrite an input (NSTError)."""
    try:
        _check_output(path, what, suffixes, inputs)
    except OSError as exc:
        raise NSTError(f"Cannot write the {what} {path}: {os_reason(exc)}.") from None


def _check_output(path: Path, what: str, suffixes: tuple[str, ...] | None, inputs: list[Path]) -> None:
    if path.is_dir():
        raise NSTError(f"Cannot write the {what} {path}: it is a folder; give a file name.")
    if suffixes and path.suffix.lower() not in suffixes:
        raise NSTError(f"Cannot write the {what} {path}: use one of {', '.join(suffixes)}.")
    folder = path.resolve().parent
    if not folder.is_dir():
        raise NSTError(f"Cannot write the {what} {path}: the folder {folder} does not exist.")
    if path.exists() and not os.access(path, os.W_OK):
        raise NSTError(f"Cannot write the {what} {path}: permission denied.")
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".nst-write-check-"):
        pass  # really creating a file there: os.access says yes to folders that take none (/proc)
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


def _whole_numbers(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None


OPTION_TYPES = {  # Settings' annotations -> argparse types
    "int": int, "float": float, "float | None": float, "str": str, "str | None": str,
    "tuple[str, ...]": _names, "tuple[float, ...] | None": _numbers, "tuple[int, ...] | None": _whole_numbers,
}


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
