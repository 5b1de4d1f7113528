"""NST Studio's engine: neural style transfer (Gatys et al.) with a Keras VGG, no UI code.

The names below load lazily, so that a process which only reads images, settings or results (the
studio's server, whose runs happen in a worker process) never imports TensorFlow.
"""

import importlib
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of the CLI

_EXPORTS = {
    "Backbone": "backbone", "load_backbone": "backbone", "stylise": "engine",
    "Finished": "events", "Losses": "events", "Notice": "events", "Preview": "events", "Step": "events",
    "NSTError": "errors", "load_image": "images", "save_image": "images", "Settings": "settings",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'nst' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
