"""Telling a run that blew up from one that is still converging, and what to change."""

from __future__ import annotations

import math

import numpy as np

from .settings import DEFAULT_LEARNING_RATES, Settings

# a run has blown up when its loss stays BLOWUP_FACTOR times above its lowest for BLOWUP_STEPS steps,
# or twice its lowest while SATURATED_SHARE of the image's values are pinned at 0 or 1 (DivergenceGuard)
BLOWUP_FACTOR, BLOWUP_STEPS, SATURATED_SHARE = 10.0, 5, 0.9


class DivergenceGuard:
    """Watches one phase of a run for a blow-up.

    A loss that is not finite is one; so is a loss that stays BLOWUP_FACTOR times above the phase's
    lowest for BLOWUP_STEPS steps in a row: clipping to [0, 1] keeps an exploding image finite, and it
    saturates into noise instead (an absurd learning rate does that in a step or two). The guard keeps
    the image with the phase's lowest loss so that a diverged run still ends with its best image.
    """

    def __init__(self, image: np.ndarray, step: int):
        self.best_loss, self.best_image, self.best_step = math.inf, image, step
        self.above = 0

    def check(self, loss: float, image: np.ndarray, step: int) -> str | None:
        """`loss` was measured on `image`, the image after step `step - 1`; returns what went wrong, if anything."""
        if not math.isfinite(loss):
            return "the loss stopped being finite"
        if loss < self.best_loss:
            self.best_loss, self.best_image, self.best_step = loss, image, step - 1
        exploded = loss > BLOWUP_FACTOR * self.best_loss
        saturated = loss > 2 * self.best_loss and saturation(image) > SATURATED_SHARE > saturation(self.best_image)
        self.above = self.above + 1 if exploded or saturated else 0
        if self.above >= BLOWUP_STEPS:
            return (
                f"the loss stayed above {2 if saturated and not exploded else BLOWUP_FACTOR:g}x its lowest for "
                f"{BLOWUP_STEPS} steps" + (" and the image saturated to pure colours" if saturated else "")
            )
        return None


def saturation(image: np.ndarray) -> float:
    """The share of the image's values at 0 or 1: near 1 for the saturated noise of an exploding run."""
    return float(np.mean((image <= 0.0) | (image >= 1.0)))


def divergence_advice(settings: Settings, overflow: bool) -> str:
    """What to change, given what diverged: weights that overflow, or a learning rate that is too large."""
    if overflow:
        return (
            "The loss of the starting image is already too large for float32: lower the content, style or TV "
            f"weight (now {settings.content_weight:g}, {settings.style_weight:g}, {settings.tv_weight:g})."
        )
    default = DEFAULT_LEARNING_RATES[settings.optimizer]
    if settings.learning_rate is not None and settings.learning_rate > default:
        return f"Lower the learning rate: {settings.lr:g} is above the default for {settings.optimizer} ({default:g})."
    return (
        f"The learning rate ({settings.lr:g}) is too large for these weights: lower the learning rate or the "
        "weights, or use another optimiser."
    )
