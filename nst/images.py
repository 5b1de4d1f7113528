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
import struct
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, UnidentifiedImageError

from .errors import NSTError, os_reason
from .structure import check_structure

ImageSource = str | Path | bytes | bytearray | memoryview | BinaryIO | Image.Image | np.ndarray

# Limits on untrusted files, all checked before any pixel is decoded (README, "Limits")
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")  # Pillow plugin names; JPEG includes MPO (phones)
FORMAT_NAMES = "PNG, JPEG, WebP, BMP, GIF or TIFF"
MAX_FILE_BYTES = 200 * 2**20
MAX_PIXELS = 60_000_000  # about an 8000 x 7500 photo
MAX_SIDE = 30_000
MAX_DECODED_BYTES = 256 * 2**20  # working memory of a decode (see decoded_bytes): 60 MP of RGB, 32 MP with alpha
MIN_SIDE = 32  # after resizing: VGG's four poolings leave 2 x 2 locations at block5
MAX_ASPECT = 32  # a style image may be this elongated (it is enlarged until its shorter side is MIN_SIDE)

# what Pillow raises for a file it cannot parse or decode
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error)

IMAGENET_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)


def load_image(source: ImageSource, size: int | None = None, name: str = "image", narrow_ok: bool = False) -> np.ndarray:
    """Read `source` and return it as RGB in [0, 1], resized so its longer side is `size` (if given).

    An image whose shorter side would then be under MIN_SIDE is refused, or with `narrow_ok` (style
    images, whose shape is free) made larger until it is MIN_SIDE. Raises NSTError with a readable
    message for anything that is not a usable image.
    """
    image = _open(source, name)
    return np.asarray(_decode(image, size, name, narrow_ok), dtype=np.float32) / 255.0


def check_image(source: ImageSource, name: str = "image") -> None:
    """Refuse what `load_image` would refuse from the file and its header, without decoding the pixels."""
    _open(source, name).close()


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
    """Identify `source` as one of the supported formats (header only: nothing decoded yet)."""
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, np.ndarray):
        return _from_array(source, name)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, Path)):
        data = _read_file(Path(source), name)
    elif hasattr(source, "read"):
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(MAX_FILE_BYTES + 1)
        if not isinstance(data, bytes):
            raise NSTError(f"The {name} must be read in binary mode.")
    else:
        raise NSTError(f"The {name} must be a file path, bytes or an image, not {type(source).__name__}.")
    if not data:
        raise NSTError(f"The {name} is empty (0 bytes).")
    if len(data) > MAX_FILE_BYTES:
        raise _too_big(name)
    check_structure(data, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            _check_dimensions(image.size, image.mode, name)
            image.seek(0)  # first frame of animations
    except NSTError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise NSTError(_too_large(name, "")) from None
    except UnidentifiedImageError:
        raise NSTError(f"The {name} is not an image this app reads. Use {FORMAT_NAMES}.") from None
    except DECODE_ERRORS as exc:
        raise _damaged(name, exc) from None
    return image


def _read_file(path: Path, name: str) -> bytes:
    """The bytes of a regular file, with a message for every way a path can be wrong."""
    try:
        if not path.exists():
            raise NSTError(f"The {name} file '{_shorten(path)}' does not exist.")
        if path.is_dir():
            raise NSTError(f"The {name} '{_shorten(path)}' is a folder, not an image file.")
        if not path.is_file():
            raise NSTError(f"The {name} '{_shorten(path)}' is not a regular file (a pipe or a device?).")
        if path.stat().st_size > MAX_FILE_BYTES:  # refused before it is read into memory
            raise _too_big(name)
        return path.read_bytes()
    except NSTError:
        raise
    except OSError as exc:  # a name too long, no permission, an I/O error
        raise NSTError(f"Cannot read the {name} '{_shorten(path)}': {os_reason(exc)}.") from None


def _shorten(path: Path | str, limit: int = 80) -> str:
    text = str(path)
    return text if len(text) <= limit else text[: limit // 2] + "…" + text[-limit // 2 :]


def _damaged(name: str, exc: Exception) -> NSTError:
    text = str(exc) or type(exc).__name__
    brief = text if len(text) <= 120 else text[:117] + "..."
    return NSTError(f"The {name} could not be decoded; the file looks damaged or truncated ({brief}).")


def _too_big(name: str) -> NSTError:
    return NSTError(f"The {name} is larger than {MAX_FILE_BYTES // 2**20} MB; this app opens smaller files.")


def _too_large(name: str, dimensions: str) -> str:
    return (
        f"The {name}{dimensions} is larger than this app opens: at most {MAX_PIXELS // 1_000_000} megapixels, "
        f"{MAX_SIDE:,} px per side and {MAX_DECODED_BYTES // 2**20} MB decoded. Shrink it first."
    )


def decoded_bytes(size: tuple[int, int], mode: str) -> int:
    """Memory the loader needs to decode an image of this size and mode and shrink it (see `_decode`):
    Pillow stores 1, 2 or 4 bytes per pixel; '1' and 'P' are converted at full size first (to L, and to
    RGB or RGBA), and resizing an image with alpha makes a premultiplied copy."""
    per_pixel = {"1": 2, "L": 1, "P": 9, "I": 4, "F": 4, "LA": 8, "La": 8, "PA": 8, "RGBA": 8, "RGBa": 8}
    default = 2 if mode.startswith("I;16") else 4
    return size[0] * size[1] * per_pixel.get(mode, default)


def _check_dimensions(size: tuple[int, int], mode: str, name: str) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise NSTError(f"The {name} has no pixels ({width} x {height}).")
    if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS or decoded_bytes(size, mode) > MAX_DECODED_BYTES:
        raise NSTError(_too_large(name, f" ({width} x {height} px)"))


def _from_array(array: np.ndarray, name: str) -> Image.Image:
    array = np.asarray(array)
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=-1)
    if array.ndim != 3 or array.shape[-1] not in (3, 4):
        raise NSTError(f"The {name} array must have shape (height, width, 3), got {array.shape}.")
    _check_dimensions((array.shape[1], array.shape[0]), "RGB", name)
    if array.dtype != np.uint8:
        array = to_uint8(array)
    return Image.fromarray(array[..., :3], mode="RGB")


def _decode(image: Image.Image, size: int | None, name: str, narrow_ok: bool = False) -> Image.Image:
    """Decode, at the target size where the format allows it, and shrink before converting.

    Memory stays near one decoded copy: JPEGs decode at 1/2, 1/4 or 1/8 scale when that still covers
    `size` (libjpeg's DCT scaling); everything else is resized in its own mode (8 or 16 bit, with
    alpha), and only the small result is converted to RGB and rotated upright.
    """
    orientation = _orientation(image)
    target = _target_size(image.size, size, name, narrow_ok) if size is not None else image.size
    try:
        if image.format in ("JPEG", "MPO") and target != image.size:
            image.draft(image.mode, target)
        image.load()
        if image.mode == "1":
            image = image.convert("L")
        elif image.mode == "P":
            image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        if image.size != target:  # Pillow's integer pre-reduction (reducing_gap) has no 16-bit version
            gap = None if image.mode.startswith("I;16") else 3.0
            image = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=gap)
    except DECODE_ERRORS as exc:
        raise _damaged(name, exc) from None
    except MemoryError:
        raise NSTError(_too_large(name, "")) from None
    rgb = _to_rgb(image, name)
    return rgb.transpose(orientation) if orientation is not None else rgb


def _target_size(shape: tuple[int, int], size: int, name: str, narrow_ok: bool = False) -> tuple[int, int]:
    width, height = shape
    scale = size / max(width, height)
    if narrow_ok and max(width, height) <= MAX_ASPECT * min(width, height):
        scale = max(scale, MIN_SIDE / min(width, height))
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if min(new_size) < MIN_SIDE:
        raise NSTError(
            f"The {name} is too narrow: at {size} px its shorter side would be {min(new_size)} px, "
            f"and the network needs at least {MIN_SIDE} px. Use a larger size or a less elongated image."
        )
    return new_size


_TRANSPOSES = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orientation(image: Image.Image) -> Image.Transpose | None:
    """The EXIF orientation as a transpose (rotations keep the longer side, so it can wait until after
    resizing); a broken EXIF block should not stop an otherwise fine photo."""
    try:
        return _TRANSPOSES.get(image.getexif().get(0x0112))
    except Exception:
        return None


def _to_rgb(image: Image.Image, name: str) -> Image.Image:
    """Convert any mode to 8-bit RGB, transparency onto white."""
    mode = image.mode
    if mode.startswith("I") or mode == "F":  # 16/32-bit integer or float greyscale
        values = np.asarray(image, dtype=np.float32)
        peak = float(values.max()) if values.size else 0.0
        top = 1.0 if mode == "F" and peak <= 1.0 else 65535.0 if peak > 255 else 255.0
        grey = np.clip(values / top * 255.0, 0, 255).round().astype(np.uint8)
        return Image.fromarray(grey, mode="L").convert("RGB")
    if mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    try:
        return image.convert("RGB")
    except (ValueError, OSError) as exc:
        raise NSTError(f"The {name} uses colour mode {mode}, which cannot be converted to RGB.") from exc
