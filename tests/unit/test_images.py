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


# ---- hostile files (issue 9) ------------------------------------------------------------------------

import subprocess  # noqa: E402
import sys  # noqa: E402
import textwrap  # noqa: E402

from tests.harness.corpus import UNSUPPORTED, block_gif, empty_chunk_png, fuzz_corpus, junk_jpeg, marker_jpeg, sparse_png  # noqa: E402
from tests.harness.paths import ROOT  # noqa: E402

PILLOW_INTERNALS = ("DecompressionBomb", "DOS attack", "PIL.", "Traceback", "cannot identify image file")


def test_fuzz_corpus_gives_images_or_one_readable_sentence():
    corpus = list(fuzz_corpus())
    assert len(corpus) >= 200
    outcomes = {"loaded": 0, "refused": 0}
    for name, data in corpus:
        try:
            image = load_image(data, 64, "upload")
        except NSTError as exc:
            message = str(exc)
            assert message.startswith("The upload") and "\n" not in message and len(message) < 400, (name, message)
            assert not any(internal in message for internal in PILLOW_INTERNALS), (name, message)
            outcomes["refused"] += 1
        else:  # anything else (an exception of another type) fails the test with its traceback
            assert image.dtype == np.float32 and max(image.shape[:2]) == 64 and image.shape[2] == 3, name
            assert np.isfinite(image).all() and 0 <= image.min() and image.max() <= 1, name
            outcomes["loaded"] += 1
    assert outcomes["loaded"] >= 40 and outcomes["refused"] >= 60, outcomes


@pytest.mark.parametrize("fmt", [f for f in UNSUPPORTED])
def test_formats_outside_the_supported_list_are_never_decoded(fmt):
    data = dict(fuzz_corpus()).get(f"unsupported-{fmt.lower()}")
    if data is None:
        pytest.skip(f"this Pillow cannot write {fmt}")
    with pytest.raises(NSTError, match="not an image this app reads. Use PNG, JPEG, WebP, BMP, GIF or TIFF"):
        load_image(data)


@pytest.mark.parametrize(
    "data",
    [empty_chunk_png(2_000_000), marker_jpeg(2_000_000), junk_jpeg(5_000_000), block_gif(2_000_000)],
    ids=["png-empty-chunks", "jpeg-empty-markers", "jpeg-stray-bytes", "gif-empty-blocks"],
)
def test_files_too_fragmented_to_parse_quickly_are_refused(data):
    # each of these costs Pillow 10-15 s of CPU to open; the structure check refuses them first
    with pytest.raises(NSTError, match="not a well-formed image file"):
        load_image(data)


def test_fragmented_but_reasonable_files_still_load():
    for data in (empty_chunk_png(500), marker_jpeg(200), junk_jpeg(100), block_gif(1000)):
        assert load_image(data, 64).shape == (64, 64, 3)


def test_the_pixel_limit_counts_bytes_per_pixel():
    from nst.images import MAX_DECODED_BYTES, decoded_bytes

    # 7745 x 7745 is under the 60 megapixel limit; with alpha it needs more than the decode budget
    assert decoded_bytes((7745, 7745), "I;16") < decoded_bytes((7745, 7745), "RGB") <= MAX_DECODED_BYTES
    assert decoded_bytes((7745, 7745), "RGBA") > MAX_DECODED_BYTES
    with pytest.raises(NSTError, match=r"7745 x 7745 px\) is larger than this app opens"):
        load_image(sparse_png(7745, 7745, 8, 6))


MEASURE = textwrap.dedent(
    """
    import sys
    from nst.images import load_image
    def peak_kb():  # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec
        return int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])
    data = open(sys.argv[1], "rb").read()
    before = peak_kb()
    image = load_image(data, 512)
    print(image.shape[0], image.shape[1], (peak_kb() - before) // 1024)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status (Linux)")
@pytest.mark.parametrize(
    "width, height, bit_depth, colour_type",
    [(7745, 7745, 16, 0), (7745, 7745, 8, 2), (7745, 7745, 16, 2), (5600, 5600, 8, 6), (5600, 5600, 16, 4)],
    ids=["grey16-60MP", "rgb-60MP", "rgb48-60MP", "rgba-31MP", "grey-alpha16-31MP"],
)
def test_small_files_that_decode_to_huge_images_stay_within_the_memory_bound(tmp_path, width, height, bit_depth, colour_type):
    path = tmp_path / "big.png"
    path.write_bytes(sparse_png(width, height, bit_depth, colour_type))
    assert path.stat().st_size < 500_000  # a tiny upload...
    result = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, timeout=120,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
    rows, columns, grown_mb = map(int, result.stdout.split())
    assert (rows, columns) == (512, 512)
    assert grown_mb < 400  # ...that used to add 0.7-1.6 GB to the server; the goal is under 500 MB


def test_paths_that_are_not_files_say_what_they_are(tmp_path):
    import os

    with pytest.raises(NSTError, match="is a folder, not an image file"):
        load_image(tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(NSTError, match="not a regular file"):
        load_image(fifo)  # and never blocks reading it
    with pytest.raises(NSTError, match="path is too long"):
        load_image(tmp_path / ("x" * 5000 + ".png"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status (Linux)")
def test_a_large_jpeg_decodes_at_a_reduced_size(tmp_path):
    path = tmp_path / "big.jpg"
    Image.new("RGB", (7745, 7745), (90, 140, 200)).save(path, quality=50)
    result = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, timeout=120,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
    rows, columns, grown_mb = map(int, result.stdout.split())
    assert (rows, columns) == (512, 512)
    assert grown_mb < 60  # libjpeg's DCT scaling decodes 1/8 of the size: 240 MB at full size, ~4 MB here
