"""A region map painted by hand, as text: small enough for a link and a settings file, and safe to
read from anyone (its size, its unpacked size and its region numbers are checked before use).

The text is ``HxW.`` followed by the map's region numbers (one byte per pixel, row by row),
zlib-compressed and base64url-encoded. Maps are kept at most MAP_SIDE pixels on their longer side;
a run enlarges them to the photo (nearest neighbour) and blurs the borders like any region map.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib

import numpy as np

from .errors import NSTError

MAP_SIDE = 128  # the longer side of a painted map as kept
MAX_REGIONS = 8
MAX_CHARS = 24_000  # a map of MAP_SIDE x MAP_SIDE at its noisiest is about 22 000 characters
_FORMAT = re.compile(r"(\d{1,3})x(\d{1,3})\.([A-Za-z0-9_-]+={0,2})")


def resize_labels(labels: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """An (h, w) map of region numbers at (height, width), nearest neighbour (each pixel takes the
    region under its centre): no new region numbers at the borders."""
    rows = np.minimum((np.arange(shape[0]) + 0.5) * labels.shape[0] / shape[0], labels.shape[0] - 1).astype(int)
    cols = np.minimum((np.arange(shape[1]) + 0.5) * labels.shape[1] / shape[1], labels.shape[1] - 1).astype(int)
    return labels[rows][:, cols]


def encode_map(labels: np.ndarray) -> str:
    """The text of an (H, W) map of region numbers 0..MAX_REGIONS-1, made at most MAP_SIDE on its
    longer side first (nearest neighbour)."""
    labels = np.asarray(labels)
    height, width = labels.shape
    scale = MAP_SIDE / max(height, width)
    if scale < 1.0:
        labels = resize_labels(labels, (max(1, round(height * scale)), max(1, round(width * scale))))
    packed = base64.urlsafe_b64encode(zlib.compress(labels.astype(np.uint8).tobytes(), 9)).decode("ascii")
    return f"{labels.shape[0]}x{labels.shape[1]}.{packed}"


def decode_map(text: str) -> np.ndarray:
    """The (H, W) int32 map of region numbers in a map's text; NSTError, in words, for anything else."""
    if not isinstance(text, str) or len(text) > MAX_CHARS:
        raise NSTError(f"region_map must be a painted map's text of at most {MAX_CHARS} characters.")
    found = _FORMAT.fullmatch(text)
    if not found:
        raise NSTError("region_map is not a painted map (expected HxW. and the map's data, as the studio writes it).")
    height, width = int(found[1]), int(found[2])
    if not (1 <= height <= MAP_SIDE and 1 <= width <= MAP_SIDE):
        raise NSTError(f"region_map is {height}x{width}: a painted map is 1 to {MAP_SIDE} pixels a side.")
    try:
        unpacker = zlib.decompressobj()
        data = unpacker.decompress(base64.urlsafe_b64decode(found[3]), height * width + 1)
    except (binascii.Error, ValueError, zlib.error):
        raise NSTError("region_map's data is damaged (it does not unpack).") from None
    if len(data) != height * width or unpacker.unconsumed_tail:
        raise NSTError(f"region_map's data does not hold {height}x{width} pixels.")
    labels = np.frombuffer(data, np.uint8).reshape(height, width).astype(np.int32)
    if labels.max() >= MAX_REGIONS:
        raise NSTError(f"region_map has region {labels.max() + 1}: a painted map has at most {MAX_REGIONS} regions.")
    return labels
