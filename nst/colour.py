"""Colour control for a finished image: no re-run needed, fast enough for sliders.

Colour preservation follows Gatys et al. 2016, "Preserving colour in neural artistic style transfer":

- Luminance-only transfer (`Look.keep_colours`): the result takes the stylised luminance and the
  content's chroma. We use YIQ, the space of the paper: it is a linear transform of RGB, so Y carries
  exactly the luminance and I, Q exactly the chroma, and the swap is exact up to the clip to [0, 1]
  for colours that fall outside RGB. (CIELAB is perceptually uniform but its chroma axes are tied to
  lightness non-linearly, so an L-only swap shifts hues.)
- Colour histogram matching (scikit-image's `match_histograms`, per RGB channel): before the run the
  style image can be recoloured with the content's palette (`Settings.style_colours = "content"`, done
  by the engine with `match_palette`), and after it the result can be matched to the content's or the
  style's colours (`Look.match`).

Then a strength blend with the content (0 = the photo, 1 = the full stylisation) and the adjustments:
hue (HSV rotation via scikit-image), saturation and contrast (around grey, Rec. 709 luminance),
brightness (a gain) and gamma. All images are float RGB arrays in [0, 1].
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import NSTError

# scikit-image is imported by the functions that use it: it takes about a second to load, which the
# command line's --help and its input errors should not wait for

MATCH_CHOICES = ("none", "content", "style")


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


@dataclass(frozen=True)
class Look:
    """Everything applied to a finished image, in the order of `finish`."""

    keep_colours: bool = False  # luminance-only transfer: the content's colours, the stylised luminance
    match: str = "none"  # match the result's colour histogram to 'content' or 'style'
    strength: float = 1.0  # 0 = the content photo, 1 = the full stylisation
    adjustments: Adjustments = Adjustments()

    def __post_init__(self) -> None:
        if self.match not in MATCH_CHOICES:
            raise NSTError(f"match must be one of {', '.join(MATCH_CHOICES)}; got {self.match!r}.")
        a = self.adjustments
        for name, value in (("strength", self.strength), *dataclasses.asdict(a).items()):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise NSTError(f"{name} must be a finite number, got {value!r}.")
        if not 0.0 <= self.strength <= 1.0:
            raise NSTError(f"strength must be between 0 and 1, got {self.strength!r}.")
        if min(a.brightness, a.contrast, a.gamma) <= 0 or a.saturation < 0:
            raise NSTError("brightness, contrast and gamma must be positive and saturation >= 0.")


def finish(stylised: np.ndarray, content: np.ndarray, style: np.ndarray | None, look: Look) -> np.ndarray:
    """Apply `look`: colour preservation or matching, strength, then the adjustments."""
    out = np.asarray(stylised, dtype=np.float32)
    if look.keep_colours:
        out = luminance_only(out, content)
    if look.match == "content":
        out = match_palette(out, content)
    elif look.match == "style":
        if style is None:
            raise NSTError("Matching the style's colours needs the style image.")
        out = match_palette(out, style)
    if look.strength != 1.0:
        out = look.strength * out + (1.0 - look.strength) * np.asarray(content, dtype=np.float32)
    return adjust(out, look.adjustments)


def luminance_only(stylised: np.ndarray, content: np.ndarray) -> np.ndarray:
    """The stylised image's luminance (YIQ Y) with the content's chroma (I, Q)."""
    from skimage.color import rgb2yiq, yiq2rgb

    yiq = rgb2yiq(content)
    yiq[..., 0] = rgb2yiq(stylised)[..., 0]
    return np.clip(yiq2rgb(yiq), 0.0, 1.0).astype(np.float32)


def match_palette(image: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Give `image` the per-channel colour histogram of `reference` (sizes may differ)."""
    from skimage.exposure import match_histograms

    return np.clip(match_histograms(image, reference, channel_axis=-1), 0.0, 1.0).astype(np.float32)


def palette_start(
    content: np.ndarray, styles: list[np.ndarray], blend: Sequence[float], masks: list[np.ndarray] | None = None
) -> np.ndarray:
    """The photo recoloured with the paintings' palettes, a starting point for a run (`init='palette'`).

    With region masks each region takes its own painting's palette (where no painting paints, the photo
    stays); without, the photo takes the pooled colours of the paintings, each in its blend share.
    """
    if masks is not None:
        start = content.copy()
        for style, mask, weight in zip(styles, masks, blend):
            if weight > 0 and mask.max() > 0:
                start += mask[..., None] * (match_palette(content, style) - start)
        return start.astype(np.float32)
    shares = np.asarray(blend, dtype=np.float64) / np.sum(blend)
    if np.count_nonzero(shares) == 1:
        return match_palette(content, styles[int(np.argmax(shares))])
    rng = np.random.default_rng(0)
    count = min(s.shape[0] * s.shape[1] for s in styles)
    pooled = [s.reshape(-1, 3)[rng.choice(s.shape[0] * s.shape[1], round(count * share))] for s, share in zip(styles, shares)]
    return match_palette(content, np.concatenate(pooled)[None])


def adjust(image: np.ndarray, a: Adjustments) -> np.ndarray:
    """Apply the adjustments in a fixed order: hue, saturation, contrast, brightness, gamma."""
    from skimage.color import hsv2rgb, rgb2gray, rgb2hsv

    out = np.asarray(image, dtype=np.float32)
    if a.neutral:
        return out
    if a.hue % 360:
        hsv = rgb2hsv(out)
        hsv[..., 0] = (hsv[..., 0] + a.hue / 360.0) % 1.0
        out = hsv2rgb(hsv).astype(np.float32)
    if a.saturation != 1.0:
        grey = rgb2gray(out)[..., None]
        out = grey + a.saturation * (out - grey)
    if a.contrast != 1.0:
        mean = rgb2gray(np.clip(out, 0.0, 1.0)).mean()
        out = mean + a.contrast * (out - mean)
    if a.brightness != 1.0:
        out = out * a.brightness
    out = np.clip(out, 0.0, 1.0)
    if a.gamma != 1.0:
        out = out ** (1.0 / a.gamma)
    return out.astype(np.float32)
