"""Generated clips for the video tests and benchmarks, and a corpus of hostile ones."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


def moving_square(frames: int = 10, size: int = 64, seed: int = 0) -> list[np.ndarray]:
    """A square of blotchy texture moving 3 px a frame over a noisy gradient."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / (size - 1)
    background = np.clip(np.stack([0.3 + 0.4 * x, 0.4 + 0.3 * y, 0.6 - 0.2 * x], -1)
                         + 0.08 * rng.standard_normal((size, size, 3)), 0, 1)
    from scipy.ndimage import gaussian_filter

    texture = gaussian_filter(rng.uniform(0, 1, (20, 20, 3)), (1.5, 1.5, 0)) * 1.5 + np.array([-0.1, 0.0, 0.1])
    clip = []
    for k in range(frames):
        frame = background.copy()
        frame[20:40, 8 + 3 * k : 28 + 3 * k] = texture
        clip.append(frame.astype(np.float32))
    return clip


@dataclass(frozen=True)
class HostileClip:
    name: str
    data: bytes
    refusal: str | None  # words of the sentence it is refused with; None: it is read
    note: str | None = None  # words of the note a read clip carries (a clip cut short)
    frames: int | None = None  # frames it reads as


def encode(frames: list[np.ndarray], fps: int, path: Path, codec: str = "libx264", fmt: str = "mp4",
           pix_fmt: str = "yuv420p", options: dict | None = None) -> bytes:
    """Frames ((H, W, 3) in [0, 1]) encoded with PyAV's FFmpeg; the file's bytes."""
    import av

    with av.open(str(path), "w", format=fmt, options=options or {}) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = pix_fmt
        for picture in frames:
            pixels = (np.clip(picture, 0, 1) * 255).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path.read_bytes()


def _audio_only(path: Path) -> bytes:
    import av

    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=22050)
        for k in range(20):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 22050, k * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path.read_bytes()


def rotated(data: bytes) -> bytes:
    """The MP4 with its track's display matrix set to 90 degrees clockwise (a phone held upright)."""
    at = data.index(b"tkhd") + 44  # the matrix, after the version 0 header's fields
    matrix = np.array([0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000], ">i4").tobytes()
    return data[:at] + matrix + data[at + 36:]


def marked(frames: int = 6, height: int = 48, width: int = 80) -> list[np.ndarray]:
    """Grey frames with a red block in the stored picture's top-left corner (to see a rotation)."""
    clip = []
    for _ in range(frames):
        frame = np.full((height, width, 3), 0.5, np.float32)
        frame[:16, :16] = (1.0, 0.0, 0.0)
        clip.append(frame)
    return clip


def hostile_clips(folder: Path) -> list[HostileClip]:
    """Careless and hostile clips, generated with PyAV (each codec only where this FFmpeg has its encoder)."""
    import av

    folder.mkdir(parents=True, exist_ok=True)
    square = moving_square(12)
    plain = encode(square, 12, folder / "plain.mp4")
    faststart = encode(moving_square(30, 128), 30, folder / "faststart.mp4", options={"movflags": "+faststart"})
    clips = [
        HostileClip("plain", plain, None, frames=12),
        HostileClip("truncated, index at the end", plain[: len(plain) // 2], "damaged or truncated"),
        HostileClip("fast-start, cut", faststart[: round(len(faststart) * 0.8)], None, note="cut short"),
        HostileClip("only a header", plain[:64], "damaged or truncated|no frames|does not say its size"),
        HostileClip("garbage after the signature", plain[:12] + bytes(range(256)) * 40, "damaged or truncated"),
        HostileClip("text named as a clip", b"hello, this is not a clip", "not a video this app reads"),
        HostileClip("empty", b"", "empty"),
        HostileClip("audio only", _audio_only(folder / "audio.mp4"), "has no video"),
        HostileClip("too narrow", encode([np.zeros((16, 4096, 3), np.float32)] * 2, 2, folder / "narrow.mp4"),
                    "too narrow"),
        HostileClip("too wide", encode([np.zeros((16, 4112, 3), np.float32)] * 2, 2, folder / "wide.mp4"),
                    "at most 4096 px a side"),
        HostileClip("a thousand frames", encode([np.zeros((16, 16, 3), np.float32)] * 1000, 100, folder / "long.mp4"),
                    "at most|more than"),
        HostileClip("odd size GIF", _gif(square, (17, 33)), None, frames=12),
        HostileClip("2 x 2 GIF", _gif(square, (2, 2)), None, frames=12),  # enlarged, as a small photo is
        HostileClip("MPEG-2 in MP4", encode(square, 12, folder / "mpeg2.mp4", codec="mpeg2video"),
                    "which this app does not decode"),
        HostileClip("rotated", rotated(encode(marked(), 6, folder / "upright.mp4")), None, frames=6),
    ]
    for name, codec, fmt, pix_fmt in (("VP9 in WebM", "libvpx-vp9", "webm", "yuv420p"),
                                      ("AV1 in MP4", "libsvtav1", "mp4", "yuv420p"),
                                      ("HEVC in MP4", "libx265", "mp4", "yuv420p")):
        if codec in av.codecs_available:
            data = encode(moving_square(12, 64), 12, folder / f"{codec}.{fmt}", codec, fmt, pix_fmt)
            clips.append(HostileClip(name, data, None, frames=12))
    return clips


def _gif(frames: list[np.ndarray], size: tuple[int, int]) -> bytes:
    import io

    from PIL import Image

    pictures = [Image.fromarray((frame * 255).astype(np.uint8)).resize(size[::-1]) for frame in frames]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:], duration=83, loop=0)
    return buffer.getvalue()
