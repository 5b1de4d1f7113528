"""The one exception type the engine raises for problems a person can fix."""

import errno


class NSTError(Exception):
    """Bad input, bad settings or unavailable weights, with a message meant for a person."""


def os_reason(exc: OSError) -> str:
    """Why a file operation failed, in words (a path too long for the system is the one errno that says
    nothing to a person)."""
    return "the path is too long for this system" if exc.errno == errno.ENAMETOOLONG else exc.strerror or str(exc)
