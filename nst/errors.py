"""The one exception type the engine raises for problems a person can fix."""


class NSTError(Exception):
    """Bad input, bad settings or unavailable weights, with a message meant for a person."""
