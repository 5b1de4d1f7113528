"""Regions of the photo for semantic style transfer: which style paints where.

A run with regions takes one mask per style image (H x W, 1 where that style applies, 0 where it
does not; where every mask is 0 the photo is kept). Masks come from five places:

- `segment`: automatic regions. SLIC superpixels (scikit-image) follow the photo's edges; each
  superpixel is described by its mean colour in CIELAB, its texture (spread of lightness and of
  gradient strength) and its height in the picture, and k-means (SciPy) groups them into K regions.
  This needs no network, so the studio can show the map and let the user pick a style per region
  before a run, in a server that never loads TensorFlow.
- `nst/people.py`: regions a person would name (the person, the background; the face, hair and
  body), from MediaPipe's segmentation and face models, soft at their borders by their own probabilities.
- a map painted by hand in the studio, kept as text in the run's settings (nst/maps.py).
- `masks_from_colour_map`: one image with one flat colour per region (as painted in an editor).
- `load_mask`: one greyscale image per style, white where that style applies.

`soften` blurs the borders so neighbouring regions blend instead of meeting at a seam.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import NSTError
from .images import ImageSource, load_image, resize_array
from .maps import MAX_REGIONS, decode_map, resize_labels

MIN_SHARE = 0.01  # of a mask image's pixels: a smaller colour is noise, not a region
REGION_COLOURS = np.array(  # distinct, colour-blind-friendly (Okabe-Ito), region 1 first
    [[230, 159, 0], [86, 180, 233], [0, 158, 115], [240, 228, 66], [0, 114, 178], [213, 94, 0], [204, 121, 167],
     [120, 120, 120]], dtype=np.float32,
) / 255.0


def segment(image: np.ndarray, regions: int, seed: int = 0) -> np.ndarray:
    """Split an (H, W, 3) image in [0, 1] into `regions` regions; returns (H, W) labels 0..regions-1,
    numbered from the top of the picture down (a sky is usually region 0)."""
    from scipy.cluster.vq import kmeans2
    from skimage.color import rgb2lab
    from skimage.filters import sobel
    from skimage.segmentation import slic

    if not 1 <= regions <= MAX_REGIONS:
        raise NSTError(f"The number of regions must be from 1 to {MAX_REGIONS}, got {regions}.")
    height, width = image.shape[:2]
    superpixels = slic(image, n_segments=max(50, 40 * regions), compactness=10, start_label=0)
    count = superpixels.max() + 1
    lab = rgb2lab(image)
    edges = sobel(lab[..., 0])
    rows = np.broadcast_to(np.arange(height, dtype=np.float32)[:, None] / height, (height, width))

    def mean(values: np.ndarray) -> np.ndarray:
        return np.bincount(superpixels.ravel(), values.ravel(), count) / np.maximum(sizes, 1)

    sizes = np.bincount(superpixels.ravel(), minlength=count).astype(np.float64)
    lightness = mean(lab[..., 0])
    spread = np.sqrt(np.maximum(mean(lab[..., 0] ** 2) - lightness**2, 0.0))
    descriptors = np.stack(
        [lightness / 10, mean(lab[..., 1]) / 10, mean(lab[..., 2]) / 10,  # colour: 10 Lab units ~ 1
         spread / 5, mean(edges) / 5,  # texture
         mean(rows) * 2],  # height in the picture, weakly: regions may be anywhere
        axis=1,
    )
    if regions >= count:
        regions = count
    _, assignment = kmeans2(descriptors, regions, minit="++", seed=seed)
    labels = assignment[superpixels]
    # renumber from the top down, dropping any empty cluster
    present = np.unique(labels)
    order = sorted(present, key=lambda r: float(np.mean(np.nonzero(labels == r)[0])))
    lookup = np.zeros(labels.max() + 1, dtype=np.int32)
    lookup[order] = np.arange(len(order))
    return lookup[labels]


def masks_from_labels(labels: np.ndarray, styles_of_regions: Sequence[int], styles: int) -> list[np.ndarray]:
    """One mask per style from a region map: region r is painted with style styles_of_regions[r]
    (1-based; 0 keeps the photo there)."""
    return masks_from_maps([labels == r for r in range(int(labels.max()) + 1)], styles_of_regions, styles)


def masks_from_maps(maps: Sequence[np.ndarray], styles_of_regions: Sequence[int], styles: int) -> list[np.ndarray]:
    """One mask per style from one (H, W) map per region (hard or soft): each style's mask is the sum of
    the maps of the regions styles_of_regions gives it (1-based; 0 keeps the photo there)."""
    if len(styles_of_regions) != len(maps):
        raise NSTError(f"Give one style number per region: {len(maps)} regions, {len(styles_of_regions)} numbers.")
    for number in styles_of_regions:
        if not 0 <= number <= styles:
            raise NSTError(f"Region style numbers go from 0 (keep the photo) to {styles}, got {number}.")
    empty = np.zeros(maps[0].shape, np.float32)
    return [sum((np.asarray(m, np.float32) for m, s in zip(maps, styles_of_regions) if s == k), empty)
            for k in range(1, styles + 1)]


def labels_of(maps: Sequence[np.ndarray]) -> np.ndarray:
    """The region map of soft region maps: each pixel in the region most likely there."""
    return np.argmax(np.stack(maps), axis=0).astype(np.int32)


def masks_from_colour_map(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An (H, W, 3) map with one flat colour per region -> (labels, the colours in label order).

    Colours are rounded to 1/16 steps, and colours covering under MIN_SHARE of the map (a JPEG's colour
    noise, anti-aliased borders) go to the nearest region colour; at most MAX_REGIONS colours are taken."""
    quantised = np.round(image * 15).astype(np.int32)
    keys = quantised[..., 0] * 256 + quantised[..., 1] * 16 + quantised[..., 2]
    values, counts = np.unique(keys, return_counts=True)
    order = np.argsort(-counts)
    common = values[order][counts[order] >= MIN_SHARE * keys.size][:MAX_REGIONS]
    if common.size == 0:
        common = values[order][:1]
    colours = np.stack([common // 256, common // 16 % 16, common % 16], axis=1) / 15.0
    distances = ((quantised[..., None, :] / 15.0 - colours[None, None]) ** 2).sum(-1)
    return np.argmin(distances, axis=-1).astype(np.int32), colours.astype(np.float32)


def load_mask(source: ImageSource, shape: tuple[int, int], what: str = "mask") -> np.ndarray:
    """A greyscale mask file (white where its style applies) as an (H, W) array in [0, 1] of `shape`."""
    mask = load_image(source, max(shape), what, narrow_ok=True)
    return resize_array(mask, shape).mean(axis=-1)


def resize_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """An (H, W) mask in [0, 1] resized to (height, width), bilinear."""
    if mask.shape == tuple(shape):
        return mask
    from PIL import Image

    resized = Image.fromarray(mask.astype(np.float32), mode="F").resize((shape[1], shape[0]), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(resized), 0.0, 1.0)


def default_segment_styles(regions: int, styles: int) -> tuple[int, ...]:
    """Style numbers for automatic regions when none are given: the styles in turn, from the top."""
    return tuple(r % styles + 1 for r in range(regions))


def style_masks(
    content: np.ndarray,
    styles: int,
    masks: Sequence[ImageSource] | None,
    segments: int,
    segment_styles: Sequence[int] | None,
    seed: int = 0,
    segmenter: str = "colours",
    region_map: str | None = None,
) -> list[np.ndarray] | None:
    """One soft (H, W) mask per style for a content image, from mask files or automatic regions (of
    `segments` colours, or of a person by `segmenter`: nst/people.py, whose masks are its models' own
    probabilities); None when the run has no regions (every style everywhere)."""
    shape = content.shape[:2]
    if masks is not None:
        if len(masks) != styles:
            raise NSTError(f"Give one mask per style image: {styles} style images, {len(masks)} masks.")
        hard = [m if isinstance(m, np.ndarray) and m.ndim == 2 else load_mask(m, shape, f"mask {k + 1}")
                for k, m in enumerate(masks)]
        hard = [resize_mask(m, shape) for m in hard]
    elif region_map is not None:  # painted by hand: enlarged to the photo, its borders blurred like any map's
        labels = decode_map(region_map)
        count = int(labels.max()) + 1  # the map's own count: a small region may vanish in the resize
        fitted = resize_labels(labels, shape)
        hard = masks_from_maps([fitted == r for r in range(count)],
                               segment_styles or default_segment_styles(count, styles), styles)
    elif segmenter != "colours":
        from .people import region_probabilities

        maps = region_probabilities(content, segmenter)
        return masks_from_maps(maps, segment_styles or default_segment_styles(len(maps), styles), styles)
    elif segments:
        labels = segment(content, segments, seed)
        hard = masks_from_labels(labels, segment_styles or default_segment_styles(int(labels.max()) + 1, styles), styles)
    else:
        return None
    return soften(hard)


def soften(masks: Sequence[np.ndarray], border: float = 0.02) -> list[np.ndarray]:
    """Blur each mask's border over about `border` x the image's longer side, so regions blend."""
    from scipy.ndimage import gaussian_filter

    return [np.clip(gaussian_filter(m.astype(np.float32), sigma=border * max(m.shape)), 0.0, 1.0) for m in masks]


def region_map(labels: np.ndarray) -> np.ndarray:
    """(H, W, 3) picture of a label map, one colour per region (region 1 orange, 2 sky blue, …)."""
    return REGION_COLOURS[labels % len(REGION_COLOURS)]


def overlay(image: np.ndarray, labels: np.ndarray, opacity: float = 0.6) -> np.ndarray:
    """The region map over the photo, for showing which region is which: each region in its colour,
    outlined, with its number in a disc of its colour at its most interior point (a colour seen through
    the photo is not always the colour its name says; the number is)."""
    from PIL import Image, ImageDraw
    from scipy.ndimage import distance_transform_edt

    shown = (1 - opacity) * image + opacity * region_map(labels)
    edges = np.zeros(labels.shape, bool)
    edges[1:] |= labels[1:] != labels[:-1]
    edges[:, 1:] |= labels[:, 1:] != labels[:, :-1]
    shown[edges] = 0.1
    picture = Image.fromarray((np.clip(shown, 0, 1) * 255).astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    radius = max(7, round(max(labels.shape) / 28))
    for region in np.unique(labels):
        inside = distance_transform_edt(np.pad(labels == region, 1))[1:-1, 1:-1]
        y, x = np.unravel_index(np.argmax(inside), inside.shape)
        colour = tuple(int(c * 255) for c in REGION_COLOURS[region % len(REGION_COLOURS)])
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour, outline=(20, 20, 20), width=2)
        draw.text((x, y), str(region + 1), fill=(20, 20, 20), anchor="mm", font_size=round(radius * 1.3))
    return np.asarray(picture, np.float32) / 255.0
