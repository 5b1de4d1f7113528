"""What every subcommand shares: the exit codes, one option per Settings field, the check of an
output path, and the workers --ray asks for."""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
from pathlib import Path

from ..errors import NSTError, os_reason
from ..line.executors import executor_for
from ..line.worker import Executor
from ..settings import Settings

EXIT_OK, EXIT_DIVERGED, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 130


NOT_ON_COMMAND_LINE = ("preview_every",)  # the command line shows no previews
OPTION_NOTES = {"outputs": " Snapshots are saved as OUT-stepK.png."}


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


def executor_from(ray: str | None) -> Executor:
    """The workers for runs in line: Ray actors on the cluster at `ray` (--ray), else at
    $NST_RAY_ADDRESS, else local worker processes."""
    return executor_for(ray or os.environ.get("NST_RAY_ADDRESS"), os.environ)


def check_workers(workers: int) -> None:
    """--workers of `batch` and `video`: at least one local worker process (NSTError)."""
    if workers < 1:
        raise NSTError(f"--workers must be at least 1, not {workers}.")


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
