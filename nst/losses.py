"""The objective (Gatys et al. 2016) as named, weighted terms; by default the TensorFlow tutorial's.

With F_l(x) the activations of layer l for image x (shape H_l x W_l x C_l, image in [0, 1] fed
through VGG's Caffe preprocessing):

    G_l(x)       = F_l(x)^T F_l(x) / (H_l W_l)                     Gram matrix, C_l x C_l
    L_content(x) = (1 / |C|) sum_{l in C} mean((F_l(x) - F_l(c))^2)
    L_style(x)   = sum_{l in S} w_l mean((G_l(x) - G_l(s))^2),     w_l >= 0, sum w_l = 1
    L_tv(x)      = sum_{i,j} |x_{i+1,j} - x_{i,j}| + |x_{i,j+1} - x_{i,j}|   (as tf.image.total_variation)
                   or, with tv_smoothing d > 0, its smooth, isotropic form (smooth_total_variation)
    L(x)         = a L_content(x) + b L_style(x) + t L_tv(x)  [+ e L_edge(x)] [+ p L_palette(x)] [+ w L_temporal(x)]

where c is the content image, s the style image (several styles: their Grams averaged with the blend
weights), and (a, b, t) the content, style and TV weights. With equal layer weights w_l = 1/|S| and
a = 1e4, b = 1e-2, t = 30 this is the tutorial's loss (objective "tutorial"). Reported losses are the
weighted terms. A backbone's calibration multiplies the weights (`Backbone.calibration`; none for VGG19).

Any size (objective "normalised", the default): the content and style terms are means over locations,
but L_tv is a sum over pixels, so with the tutorial's loss the balance moves with the image's size
(TV is 80-90% of the loss at 512 px with the offline backbone, far less at 128). The normalised
objective measures TV per pixel, scaled to the tutorial's size: t L_tv(x) (REFERENCE_SIDE / L)^2 for
an image whose longer side is L. Every term is then a per-pixel mean, the same weights balance the
same way at 128 and at 1024 px, and at the tutorial's 512 px it is exactly the tutorial's loss.

Extensions, each off by default but the palette term (set palette_weight=0 for the tutorial's loss):
- regions: each style has a mask; its Gram matrices are taken over its masked locations only
  (normalised by the mask's area) and weighted by the mask's share of the picture;
- saliency: the content term's squared differences are weighted per location (mean weight 1);
- edges: L_edge(x) = mean((Lap(pool(x)) - Lap(pool(c)))^2), the Laplacian loss of Li et al. 2017,
  on the image average-pooled to about 128 px so that it means the same at every size;
- palette: L_palette(x) = mean over pixels i and directions d of (lab(x_i) . d - Q_s,d(F_x,d(lab(x_i) . d)))^2,
  the histogram loss of Risser et al. 2017 in its sliced form: each pixel's colour in CIELAB projected
  on fixed directions and pulled to the paintings' colour at its rank F (their quantile function Q):
  a sliced Wasserstein-2 distance between the colour distributions, which the Gram matrices match
  only in their first and second moments;
- video frames: L_temporal(x) = mean over reliable pixels of (x - warp(previous stylised frame))^2,
  Ruder et al. 2016 (nst/video.py).

Adding a term is one function (in `keras.ops`, so that every Keras backend runs it) and one registration:

    @loss_term("name", weight="name_weight")     # a Settings field holding its weight
    def name_term(targets: Targets, image: Tensor, features: Features) -> Tensor: ...
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from keras import ops

EDGE_GRID = 128  # the edge term compares Laplacians on the image pooled to about this many pixels
PALETTE_QUANTILES = 256  # the palette term compares the colour distributions at this many quantiles
SRGB_TO_XYZ = np.array([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169],
                        [0.019334, 0.119193, 0.950227]], np.float32)  # as scikit-image's rgb2lab
D65 = np.array([0.95047, 1.0, 1.08883], np.float32)  # the white point
PALETTE_BINS = 2048  # the palette term ranks colours by a histogram of this many bins per direction
PALETTE_RANGE = (-2.0, 2.0)  # what CIELAB / 100 projected on a unit direction can reach
MIX_SAMPLES = 4096  # quantiles of each picture drawn to mix several pictures' palettes
REFERENCE_SIDE = 512  # the longer side at which the normalised objective is the tutorial's (its size)


Tensor = Any  # a tensor of the Keras backend in use


class Features(NamedTuple):
    """A network's activations for one image: the content layers' and the style layers'."""

    content: list[Tensor]
    style: list[Tensor]


class StyleTarget(NamedTuple):
    """The Gram matrices (one per style layer) to match over a region (masks None: the whole image)."""

    grams: list[Tensor]
    masks: list[Tensor] | None = None  # (1, H_l, W_l, 1) per style layer
    share: Tensor | float = 1.0  # the region's share of the picture (a scalar tensor in a run)


class Targets(NamedTuple):
    """What the terms compare the image with, computed once per size of a run. Tensors, lists of
    them and None only, but for `layer_weights` and `tv_smoothing`: a compiled step takes the tensors
    as arguments (nst/optimizers.py) and is reused by every run of the same layout."""

    content_image: Tensor  # (1, H, W, 3)
    content: list[Tensor]  # activations of the content layers
    styles: list[StyleTarget]
    layer_weights: tuple[float, ...] | None  # of the style layers, summing to 1
    content_masks: list[Tensor] | None = None  # saliency weights per content layer, mean 1
    tv_smoothing: float | None = 0.0  # Huber threshold of the TV term (0: the tutorial's L1 total variation)
    previous: Tensor | None = None  # video: the previous stylised frame warped onto this one, (1, H, W, 3)
    previous_mask: Tensor | None = None  # where that warp is reliable, (1, H, W, 1) in [0, 1]
    palette: Tensor | None = None  # the paintings' colours, as `colour_quantiles`


TermFunction = Callable[[Targets, Tensor, Features], Tensor]


@dataclass(frozen=True)
class LossTerm:
    name: str
    weight: str  # the Settings field with its weight
    function: TermFunction
    optional: bool  # left out of a run (and of its curves) while its weight is 0
    needs: str | None = None  # a Targets field it compares with: left out of runs where that is None


TERMS: dict[str, LossTerm] = {}


def loss_term(
    name: str, weight: str, optional: bool = False, needs: str | None = None
) -> Callable[[TermFunction], TermFunction]:
    """Register a term of the objective under `name`, weighted by the Settings field `weight`; a term
    that `needs` a Targets field is left out of runs that do not set it."""

    def register(function: TermFunction) -> TermFunction:
        TERMS[name] = LossTerm(name, weight, function, optional, needs)
        return function

    return register


def size_factors(objective: str, shape: tuple[int, int], output_shape: tuple[int, int]) -> dict[str, float]:
    """Multipliers of the terms' weights (by name) for an image of `shape` in a run whose output has
    `output_shape` (coarse-to-fine runs optimise smaller images first).

    "normalised": TV per pixel, scaled to a REFERENCE_SIDE image, at every size. "tutorial": the
    tutorial's loss at the output's size; on a coarse size TV is scaled up by the output's side over
    this one's, about what a sum over a picture's edges loses when the picture is halved, so that the
    coarse sizes optimise roughly the output's balance.
    """
    if objective == "tutorial":
        return {"tv": max(output_shape) / max(shape)}
    return {"tv": (REFERENCE_SIDE / max(shape)) ** 2}


def total(values: list[Tensor]) -> Tensor:
    """The sum of a list of tensors."""
    result = values[0]
    for value in values[1:]:
        result = result + value
    return result


def gram_matrix(features: Tensor, mask: Tensor | None = None) -> Tensor:
    """(B, H, W, C) activations -> (B, C, C) Gram matrices divided by the number of locations H*W
    (with a (B, H, W, 1) mask: over the masked locations, divided by the mask's sum)."""
    if mask is None:
        return ops.einsum("bijc,bijd->bcd", features, features) / float(features.shape[1] * features.shape[2])
    gram = ops.einsum("bijc,bijd->bcd", features * mask, features)
    return gram / ops.maximum(ops.sum(mask), 1e-6)


def content_loss(features: list[Tensor], targets: list[Tensor], weights: list[Tensor] | None = None) -> Tensor:
    """Mean over layers of the mean squared activation difference (weighted per location if given)."""
    if weights is None:
        return total([ops.mean(ops.square(f - t)) for f, t in zip(features, targets)]) / len(features)
    return total([ops.mean(w * ops.square(f - t)) for f, t, w in zip(features, targets, weights)]) / len(features)


def style_loss(
    features: list[Tensor],
    target_grams: list[Tensor],
    layer_weights: tuple[float, ...],
    masks: list[Tensor] | None = None,
) -> Tensor:
    """Weighted sum over layers of the mean squared Gram difference (weights sum to 1)."""
    masks = masks or [None] * len(features)
    return total(
        [w * ops.mean(ops.square(gram_matrix(f, m) - g))
         for f, g, w, m in zip(features, target_grams, layer_weights, masks)]
    )


def total_variation(image: Tensor) -> Tensor:
    """Sum of absolute differences between neighbouring pixels (as tf.image.total_variation)."""
    return ops.sum(ops.abs(image[:, 1:] - image[:, :-1])) + ops.sum(ops.abs(image[:, :, 1:] - image[:, :, :-1]))


def smooth_total_variation(image: Tensor, delta: float) -> Tensor:
    """Isotropic Huber total variation: for each pixel and channel the length g of the colour gradient,
    penalised g^2 / (2 delta) below `delta` and g - delta / 2 above, summed, times 4/pi.

    The tutorial's TV, |dx| + |dy|, has a corner at 0 and favours horizontal and vertical edges, so
    its minimum cuts smooth shading into flat, axis-aligned blocks (a staircase). Below `delta` this
    one is quadratic (no corner: shading stays smooth) and it does not depend on the edge's angle;
    above it grows like the L1 TV. The factor 4/pi (the mean of |cos| + |sin| over all angles) makes a
    large edge at a random angle cost what it costs in the tutorial's TV.
    """
    dx = image[:, :-1, 1:] - image[:, :-1, :-1]
    dy = image[:, 1:, :-1] - image[:, :-1, :-1]
    length = ops.sqrt(dx * dx + dy * dy + 1e-12)
    huber = ops.where(length < delta, length * length / (2 * delta), length - delta / 2)
    return 4 / math.pi * ops.sum(huber)


def palette_directions() -> np.ndarray:
    """The fixed directions of CIELAB the palette term projects colours on, (3, 13) unit vectors: the
    three axes (lightness, green-red, blue-yellow), the six diagonals of their planes and the four of
    the cube (deterministic: the sliced distance needs no random directions)."""
    directions = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, -1, 0], [1, 0, 1], [1, 0, -1], [0, 1, 1],
                  [0, 1, -1], [1, 1, 1], [1, 1, -1], [1, -1, 1], [1, -1, -1]]
    directions = np.array(directions, np.float32)
    return (directions / np.linalg.norm(directions, axis=1, keepdims=True)).T


def lab(rgb: Tensor) -> Tensor:
    """sRGB in [0, 1] (..., 3) -> CIELAB (D65) divided by 100, so that lightness runs 0 to 1."""
    rgb = ops.clip(rgb, 0.0, 1.0)
    linear = ops.where(rgb <= 0.04045, rgb / 12.92, ops.power(ops.maximum(rgb + 0.055, 1e-4) / 1.055, 2.4))
    xyz = ops.matmul(linear, ops.convert_to_tensor(SRGB_TO_XYZ.T / D65[None, :]))
    edge = (6.0 / 29.0) ** 3
    f = ops.where(xyz > edge, ops.power(ops.maximum(xyz, edge), 1.0 / 3.0), xyz / (3 * (6.0 / 29.0) ** 2) + 4.0 / 29.0)
    fx, fy, fz = f[..., 0], f[..., 1], f[..., 2]
    return ops.stack([1.16 * fy - 0.16, 5.0 * (fx - fy), 2.0 * (fy - fz)], axis=-1)


def colour_quantiles(parts: list[tuple[np.ndarray, float]]) -> np.ndarray:
    """The colours of a mix of pictures (pixel arrays (..., 3) in [0, 1], in the given shares) in
    CIELAB projected on `palette_directions`, at PALETTE_QUANTILES evenly spaced quantiles: (directions,
    quantiles). A mix, not an average of palettes: two paintings blended give the colours of both, as
    their blended Gram matrices do."""
    directions = palette_directions()
    whole = sum(share for _, share in parts)
    samples = [np.quantile(ops.convert_to_numpy(lab(pixels.reshape(-1, 3).astype(np.float32))) @ directions,
                           np.linspace(0.0, 1.0, max(1, round(MIX_SAMPLES * share / whole))), axis=0)
               for pixels, share in parts if share > 0]
    return np.quantile(np.concatenate(samples), np.linspace(0.0, 1.0, PALETTE_QUANTILES), axis=0).T.astype(np.float32)


def palette_distance(image: Tensor, quantiles: Tensor) -> Tensor:
    """Mean squared distance of a (1, H, W, 3) image's colours, projected as `colour_quantiles`, from the
    painting's colour at the same rank, `quantiles` interpolated: every pixel is pulled to its rank's
    colour. The ranks come from a fine histogram (PALETTE_BINS per direction) rather than a sort:
    linear in the pixels (a sort of a 512 px image's projections took longer than VGG's step) and
    without a gradient, as in Risser et al.'s histogram matching."""
    directions = palette_directions()
    count, width = directions.shape[1], (PALETTE_RANGE[1] - PALETTE_RANGE[0]) / PALETTE_BINS
    projected = ops.matmul(lab(ops.reshape(image, (-1, 3))), ops.convert_to_tensor(directions))  # (N, directions)
    scaled = ops.stop_gradient(ops.clip((projected - PALETTE_RANGE[0]) / width, 0.0, PALETTE_BINS - 1e-3))
    bins = ops.cast(ops.floor(scaled), "int32") + np.arange(count, dtype=np.int32)[None, :] * PALETTE_BINS
    flat_bins = ops.reshape(bins, (-1,))
    counts = ops.segment_sum(ops.ones_like(flat_bins, "float32"), flat_bins, num_segments=count * PALETTE_BINS)
    before = ops.reshape(ops.cumsum(ops.reshape(counts, (count, PALETTE_BINS)), axis=1), (-1,)) - counts
    inside = ops.take(counts, bins)
    rank = (ops.take(before, bins) + (scaled - ops.floor(scaled)) * inside) / ops.cast(ops.shape(projected)[0], "float32")
    position = ops.clip(rank * (PALETTE_QUANTILES - 1), 0.0, PALETTE_QUANTILES - 1 - 1e-3)
    below = ops.cast(ops.floor(position), "int32") + np.arange(count, dtype=np.int32)[None, :] * PALETTE_QUANTILES
    flat = ops.reshape(quantiles, (-1,))
    fraction = position - ops.floor(position)
    target = ops.take(flat, below) * (1.0 - fraction) + ops.take(flat, below + 1) * fraction
    return ops.mean(ops.square(projected - ops.stop_gradient(target)))


def laplacian(image: Tensor) -> Tensor:
    """The 4-neighbour Laplacian of each channel of a (B, H, W, C) image (valid positions only)."""
    centre = image[:, 1:-1, 1:-1]
    return 4 * centre - image[:, :-2, 1:-1] - image[:, 2:, 1:-1] - image[:, 1:-1, :-2] - image[:, 1:-1, 2:]


def edge_distance(image: Tensor, reference: Tensor) -> Tensor:
    """Mean squared difference of the Laplacians of two images pooled to about EDGE_GRID pixels."""
    pool = max(1, round(max(image.shape[1], image.shape[2]) / EDGE_GRID))
    if pool > 1:
        image = ops.average_pool(image, pool, pool, "valid")
        reference = ops.average_pool(reference, pool, pool, "valid")
    return ops.mean(ops.square(laplacian(image) - laplacian(reference)))


@loss_term("content", weight="content_weight")
def content_term(targets: Targets, image: Tensor, features: Features) -> Tensor:
    return content_loss(features.content, targets.content, targets.content_masks)


@loss_term("style", weight="style_weight")
def style_term(targets: Targets, image: Tensor, features: Features) -> Tensor:
    if not targets.styles:  # every region keeps the photo
        return ops.zeros(())
    return total(
        [t.share * style_loss(features.style, t.grams, targets.layer_weights, t.masks) for t in targets.styles]
    )


@loss_term("tv", weight="tv_weight")
def tv_term(targets: Targets, image: Tensor, features: Features) -> Tensor:
    if targets.tv_smoothing > 0:
        return smooth_total_variation(image, targets.tv_smoothing)
    return total_variation(image)


@loss_term("edge", weight="edge_weight", optional=True)
def edge_term(targets: Targets, image: Tensor, features: Features) -> Tensor:
    return edge_distance(image, targets.content_image)


@loss_term("palette", weight="palette_weight", optional=True, needs="palette")
def palette_term(targets: Targets, image: Tensor, features: Features) -> Tensor:
    return palette_distance(image, targets.palette)


@loss_term("temporal", weight="temporal_weight", optional=True, needs="previous")
def temporal_term(targets: Targets, image: Tensor, features: Features) -> Tensor:
    """Video (Ruder et al. 2016): the mean squared difference from the previous stylised frame warped
    onto this one, over the pixels where the warp is reliable (not occluded or disoccluded)."""
    mask = targets.previous_mask
    return ops.sum(mask * ops.square(image - targets.previous)) / (3.0 * ops.maximum(ops.sum(mask), 1.0))
