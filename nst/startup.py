"""TensorFlow's native start-up lines, kept off stderr.

Importing TensorFlow makes its C++ code write a few lines straight to file descriptor 2 before any
output of ours (the absl "log messages before InitializeLog" warning, "oneDNN custom operations are
on", the CPU instructions it was not built for); Python's logging settings never see them, and a
command whose answer is one sentence on stderr would not begin with it. `quiet_native_startup`
catches fd 2 in a temporary file around the import and writes back every line that is not one of
those, so a real error still shows.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator

STARTUP_NOISE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$"
    r"|(?:[\d-]+ [\d:.]+: )?I[\d ].*?\] (?:oneDNN custom operations are on\. |This TensorFlow binary is optimized to use "
    r"available CPU instructions in performance-critical operations\.)"
    r"|To enable the following instructions: .*, in other operations, rebuild TensorFlow with the appropriate compiler "
    r"flags\.$"
)


@contextlib.contextmanager
def quiet_native_startup() -> Iterator[None]:
    """Within the block, what is written to fd 2 is held back; after it, every line of it that is not
    TensorFlow's start-up noise (STARTUP_NOISE) is written to stderr."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().decode(errors="replace").splitlines(keepends=True)
                    if not STARTUP_NOISE.match(line.rstrip("\n"))]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def import_engine() -> None:
    """Import Keras, its backend and the network code without TensorFlow's start-up noise on stderr;
    an NSTError in one sentence first if the Keras backend asked for cannot run here."""
    from . import backends

    backends.check()
    with quiet_native_startup():
        from . import backbone  # noqa: F401
