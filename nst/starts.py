"""Where a run starts. A start is one function registered under the name `Settings.init` takes; it
gets the photo (and the region masks) at the output's size and the paintings as loaded, and returns
the first image at that size, in [0, 1]; a coarse first phase starts from it resized (for the
instant picture: its fine marks averaged away, its layout kept)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .colour import palette_start
from .errors import NSTError
from .images import resize_array
from .settings import Settings, blend_weights


@dataclass(frozen=True)
class StartInputs:
    settings: Settings
    content: np.ndarray  # the photo at the output's size
    paintings: list[np.ndarray]  # as loaded (the output's size times style_scale)
    masks: list[np.ndarray] | None  # one region mask per painting at the output's size, or None

    @property
    def blend(self) -> np.ndarray:
        return blend_weights(self.settings, len(self.paintings))


STARTS: dict[str, Callable[[StartInputs], np.ndarray]] = {}


def start(name: str) -> Callable[[Callable[[StartInputs], np.ndarray]], Callable[[StartInputs], np.ndarray]]:
    """Register a start under `name` (a value of Settings.init)."""

    def register(function: Callable[[StartInputs], np.ndarray]) -> Callable[[StartInputs], np.ndarray]:
        STARTS[name] = function
        return function

    return register


@start("content")
def photo(inputs: StartInputs) -> np.ndarray:
    """The photo itself (the TF tutorial's start)."""
    return inputs.content.copy()


@start("palette")
def photo_in_the_paintings_colours(inputs: StartInputs) -> np.ndarray:
    """The photo recoloured with the paintings' colours (histogram matching, per region and blend share)."""
    return palette_start(inputs.content, inputs.paintings, inputs.blend, inputs.masks)


@start("instant-palette")
def instant_in_the_paintings_colours(inputs: StartInputs) -> np.ndarray:
    """The instant picture recoloured with the paintings' colours, as the palette start recolours the photo:
    the network keeps the subject and lays strokes, the recolouring brings the palette it misses."""
    return palette_start(instant(inputs), inputs.paintings, inputs.blend, inputs.masks)


@start("style")
def painting(inputs: StartInputs) -> np.ndarray:
    """The first painting, stretched to the photo's shape."""
    return resize_array(inputs.paintings[0], inputs.content.shape[:2])


@start("noise")
def noise(inputs: StartInputs) -> np.ndarray:
    """Uniform noise from the settings' seed."""
    rng = np.random.default_rng(inputs.settings.seed)
    return rng.uniform(0.0, 1.0, inputs.content.shape).astype(np.float32)


@start("instant")
def instant(inputs: StartInputs) -> np.ndarray:
    """The feed-forward network's picture (nst/instant.py): the photo painted in one pass."""
    from .instant import instant_image, instant_network

    return instant_image(instant_network(), inputs.content, inputs.paintings, inputs.blend, inputs.masks)


def initial_image(inputs: StartInputs) -> np.ndarray:
    """The first image of the run that `inputs.settings` describe."""
    return STARTS[inputs.settings.init](inputs)


def first_image(inputs: StartInputs) -> tuple[np.ndarray, str | None]:
    """The first image, and a sentence when the instant start could not be used (its model files are
    missing or damaged) and the photo in the painting's colours was used instead."""
    try:
        return initial_image(inputs), None
    except NSTError as exc:
        if not inputs.settings.init.startswith("instant"):
            raise
        fallback = StartInputs(inputs.settings.replace(init="palette"), inputs.content, inputs.paintings, inputs.masks)
        return initial_image(fallback), f"{exc} Started from the photo in the painting's colours instead."
