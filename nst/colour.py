"""Colour adjustments applied to a finished image, without re-running the optimisation.

All functions take and return float RGB arrays in [0, 1]. Luminance is scikit-image's `rgb2gray`
(Rec. 709 weights); hue rotation goes through scikit-image's HSV conversion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from skimage.color import hsv2rgb, rgb2gray, rgb2hsv


@dataclass(frozen=True)
class Adjustments:
    """Neutral values change nothing: brightness, contrast, saturation and gamma 1, hue 0 degrees."""

    brightness: float = 1.0  # multiplies every channel
    contrast: float = 1.0  # scales the distance from the mean luminance
    saturation: float = 1.0  # scales the distance from each pixel's grey (0 = greyscale)
    hue: float = 0.0  # degrees around the colour wheel
    gamma: float = 1.0  # output = input ** (1 / gamma); above 1 brightens mid-tones

    @property
    def neutral(self) -> bool:
        return self == Adjustments()


def adjust(image: np.ndarray, a: Adjustments) -> np.ndarray:
    """Apply the adjustments in a fixed order: hue, saturation, contrast, brightness, gamma."""
    out = np.asarray(image, dtype=np.float32)
    if a.hue % 360:
        hsv = rgb2hsv(out)
        hsv[..., 0] = (hsv[..., 0] + a.hue / 360.0) % 1.0
        out = hsv2rgb(hsv).astype(np.float32)
    if a.saturation != 1.0:
        grey = rgb2gray(out)[..., None]
        out = grey + a.saturation * (out - grey)
    if a.contrast != 1.0:
        mean = rgb2gray(out).mean()
        out = mean + a.contrast * (out - mean)
    if a.brightness != 1.0:
        out = out * a.brightness
    out = np.clip(out, 0.0, 1.0)
    if a.gamma != 1.0:
        out = out ** (1.0 / a.gamma)
    return out.astype(np.float32)
