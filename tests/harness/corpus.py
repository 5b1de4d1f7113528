"""Hostile and careless image files, generated (nothing downloaded), for the loader's tests and bench.

`fuzz_corpus()` yields (name, bytes) for more than 200 files: every supported format in odd modes,
truncated, bit-flipped and with lying headers; formats the app does not read; files made of empty
chunks or markers that are slow to parse; and small files that decode to huge images. Deterministic:
the same files every time.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator

import numpy as np
from PIL import Image

SUPPORTED = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")
# formats Pillow can write but the app must not decode (EPS would start Ghostscript)
UNSUPPORTED = ("PCX", "TGA", "SGI", "DDS", "QOI", "JPEG2000", "ICNS", "EPS", "PPM", "IM", "XBM", "ICO", "SPIDER")


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def sparse_png(width: int, height: int, bit_depth: int = 8, colour_type: int = 0) -> bytes:
    """A PNG of zeros, compressed row by row (a 7745 x 7745 16-bit grey one is about 117 KB)."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    row = b"\x00" * (1 + width * channels * bit_depth // 8)  # filter byte, then the pixels
    compressor, parts = zlib.compressobj(9), []
    for _ in range(height):
        parts.append(compressor.compress(row))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")


def png_with_header(width: int, height: int) -> bytes:
    """A valid 1 x 1 PNG whose IHDR claims other dimensions (CRC fixed), as a decompression bomb would."""
    data = bytearray(encode(Image.new("L", (1, 1)), "PNG"))
    ihdr = 8 + 8
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", zlib.crc32(bytes(data[ihdr - 4 : ihdr + 13])))
    return bytes(data)


def empty_chunk_png(chunks: int) -> bytes:
    """A small valid PNG with `chunks` empty ancillary chunks before its image data."""
    png = encode(Image.new("RGB", (64, 64), (200, 30, 30)), "PNG")
    ihdr_end = 8 + 25
    return png[:ihdr_end] + _chunk(b"zzZz", b"") * chunks + png[ihdr_end:]


def marker_jpeg(segments: int) -> bytes:
    """A small valid JPEG with `segments` empty COM segments after its start marker."""
    jpeg = encode(Image.new("RGB", (64, 64), (30, 30, 200)), "JPEG")
    return jpeg[:2] + b"\xff\xfe\x00\x02" * segments + jpeg[2:]


def junk_jpeg(junk: int) -> bytes:
    """A JPEG with `junk` stray bytes after its first segment (read one at a time by parsers)."""
    jpeg = encode(Image.new("RGB", (64, 64), (30, 200, 30)), "JPEG")
    end = 4 + struct.unpack(">H", jpeg[4:6])[0]  # SOI, then the APP0 segment
    return jpeg[:end] + b"\x00" * junk + jpeg[end:]


def block_gif(blocks: int) -> bytes:
    """A GIF whose comment extension has `blocks` one-byte sub-blocks before the first frame."""
    gif = encode(Image.new("P", (64, 64), 1), "GIF")
    flags = gif[10]
    start = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    return gif[:start] + b"\x21\xfe" + b"\x01x" * blocks + b"\x00" + gif[start:]


def _photo(width: int = 96, height: int = 64, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    array = np.stack([x * 255 // width, y * 255 // height, (x + y) % 256], axis=-1).astype(np.uint8)
    array[rng.random((height, width)) < 0.05] = 255
    return Image.fromarray(array)


def valid_files() -> Iterator[tuple[str, bytes]]:
    """Every supported format, in the modes people actually save."""
    photo = _photo()
    for fmt in SUPPORTED:
        for mode in ("RGB", "L", "P", "RGBA", "1", "CMYK", "I;16", "LA"):
            try:
                yield f"{fmt.lower()}-{mode}", encode(photo.convert(mode), fmt)
            except (OSError, ValueError, KeyError):
                continue  # the format cannot store that mode


def fuzz_corpus() -> Iterator[tuple[str, bytes]]:
    rng = np.random.default_rng(1234)
    valid = list(valid_files())
    yield from valid
    for name, data in valid:  # truncations and bit flips of every valid file
        for fraction in (0.02, 0.3, 0.7, 0.97):
            yield f"{name}-cut{fraction}", data[: max(1, int(len(data) * fraction))]
        for flips in (1, 8):
            mutated = bytearray(data)
            for position in rng.integers(0, len(data), flips):
                mutated[position] ^= 1 << int(rng.integers(0, 8))
            yield f"{name}-flip{flips}", bytes(mutated)
    photo = _photo()
    for fmt in UNSUPPORTED:
        try:
            yield f"unsupported-{fmt.lower()}", encode(photo.convert("RGB" if fmt != "XBM" else "1"), fmt)
        except (OSError, ValueError, KeyError):
            continue
    for width, height in ((20_000, 20_000), (40_000, 1), (1, 40_000), (0, 10), (7745, 7745), (2**31 - 1, 2)):
        yield f"header-{width}x{height}", png_with_header(width, height)
    yield "slow-png-chunks", empty_chunk_png(2_000_000)
    yield "slow-jpeg-markers", marker_jpeg(2_000_000)
    yield "slow-jpeg-junk", junk_jpeg(5_000_000)
    yield "slow-gif-blocks", block_gif(2_000_000)
    yield "empty", b""
    yield "text", b"this is not an image at all"
    yield "html", b"<html><img src=x onerror=alert(1)></html>"
    yield "zeros", bytes(4096)
    yield "png-signature-only", b"\x89PNG\r\n\x1a\n"
    yield "jpeg-soi-only", b"\xff\xd8"
    yield "gif-header-only", b"GIF89a"
    yield "random", rng.integers(0, 256, 10_000, dtype=np.uint8).tobytes()
