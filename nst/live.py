"""A webcam repainted frame by frame with the instant network, and the server's rules for live streams.

`LivePainter` paints each frame at a chosen size and counts frames per second; while runs are in
progress (its `busy` says so) it paints at most YIELD_FPS frames a second and shows the last painted
frame between them, so the run line keeps the CPU. `LiveSlots` holds the server's streams: at most
`limit` at once and one per visitor; a stream that has sent no frame for STALE_SECONDS (a closed tab,
a camera unplugged) gives its place up by itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from .images import resize_array
from .instant import InstantNetwork

YIELD_FPS = 2.0  # painted frames a second while runs are in progress
STALE_SECONDS = 5.0
SIZES = (128, 256, 384)  # the painted frame's longer side, as offered


class LivePainter:
    """Paints (H, W, 3) uint8 RGB frames with one style code at `size` (the longer side)."""

    def __init__(self, network: InstantNetwork, code: np.ndarray, size: int, busy: Callable[[], bool],
                 clock: Callable[[], float] = time.monotonic):
        self.network, self.code, self.size, self.busy, self.clock = network, code, size, busy, clock
        self.fps = 0.0  # painted frames a second, smoothed
        self.yielding = False  # whether the last frame was held back for a run
        self._last: np.ndarray | None = None
        self._painted_at: float | None = None
        self._lock = threading.Lock()  # frames may arrive on more than one thread

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        with self._lock:
            now = self.clock()
            self.yielding = self.busy()
            if (self.yielding and self._last is not None and self._painted_at is not None
                    and now - self._painted_at < 1.0 / YIELD_FPS):
                return self._last
            height, width = frame.shape[:2]
            scale = self.size / max(height, width)
            small = resize_array(frame.astype(np.float32) / 255.0, (max(16, round(height * scale)),
                                                                     max(16, round(width * scale))))
            painted = (self.network.paint(small, self.code) * 255.0 + 0.5).astype(np.uint8)
            done = self.clock()
            if self._painted_at is not None:
                rate = 1.0 / max(done - self._painted_at, 1e-6)
                self.fps = rate if self.fps == 0.0 else 0.8 * self.fps + 0.2 * rate
            self._painted_at, self._last = done, painted
            return painted


class LiveSlots:
    """The server's live streams: at most `limit` at once, one per visitor (a second tab of the same
    browser is refused while the first streams)."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic):
        self.limit, self.clock = limit, clock
        self._seen: dict[str, tuple[str, float]] = {}  # stream id: (visitor, when its last frame came)
        self._lock = threading.Lock()

    def claim(self, stream: str, visitor: str) -> str | None:
        """Note a frame of `stream`; None if it may be painted, else why not, in a sentence."""
        with self._lock:
            now = self.clock()
            self._seen = {s: (v, t) for s, (v, t) in self._seen.items() if now - t < STALE_SECONDS}
            if stream not in self._seen:
                if any(v == visitor for v, _ in self._seen.values()):
                    return "Live already runs in another tab of this browser: one live stream per visitor."
                if len(self._seen) >= self.limit:
                    return f"Live is full: {self.limit} stream(s) at once on this server. Try again in a moment."
            self._seen[stream] = (visitor, now)
            return None

    def release(self, stream: str) -> None:
        with self._lock:
            self._seen.pop(stream, None)

    def active(self) -> int:
        with self._lock:
            now = self.clock()
            return sum(now - t < STALE_SECONDS for _, t in self._seen.values())
