"""Where a run starts: the photo, the photo in the painting's colours, the painting, or noise."""

from __future__ import annotations

import numpy as np

from .colour import palette_start
from .images import resize_array
from .objective import blend_weights
from .settings import Settings


def initial_image(
    settings: Settings, content: np.ndarray, styles: list[np.ndarray], masks: list[np.ndarray] | None = None
) -> np.ndarray:
    """The starting point of the optimisation, in [0, 1]."""
    if settings.init == "content":
        return content.copy()
    if settings.init == "palette":
        return palette_start(content, styles, blend_weights(settings, len(styles)), masks)
    if settings.init == "style":
        return resize_array(styles[0], content.shape[:2])
    rng = np.random.default_rng(settings.seed)
    return rng.uniform(0.0, 1.0, content.shape).astype(np.float32)
