"""The live camera's painter and the server's live streams (nst/live.py), with a stand-in network
and clock: what is painted, how fast, when it yields to runs, and who may stream."""

from __future__ import annotations

import numpy as np

from nst.live import STALE_SECONDS, YIELD_FPS, LivePainter, LiveSlots


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Network:
    """Paints a frame blue in 0.05 s of the clock."""

    def __init__(self, clock: Clock):
        self.clock, self.calls = clock, []

    def paint(self, photo: np.ndarray, code: np.ndarray) -> np.ndarray:
        self.calls.append(photo.shape)
        self.clock.now += 0.05
        out = np.zeros_like(photo)
        out[..., 2] = 1.0
        return out


def test_frames_are_painted_at_the_chosen_size_and_counted():
    clock = Clock()
    network = Network(clock)
    painter = LivePainter(network, np.zeros(100, np.float32), 128, busy=lambda: False, clock=clock)
    frame = np.full((480, 640, 3), 90, np.uint8)
    for _ in range(10):
        painted = painter(frame)
        clock.now += 0.05  # the camera's next frame
    assert network.calls == [(96, 128, 3)] * 10  # the longer side at 128 px
    assert painted.dtype == np.uint8 and painted.shape == (96, 128, 3) and painted[..., 2].min() == 255
    assert abs(painter.fps - 10.0) < 0.5  # a frame every 0.1 s of the clock


def test_while_runs_work_it_paints_a_few_frames_a_second_and_repeats_the_last():
    clock = Clock()
    network = Network(clock)
    busy = {"now": False}
    painter = LivePainter(network, np.zeros(100, np.float32), 128, busy=lambda: busy["now"], clock=clock)
    frame = np.zeros((240, 320, 3), np.uint8)
    painter(frame)
    busy["now"] = True
    shown = []
    for _ in range(30):  # 3 s of a 10 fps camera while a run works
        clock.now += 0.1
        shown.append(painter(frame))
    assert painter.yielding and len(network.calls) <= 1 + 3 * YIELD_FPS + 1
    assert all(image is not None for image in shown)
    busy["now"] = False
    before = len(network.calls)
    painter(frame)
    assert len(network.calls) == before + 1 and not painter.yielding  # the run ended: every frame again


def test_one_stream_per_visitor_a_server_wide_limit_and_a_silent_stream_gives_its_place_up():
    clock = Clock()
    slots = LiveSlots(2, clock=clock)
    assert slots.claim("tab-1", "browser-a") is None
    # ten more tabs of the same browser: refused, in words
    refusals = [slots.claim(f"tab-a{i}", "browser-a") for i in range(10)]
    assert all(r and "another tab" in r for r in refusals)
    assert slots.claim("tab-2", "browser-b") is None
    assert "full" in slots.claim("tab-3", "browser-c")
    assert slots.claim("tab-1", "browser-a") is None  # a stream keeps its place while its frames come
    assert slots.active() == 2
    clock.now += STALE_SECONDS + 0.1  # browser b's camera disconnected (no frames)
    slots.claim("tab-1", "browser-a")
    assert slots.claim("tab-3", "browser-c") is None
    slots.release("tab-1")
    assert slots.claim("tab-a1", "browser-a") is None  # after Stop, another tab of browser a may stream
