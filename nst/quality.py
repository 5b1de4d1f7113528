"""Numbers a painter would look at, none of them graded by the network being optimised.

A loss value says how well the optimiser did its job, not whether the picture is good: a run can
lower its loss by flattening the image into blocks. These measures judge the picture itself:

- `colour_distance`: how far the result's colours are from the painting's, as the sliced
  Wasserstein distance between the two images' pixel distributions in CIELAB (perceptually uniform,
  so the distance is in colour-difference units, Delta-E 1976; 0 for identical distributions).
- `structure`: how much of the photo's layout the result keeps: the structural similarity (SSIM) of
  their luminance, and the correlation of their edge maps, both on images blurred to a common scale
  (the brush strokes a painting adds are finer than the objects it keeps).
- `contour_recall`: how many of the photo's main contours the result keeps, at a coarse scale where
  brushwork averages out: low when a subject melts (a face loses its eyes, towers dissolve into
  strokes), whatever the colours.
- `stroke_scale`: the size of the marks, as the energy-weighted mean scale of the luminance's
  difference-of-Gaussians bands (1, 2, 4 ... 64 px, a Laplacian pyramid without the subsampling):
  a picture of fine hatching scores a few pixels, one of long swirls and bands tens; compared with
  the painting's own at the same size (`band_energies` gives the whole distribution).
- `flat_hatching`: the result's fine marks (detail finer than a 2 px blur, RMS in levels of 255)
  where the photo is flat (its quietest quarter: sky, water, walls), where the feed-forward network
  lays a diagonal crosshatch that a painter would not.
- `border_strip`: a light or dark strip along the picture's edges that the photo does not have (the
  outermost rows against the next ones, less the photo's own step there).
- `blockiness`: how much of the result's detail is horizontal and vertical steps, the staircase
  of flat blocks that an L1 total-variation term leaves (TV-L1 against TV-L2 statistics). Brush
  strokes and photos have edges at every angle; a smooth gradient has no steps at all.

All take float RGB arrays in [0, 1] (H, W, 3); images of different sizes are compared at a common one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage
from skimage.color import rgb2gray, rgb2lab
from skimage.metrics import structural_similarity
from skimage.transform import resize

STRUCTURE_SIDE = 128  # structure is compared with both images resized to this longer side
COLOUR_SAMPLES = 65_536  # pixels drawn from each image for the colour distributions
COLOUR_DIRECTIONS = 64  # random projections of the sliced Wasserstein distance
BLUR_SIGMA = 2.0  # blockiness looks at the detail finer than a Gaussian blur of this many pixels
ROUNDING = 1.0 / 255  # detail this small is 8-bit rounding (a smooth gradient's steps of one level)
BANDS = 7  # stroke_scale's bands: detail between Gaussian blurs of 0, 1, 2 ... 64 px
NO_DETAIL = 1e-4  # mean detail gradient below which an image has no detail to judge (blockiness 0)


@dataclass(frozen=True)
class Quality:
    colour: float  # colour distance to the painting (Delta-E units; lower is closer)
    ssim: float  # luminance structural similarity to the photo (1 = the photo's structure)
    edges: float  # correlation of edge maps with the photo (1 = the same edges)
    blockiness: float  # staircase statistic (0 = detail at every angle, 1 = only axis-aligned steps)
    contours: float = 1.0  # share of the photo's main contours the result keeps (1 = all; noise about 0.5)
    strokes: float = 0.0  # stroke_scale in pixels (the painting's own at the same size for comparison)
    flat_hatching: float = 0.0  # fine marks where the photo is flat, levels RMS (lower: calmer skies)
    border: float = 0.0  # the strongest strip along an edge that the photo does not have, levels (0: none)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def measure(result: np.ndarray, photo: np.ndarray, painting: np.ndarray) -> Quality:
    """Every measure of a result against the photo it repaints and the painting it imitates."""
    ssim, edges = structure(result, photo)
    return Quality(colour_distance(result, painting), ssim, edges, blockiness(result), contour_recall(result, photo),
                   stroke_scale(result), flat_hatching(result, photo), border_strip(result, photo))


def colour_distance(image: np.ndarray, reference: np.ndarray, seed: int = 0) -> float:
    """Sliced Wasserstein-1 distance between the two images' pixel colours in CIELAB.

    Each of COLOUR_DIRECTIONS random unit directions projects both pixel clouds onto a line; the 1-D
    Wasserstein distance there is the mean absolute difference of matching quantiles. The mean over
    directions is a metric on distributions: 0 exactly when the colour histograms are the same,
    whatever the pixels' arrangement or the images' sizes.
    """
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(3, COLOUR_DIRECTIONS))
    directions /= np.linalg.norm(directions, axis=0)
    quantiles = np.linspace(0.0, 1.0, 1024)
    projected = []
    for picture in (image, reference):
        lab = rgb2lab(np.clip(picture, 0.0, 1.0)).reshape(-1, 3)
        if len(lab) > COLOUR_SAMPLES:
            lab = lab[rng.choice(len(lab), COLOUR_SAMPLES, replace=False)]
        projected.append(np.quantile(lab @ directions, quantiles, axis=0))
    return float(np.mean(np.abs(projected[0] - projected[1])))


def _at_structure_scale(image: np.ndarray) -> np.ndarray:
    """Luminance resized (with anti-aliasing) to STRUCTURE_SIDE on the longer side."""
    grey = rgb2gray(np.clip(image, 0.0, 1.0))
    factor = STRUCTURE_SIDE / max(grey.shape)
    shape = (max(8, round(grey.shape[0] * factor)), max(8, round(grey.shape[1] * factor)))
    return resize(grey, shape, anti_aliasing=True)


def structure(result: np.ndarray, photo: np.ndarray) -> tuple[float, float]:
    """(SSIM, edge correlation) of the result's luminance against the photo's, both resized to
    STRUCTURE_SIDE px: the layout of objects, not the fine texture a style adds."""
    a, b = _at_structure_scale(result), _at_structure_scale(photo)
    if a.shape != b.shape:
        a = resize(a, b.shape, anti_aliasing=True)
    ssim = structural_similarity(a, b, data_range=1.0)
    edges_a, edges_b = (np.hypot(ndimage.sobel(x, 0), ndimage.sobel(x, 1)).ravel() for x in (a, b))
    if edges_a.std() == 0 or edges_b.std() == 0:
        return float(ssim), 0.0
    return float(ssim), float(np.corrcoef(edges_a, edges_b)[0, 1])


CONTOUR_SIDE = 64  # main contours: the strongest edges with the image at this longer side, blurred a pixel
CONTOUR_SHARE = 0.1  # the photo's strongest tenth of edge pixels are its main contours


def contour_recall(result: np.ndarray, photo: np.ndarray) -> float:
    """The share of the photo's main contours (its strongest CONTOUR_SHARE of edge pixels at
    CONTOUR_SIDE px) that lie within a pixel of one of the result's strongest 2 x CONTOUR_SHARE: 1 when
    every contour is kept; about 0.5 for noise, the chance level of that tolerance."""
    found, wanted = _contour_strength(result), _contour_strength(photo)
    if found.shape != wanted.shape:
        found = resize(found, wanted.shape)
    main = wanted >= np.quantile(wanted, 1 - CONTOUR_SHARE)
    kept = ndimage.binary_dilation(found >= np.quantile(found, 1 - 2 * CONTOUR_SHARE))
    return float((main & kept).sum() / max(main.sum(), 1))


def _contour_strength(image: np.ndarray) -> np.ndarray:
    grey = rgb2gray(np.clip(image, 0.0, 1.0))
    factor = CONTOUR_SIDE / max(grey.shape)
    grey = resize(grey, (max(8, round(grey.shape[0] * factor)), max(8, round(grey.shape[1] * factor))), anti_aliasing=True)
    grey = ndimage.gaussian_filter(grey, 1.0)
    return np.hypot(ndimage.sobel(grey, 0), ndimage.sobel(grey, 1))


def band_energies(image: np.ndarray) -> np.ndarray:
    """The share of the luminance's detail energy in each of BANDS octaves: band k is the difference
    of Gaussian blurs of sigma 2**(k-1) and 2**k pixels (band 0: the image less a 1 px blur)."""
    grey = rgb2gray(np.clip(image, 0.0, 1.0)).astype(np.float64)
    blurs = [grey] + [ndimage.gaussian_filter(grey, 2.0**k, mode="reflect") for k in range(BANDS)]
    energy = np.array([np.mean((finer - coarser) ** 2) for finer, coarser in zip(blurs, blurs[1:])])
    return energy / max(energy.sum(), 1e-12)


def stroke_scale(image: np.ndarray) -> float:
    """The marks' typical size in pixels: 2 to the power of the energy-weighted mean band."""
    return float(2.0 ** np.dot(band_energies(image), np.arange(BANDS)))


def flat_hatching(result: np.ndarray, photo: np.ndarray) -> float:
    """RMS of the result's detail finer than a 2 px blur, in levels of 255, over the photo's flattest
    quarter (lowest gradient at a 2 px scale)."""
    grey = rgb2gray(np.clip(result, 0.0, 1.0)).astype(np.float64)
    flat = rgb2gray(np.clip(resize(photo, result.shape[:2], anti_aliasing=True), 0.0, 1.0))
    gradient = ndimage.gaussian_gradient_magnitude(flat, 2.0)
    quiet = gradient <= np.quantile(gradient, 0.25)
    fine = grey - ndimage.gaussian_filter(grey, 2.0)
    return float(np.sqrt(np.mean(fine[quiet] ** 2)) * 255)


def border_strip(result: np.ndarray, photo: np.ndarray) -> float:
    """How much lighter or darker the result's outermost 2 rows (or columns) are than the next 6, beyond
    the photo's own step there, in levels of 255: the largest over the four edges. A strip painted
    along a border (zero padding read as an edge) scores 15-30; texture alone a few levels."""
    def steps(image: np.ndarray) -> np.ndarray:
        grey = rgb2gray(np.clip(image, 0.0, 1.0)) * 255
        sides = (grey, grey[::-1], grey.T, grey.T[::-1])
        return np.array([side[:2].mean() - side[2:8].mean() for side in sides])

    reference = resize(photo, result.shape[:2], anti_aliasing=True)
    return float(np.abs(steps(result) - steps(reference)).max())


def blockiness(image: np.ndarray) -> float:
    """How much the image's fine detail runs along the pixel grid: 0 for isotropic texture (brush
    strokes, photos: 0.00 to 0.26 for the images in assets/ at 128 to 512 px), 1 for pure horizontal
    and vertical steps, the staircase that an (anisotropic) L1 total-variation term leaves.

    The statistic is the TV-L1 against TV-L2 ratio r = sum(|dx| + |dy|) / sum(sqrt(dx^2 + dy^2)),
    which is 4/pi on average for edges at every angle and 1 when every edge is axis-aligned, mapped to
    (4/pi - r) / (4/pi - 1). It is taken on the image's detail (the image minus a Gaussian blur of
    BLUR_SIGMA px, less ROUNDING), so a smooth gradient, whatever its direction or bit depth, has no
    detail and scores 0.
    """
    picture = np.asarray(image, np.float64)
    detail = picture - ndimage.gaussian_filter(picture, (BLUR_SIGMA, BLUR_SIGMA, 0), mode="nearest")
    border = int(4 * BLUR_SIGMA) + 1  # where the blur reached past the edge
    detail = detail[border:-border, border:-border]
    detail = np.sign(detail) * np.maximum(np.abs(detail) - ROUNDING, 0.0)  # 8-bit rounding is not detail
    dx, dy = np.diff(detail, axis=1)[:-1], np.diff(detail, axis=0)[:, :-1]
    l2 = np.sqrt(dx**2 + dy**2)
    if l2.size == 0 or l2.mean() < NO_DETAIL:
        return 0.0
    ratio = (np.abs(dx) + np.abs(dy)).sum() / l2.sum()
    return float(np.clip((4 / np.pi - ratio) / (4 / np.pi - 1), 0.0, 1.0))
