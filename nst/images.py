"""Images in and out.

Every image inside the engine is a float32 NumPy array of shape (height, width, 3) holding RGB values
in [0, 1]. This module turns files, bytes, file-like objects and PIL images into that form (EXIF
orientation applied, any mode converted to RGB, transparency composited onto white, the longer side
resized to the requested size), checks that the input is a sane image, and writes results back out.

The network side of the convention lives here too: `to_network` and `from_network` convert between
[0, 1] RGB and the Caffe-style input of Keras' VGG models (`keras.applications.vgg19.preprocess_input`:
RGB -> BGR, scaled to [0, 255], ImageNet channel means subtracted).
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import BinaryIO, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import NSTError

ImageSource = Union[str, Path, bytes, bytearray, BinaryIO, Image.Image, np.ndarray]

MAX_PIXELS = 60_000_000  # about an 8000 x 7500 photo; anything larger is refused before decoding
MAX_SIDE = 30_000
MIN_SIDE = 32  # after resizing: VGG's four poolings leave 2 x 2 locations at block5

IMAGENET_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)


def load_image(source: ImageSource, size: int | None = None, name: str = "image") -> np.ndarray:
    """Read `source` and return it as RGB in [0, 1], resized so its longer side is `size` (if given).

    Raises NSTError with a readable message for anything that is not a usable image.
    """
    image = _open(source, name)
    rgb = _to_rgb(image, name)
    if size is not None:
        rgb = resize_longer_side(rgb, size, name)
    return np.asarray(rgb, dtype=np.float32) / 255.0


def resize_longer_side(image: Image.Image, size: int, name: str = "image") -> Image.Image:
    """Resize a PIL image so that its longer side is `size` pixels, keeping the aspect ratio."""
    width, height = image.size
    scale = size / max(width, height)
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if min(new_size) < MIN_SIDE:
        raise NSTError(
            f"The {name} is too narrow: at {size} px its shorter side would be {min(new_size)} px, "
            f"and the network needs at least {MIN_SIDE} px. Use a larger size or a less elongated image."
        )
    if new_size == image.size:
        return image
    return image.resize(new_size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def resize_array(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Resize a [0, 1] RGB array to (height, width) with Lanczos resampling."""
    if image.shape[:2] == tuple(shape):
        return image
    channels = [
        Image.fromarray(image[..., c].astype(np.float32), mode="F").resize(
            (shape[1], shape[0]), Image.Resampling.LANCZOS
        )
        for c in range(3)
    ]
    return np.clip(np.stack([np.asarray(c) for c in channels], axis=-1), 0.0, 1.0)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """A [0, 1] float image as uint8, rounded."""
    return np.clip(np.rint(np.asarray(image) * 255.0), 0, 255).astype(np.uint8)


def to_pil(image: np.ndarray) -> Image.Image:
    return Image.fromarray(to_uint8(image), mode="RGB")


def save_image(image: np.ndarray, path: str | Path) -> Path:
    """Write a [0, 1] image; the format follows the file extension (PNG, JPEG, WebP, ...)."""
    path = Path(path)
    try:
        to_pil(image).save(path)
    except (ValueError, KeyError) as exc:
        raise NSTError(f"Cannot write {path.name}: unknown image format '{path.suffix}'. Use .png or .jpg.") from exc
    except OSError as exc:
        raise NSTError(f"Cannot write {path}: {exc.strerror or exc}") from exc
    return path


def encode_png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    to_pil(image).save(buffer, format="PNG")
    return buffer.getvalue()


def to_network(image):
    """[0, 1] RGB (array or tensor, ..., 3) -> VGG's Caffe preprocessing (BGR, 0..255, mean removed)."""
    return image[..., ::-1] * 255.0 - IMAGENET_MEAN_BGR


def from_network(x):
    """Inverse of `to_network`: Caffe-preprocessed BGR -> [0, 1] RGB (not clipped)."""
    return (x + IMAGENET_MEAN_BGR)[..., ::-1] / 255.0


def _open(source: ImageSource, name: str) -> Image.Image:
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, np.ndarray):
        return _from_array(source, name)
    if isinstance(source, (bytes, bytearray)):
        stream: BinaryIO | Path = io.BytesIO(source)
    elif isinstance(source, (str, Path)):
        stream = Path(source)
        if not stream.is_file():
            raise NSTError(f"The {name} file '{source}' does not exist.")
    elif hasattr(source, "read"):
        if hasattr(source, "seek"):
            source.seek(0)
        stream = io.BytesIO(source.read())
    else:
        raise NSTError(f"The {name} must be a file path, bytes or an image, not {type(source).__name__}.")
    if isinstance(stream, io.BytesIO) and stream.getbuffer().nbytes == 0:
        raise NSTError(f"The {name} is empty (0 bytes).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(stream)
            _check_dimensions(image.size, name)
            image.seek(0)  # first frame of animations
            image.load()
    except NSTError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise NSTError(f"The {name} is too large to open safely ({exc}).") from exc
    except UnidentifiedImageError as exc:
        raise NSTError(
            f"The {name} is not an image this app can read. Use PNG, JPEG, WebP, BMP, GIF or TIFF."
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise NSTError(f"The {name} could not be decoded; the file looks damaged or truncated ({exc}).") from exc
    return image


def _check_dimensions(size: tuple[int, int], name: str) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise NSTError(f"The {name} has no pixels ({width} x {height}).")
    if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
        raise NSTError(
            f"The {name} is {width} x {height} pixels, more than the {MAX_PIXELS // 1_000_000} megapixels "
            f"(and {MAX_SIDE} px per side) this app opens. Shrink it first."
        )


def _from_array(array: np.ndarray, name: str) -> Image.Image:
    array = np.asarray(array)
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=-1)
    if array.ndim != 3 or array.shape[-1] not in (3, 4):
        raise NSTError(f"The {name} array must have shape (height, width, 3), got {array.shape}.")
    _check_dimensions((array.shape[1], array.shape[0]), name)
    if array.dtype != np.uint8:
        array = to_uint8(array)
    return Image.fromarray(array[..., :3], mode="RGB")


def _to_rgb(image: Image.Image, name: str) -> Image.Image:
    """Apply EXIF orientation and convert any mode to 8-bit RGB, transparency onto white."""
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # a broken EXIF block should not stop an otherwise fine photo
        pass
    mode = image.mode
    if mode.startswith("I") or mode == "F":  # 16/32-bit integer or float greyscale
        values = np.asarray(image, dtype=np.float64)
        top = 1.0 if mode == "F" and values.max() <= 1.0 else 65535.0 if values.max() > 255 else 255.0
        grey = np.clip(values / top * 255.0, 0, 255).round().astype(np.uint8)
        return Image.fromarray(grey, mode="L").convert("RGB")
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    try:
        return image.convert("RGB")
    except (ValueError, OSError) as exc:
        raise NSTError(f"The {name} uses colour mode {mode}, which cannot be converted to RGB.") from exc
