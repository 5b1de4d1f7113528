import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from nst import NSTError, load_image
from nst.images import encode_png, save_image


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _gradient_rgb(width=40, height=20) -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.uint8)
    array = np.zeros((height, width, 3), np.uint8)
    array[..., 0] = x
    array[..., 1] = 255 - x
    array[..., 2] = 128
    return Image.fromarray(array)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF"])
def test_formats_decode_to_rgb_floats(fmt):
    image = load_image(_encode(_gradient_rgb(), fmt))
    assert image.shape == (20, 40, 3) and image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0
    # red rises left to right in every format (lossy ones included)
    assert image[10, -1, 0] - image[10, 0, 0] > 0.8


@pytest.mark.parametrize(
    "mode, expected",
    [("L", (0.5, 0.5, 0.5)), ("1", (1.0, 1.0, 1.0)), ("P", (0.0, 0.0, 1.0)), ("CMYK", (0.0, 1.0, 1.0))],
)
def test_modes_convert_to_rgb(mode, expected):
    colours = {"L": 128, "1": 1, "P": None, "CMYK": (255, 0, 0, 0)}
    if mode == "P":
        image = Image.new("RGB", (8, 8), (0, 0, 255)).convert("P")
    else:
        image = Image.new(mode, (8, 8), colours[mode])
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    rgb = load_image(_encode(image, fmt))
    np.testing.assert_allclose(rgb[4, 4], expected, atol=0.03)


def test_transparency_is_composited_on_white():
    rgba = Image.new("RGBA", (8, 8), (255, 0, 0, 0))  # fully transparent red
    rgba.putpixel((0, 0), (255, 0, 0, 255))
    rgb = load_image(_encode(rgba, "PNG"))
    np.testing.assert_allclose(rgb[4, 4], (1, 1, 1))
    np.testing.assert_allclose(rgb[0, 0], (1, 0, 0))


def test_sixteen_bit_greyscale_keeps_its_range():
    array = np.full((8, 8), 32768, dtype=np.uint16)  # mid grey in 16 bits
    rgb = load_image(_encode(Image.fromarray(array), "PNG"))
    np.testing.assert_allclose(rgb[0, 0], (0.5, 0.5, 0.5), atol=0.01)


def test_gif_uses_the_first_frame():
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 255, 0))]
    data = _encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    np.testing.assert_allclose(load_image(data)[0, 0], (1, 0, 0), atol=0.02)


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (40, 20), (0, 0, 0))
    image.paste((255, 0, 0), (0, 0, 10, 10))  # red square at the top left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    rgb = load_image(_encode(image, "JPEG", exif=exif, quality=95))
    assert rgb.shape == (40, 20, 3)  # portrait now
    assert rgb[2, -3, 0] > 0.8 and rgb[2, 2, 0] < 0.2  # the red square moved to the top right


def test_sources_path_bytes_file_like_and_resize(tmp_path):
    data = _encode(_gradient_rgb(400, 200), "PNG")
    path = tmp_path / "photo.png"
    path.write_bytes(data)
    for source in (path, str(path), data, io.BytesIO(data)):
        assert load_image(source, size=100).shape == (50, 100, 3)
    assert load_image(data, size=800).shape == (400, 800, 3)  # small images are scaled up


def _png_with_header(width: int, height: int) -> bytes:
    """A valid 1 x 1 PNG whose IHDR claims other dimensions (CRC fixed), as a decompression bomb would."""
    data = bytearray(_encode(Image.new("L", (1, 1)), "PNG"))
    ihdr = 8 + 8  # signature, then the chunk's length and type
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", zlib.crc32(bytes(data[ihdr - 4 : ihdr + 13])))
    return bytes(data)


@pytest.mark.parametrize(
    "source, message",
    [
        (b"this is not an image at all", "not an image"),
        (b"", "empty"),
        (_png_with_header(20000, 20000), "too large|megapixels"),
        (_png_with_header(40000, 1), "megapixels"),
        ("no/such/file.png", "does not exist"),
        (12345, "must be a file path"),
    ],
)
def test_bad_input_raises_a_readable_project_error(source, message):
    with pytest.raises(NSTError, match=message):
        load_image(source)


def test_truncated_files_raise_a_project_error():
    for fmt in ("PNG", "JPEG"):
        data = _encode(_gradient_rgb(200, 200), fmt)
        with pytest.raises(NSTError, match="damaged or truncated"):
            load_image(data[: len(data) // 2])


def test_too_elongated_for_the_requested_size():
    with pytest.raises(NSTError, match="too narrow"):
        load_image(_encode(Image.new("RGB", (2000, 20)), "PNG"), size=512)


def test_save_and_encode_round_trip(tmp_path):
    image = np.random.default_rng(0).uniform(0, 1, (16, 24, 3)).astype(np.float32)
    path = save_image(image, tmp_path / "out.png")
    np.testing.assert_allclose(load_image(path), image, atol=1 / 255)
    np.testing.assert_allclose(load_image(encode_png(image)), image, atol=1 / 255)
    with pytest.raises(NSTError, match="unknown image format"):
        save_image(image, tmp_path / "out.xyz")
