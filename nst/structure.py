"""Cheap structural checks of untrusted image files, run before Pillow parses them.

Pillow walks the chunks of a PNG, the segments of a JPEG header and the blocks of a GIF in Python,
one small read at a time. A 25 MB upload made of millions of empty chunks or markers is a valid
file that costs 10-15 s of CPU to open. These checks walk the same structure in a few thousand
steps at most and refuse files whose shape no camera or editor writes, so every accepted file opens
in bounded time. They read only the bytes they are given; they never decode pixels.
"""

from __future__ import annotations

import struct

from .errors import NSTError

MAX_PNG_CHUNKS = 20_000  # a 25 MB PNG in libpng's 8 KB IDAT chunks has about 3,200
MAX_JPEG_HEADER_SEGMENTS = 1_000  # markers before the first scan; cameras write 10-30
MAX_JPEG_SCANS = 200  # progressive JPEGs have about 10; each scan re-reads the whole image
MAX_JPEG_JUNK_BYTES = 4_096  # stray bytes between header segments that decoders tolerate
MAX_GIF_BLOCKS = 20_000  # extension sub-blocks before the first frame

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def check_structure(data: bytes | memoryview, name: str) -> None:
    """Raise NSTError if `data` is a PNG, JPEG or GIF too fragmented to open in bounded time."""
    head = bytes(data[:8])
    if head.startswith(PNG_SIGNATURE):
        _check_png(data, name)
    elif head.startswith(b"\xff\xd8"):
        _check_jpeg(data, name)
    elif head[:6] in (b"GIF87a", b"GIF89a"):
        _check_gif(data, name)


def _refuse(name: str, what: str) -> NSTError:
    return NSTError(f"The {name} is not a well-formed image file ({what}); save it again with an image editor.")


def _check_png(data: bytes | memoryview, name: str) -> None:
    position, chunks = len(PNG_SIGNATURE), 0
    while position + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        chunks += 1
        if chunks > MAX_PNG_CHUNKS:
            raise _refuse(name, f"more than {MAX_PNG_CHUNKS:,} PNG chunks")
        if kind == b"IEND":
            return
        position += 12 + length  # length, type, data, CRC


def _check_jpeg(data: bytes | memoryview, name: str) -> None:
    position, segments, junk = 2, 0, 0
    while position + 4 <= len(data):
        if data[position] != 0xFF:  # decoders skip stray bytes one at a time, looking for a marker
            junk += 1
            position += 1
            if junk > MAX_JPEG_JUNK_BYTES:
                raise _refuse(name, "stray bytes between JPEG segments")
            continue
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            junk += 1
            position += 1
            if junk > MAX_JPEG_JUNK_BYTES:
                raise _refuse(name, "too many fill bytes between JPEG segments")
            continue
        segments += 1
        if segments > MAX_JPEG_HEADER_SEGMENTS:
            raise _refuse(name, f"more than {MAX_JPEG_HEADER_SEGMENTS:,} JPEG header segments")
        if marker == 0xDA:  # start of the first scan: the rest is entropy-coded data for libjpeg
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            position += 2
            continue
        (length,) = struct.unpack_from(">H", data, position + 2)
        position += 2 + length
    # 0xFF 0xDA cannot occur inside entropy-coded data (a 0xFF there is followed by 0x00 or a restart)
    if bytes(data).count(b"\xff\xda") > MAX_JPEG_SCANS:
        raise _refuse(name, f"more than {MAX_JPEG_SCANS} JPEG scans")


def _check_gif(data: bytes | memoryview, name: str) -> None:
    if len(data) < 13:
        return  # Pillow reports the truncation
    flags = data[10]
    position = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)  # header, screen, global palette
    blocks = 0
    while position < len(data) and data[position] == 0x21:  # extensions before the first image
        position += 2  # introducer and label
        while position < len(data):
            size = data[position]
            blocks += 1
            if blocks > MAX_GIF_BLOCKS:
                raise _refuse(name, f"more than {MAX_GIF_BLOCKS:,} GIF blocks before the first frame")
            position += 1 + size
            if size == 0:
                break
