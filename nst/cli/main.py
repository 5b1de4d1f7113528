"""Command line: python -m nst CONTENT STYLE [STYLE ...] -o OUT.png [options] (nst/cli/paint.py),
python -m nst batch ... (nst/cli/batch.py) and python -m nst video ... (nst/cli/video.py).

Everything that can be refused is checked before TensorFlow is imported (several seconds): --help,
the settings, the inputs and every output answer within about a second.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

SUBCOMMANDS = ("batch", "video")  # python -m nst NAME ...; without one, a photo is painted (paint)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` (the process's arguments by default) with the subcommand's parser and run it: the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    name = argv[0] if argv[:1] and argv[0] in SUBCOMMANDS else None
    command = importlib.import_module(f".{name or 'paint'}", __package__)  # only the one asked for loads
    return command.execute(command.build_parser().parse_args(argv[1:] if name else argv))
