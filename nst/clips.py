"""Video files in and out, with PyAV (FFmpeg in its wheel), behind the limits a public server needs.

Video decoders are a large attack surface, so nothing reaches FFmpeg that is not on the list: the
container is recognised from the file's first bytes (MP4/QuickTime, WebM/Matroska, GIF) and its
demuxer named explicitly; the video stream's codec must be one of CODECS; the resolution, the frame
count and the duration are checked from the headers before any frame is decoded; decoding stops at
the frame limit and at a time limit. Audio is dropped (the painted clip is silent).

Out: MP4 (H.264, yuv420p, the frame rate kept) or GIF (Pillow, an adaptive palette per frame, the frame
rate kept to GIF's 1/100 s).
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from .errors import NSTError
from .images import MIN_SIDE, resize_array

# container -> (the demuxer FFmpeg is told to use, how the file begins)
CONTAINERS = {
    "MP4": ("mp4", lambda head: head[4:8] == b"ftyp"),
    "WebM": ("matroska", lambda head: head[:4] == b"\x1a\x45\xdf\xa3"),
    "GIF": ("gif", lambda head: head[:6] in (b"GIF87a", b"GIF89a")),
}
CODECS = ("h264", "hevc", "vp8", "vp9", "av1", "mpeg4", "gif")
DECODERS = {"libdav1d": "av1", "libaom-av1": "av1", "libvpx": "vp8", "libvpx-vp9": "vp9"}  # FFmpeg's decoder -> its codec
SHORT_BY = 2  # frames a clip may fall short of what its header says before the user is told
OUTPUTS = (".mp4", ".gif")


@dataclass(frozen=True)
class ClipLimits:
    """What one clip may be; the studio's are tighter than the command line's (README, "Video")."""

    seconds: float = 10.0  # duration
    frames: int = 300
    side: int = 4096  # the stored resolution's longer side
    megabytes: int = 200  # the file
    decode_seconds: float = 60.0  # wall time to decode it all


@dataclass(frozen=True)
class Clip:
    frames: list[np.ndarray]  # (H, W, 3) float32 in [0, 1], at the size asked for
    fps: Fraction
    container: str
    codec: str
    notes: tuple[str, ...] = ()  # what the user should know: a clip cut short

    @property
    def seconds(self) -> float:
        return len(self.frames) / float(self.fps)


def read_clip(source: str | Path | bytes, size: int, limits: ClipLimits = ClipLimits(), name: str = "clip") -> Clip:
    """The clip's frames at `size` (longer side) and its frame rate; NSTError with a sentence for
    anything outside the limits or the lists above, before the frames are decoded."""
    import av

    data = _read(source, limits, name)
    container_name = next((label for label, (_, test) in CONTAINERS.items() if test(data[:16])), None)
    if container_name is None:
        raise NSTError(f"The {name} is not a video this app reads: use MP4, WebM or GIF.")
    started = time.monotonic()
    try:
        with av.open(io.BytesIO(data), format=CONTAINERS[container_name][0], timeout=10) as container:
            streams = container.streams.video
            if not streams:
                raise NSTError(f"The {name} has no video in it.")
            stream = streams[0]
            codec = DECODERS.get(stream.codec_context.name, stream.codec_context.name)
            if codec not in CODECS:
                raise NSTError(f"The {name}'s video is {codec}, which this app does not decode "
                               f"(it reads {', '.join(CODECS)}).")
            width, height = stream.codec_context.width, stream.codec_context.height
            if not width or not height:
                raise NSTError(f"The {name} does not say its size; it looks damaged.")
            if max(width, height) > limits.side:
                raise NSTError(f"The {name} is {width}x{height}: at most {limits.side} px a side.")
            if min(_fitted((height, width), size)) < MIN_SIDE:
                raise NSTError(f"The {name} is {width}x{height}: too narrow to paint at {size} px (its shorter "
                               f"side would be under {MIN_SIDE} px). Use a larger size or a less elongated clip.")
            rate = stream.average_rate or stream.guessed_rate or Fraction(25)
            duration = float(stream.duration * stream.time_base) if stream.duration else (
                container.duration / 1e6 if container.duration else None)
            if duration is not None and duration > limits.seconds + 0.5:
                raise NSTError(f"The {name} lasts {duration:.1f} s: at most {limits.seconds:g} s.")
            if stream.frames and stream.frames > limits.frames:
                raise NSTError(f"The {name} has {stream.frames} frames: at most {limits.frames}.")
            stream.thread_type = "AUTO"
            frames, promised = [], stream.frames or (round(duration * float(rate)) if duration else 0)
            damaged = False
            try:
                for frame in container.decode(stream):
                    if len(frames) >= limits.frames:
                        raise NSTError(f"The {name} has more than {limits.frames} frames.")
                    if time.monotonic() - started > limits.decode_seconds:
                        raise NSTError(f"The {name} took over {limits.decode_seconds:g} s to decode.")
                    picture = np.rot90(frame.to_ndarray(format="rgb24"), k=round(frame.rotation / 90) % 4)  # as shown
                    frames.append(resize_array(picture.astype(np.float32) / 255.0, _fitted(picture.shape[:2], size)))
            except av.error.FFmpegError:
                if not frames:
                    raise
                damaged = True  # after these frames: they are kept, and the user is told
    except NSTError:
        raise
    except av.error.FFmpegError as exc:  # a damaged or truncated file: FFmpeg's words, without its error number
        raise NSTError(f"The {name} could not be decoded; it looks damaged or truncated ({exc.strerror or exc}).") from None
    except (ValueError, OSError) as exc:
        raise NSTError(f"The {name} could not be decoded; it looks damaged or truncated ({exc}).") from None
    if not frames:
        raise NSTError(f"The {name} has no frames.")
    if len(frames) / float(rate) > limits.seconds + 0.5:
        raise NSTError(f"The {name} lasts {len(frames) / float(rate):.1f} s: at most {limits.seconds:g} s.")
    notes = ()
    if damaged:
        notes = (f"The {name} is damaged after frame {len(frames)}: the {len(frames)} frames before it are painted.",)
    elif promised - len(frames) > SHORT_BY:
        notes = (f"The {name} looks cut short: its header promises {promised} frames, {len(frames)} could be read; "
                 f"those are painted.",)
    return Clip(frames, Fraction(rate).limit_denominator(1001), container_name, codec, notes)


def write_clip(frames: list[np.ndarray], fps: Fraction | float, path: str | Path) -> Path:
    """Write frames as MP4 (H.264) or GIF, by the path's suffix, through a temporary file and a rename."""
    import av

    fps = Fraction(fps).limit_denominator(1001)
    path = Path(path)
    if path.suffix.lower() not in OUTPUTS:
        raise NSTError(f"Cannot write the clip {path}: use {' or '.join(OUTPUTS)}.")
    height, width = frames[0].shape[:2]
    gif = path.suffix.lower() == ".gif"
    if not gif:  # H.264 in yuv420p needs even sides
        height, width = height - height % 2, width - width % 2
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix, delete=False) as tmp:
        temporary = Path(tmp.name)
    pictures = [(np.clip(picture[:height, :width], 0.0, 1.0) * 255 + 0.5).astype(np.uint8) for picture in frames]
    try:
        if gif:  # Pillow: an adaptive palette per frame (FFmpeg's GIF encoder wants one made for it)
            from PIL import Image

            images = [Image.fromarray(pixels).quantize(256, dither=Image.Dither.FLOYDSTEINBERG) for pixels in pictures]
            images[0].save(temporary, format="GIF", save_all=True, append_images=images[1:], loop=0,
                           duration=round(1000 / float(fps)))
        else:
            with av.open(str(temporary), "w", format="mp4") as container:
                stream = container.add_stream("libx264", rate=fps)
                stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
                stream.options = {"crf": "18", "preset": "medium"}
                for pixels in pictures:
                    for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                        container.mux(packet)
                for packet in stream.encode():
                    container.mux(packet)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _read(source: str | Path | bytes, limits: ClipLimits, name: str) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise NSTError(f"The {name} {path} does not exist." if not path.exists() else f"The {name} {path} is not a file.")
        if path.stat().st_size > limits.megabytes << 20:
            raise NSTError(f"The {name} is over {limits.megabytes} MB.")
        data = path.read_bytes()
    if len(data) > limits.megabytes << 20:
        raise NSTError(f"The {name} is over {limits.megabytes} MB.")
    if not data:
        raise NSTError(f"The {name} is empty.")
    return data


def _fitted(shape: tuple[int, int], size: int) -> tuple[int, int]:
    height, width = shape
    scale = size / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))
