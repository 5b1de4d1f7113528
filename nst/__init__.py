"""NST Studio's engine: neural style transfer (Gatys et al.) with a Keras VGG, no UI code."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of the CLI

from .backbone import Backbone, load_backbone  # noqa: E402
from .engine import Finished, Notice, Step, stylise  # noqa: E402
from .errors import NSTError  # noqa: E402
from .images import load_image, save_image  # noqa: E402
from .losses import Losses  # noqa: E402
from .settings import Settings  # noqa: E402

__all__ = [
    "Backbone", "Finished", "Losses", "NSTError", "Notice", "Settings", "Step",
    "load_backbone", "load_image", "save_image", "stylise",
]
