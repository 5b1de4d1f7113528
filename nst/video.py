"""A clip in the style of a painting, without flicker: Ruder et al. 2016 on top of `stylise`.

Painted one by one, video frames flicker: each falls into another minimum. Here, frame t starts from
the painted frame t-1 warped along the optical flow (nst/flow.py), where that flow is reliable, and
the temporal term of the objective (nst/losses.py) keeps it there; where something new appears
(disocclusion) it starts from its own start image and only the usual terms apply. The first frame
gets `settings.steps`; later ones, which start close to their answer, `frame_steps` (a third).

Modes:
- "temporal" (the default): as above;
- "independent": every frame on its own (the flicker this module exists to remove; for comparison);
- "instant": the feed-forward picture of each frame (nst/instant.py), blended with the warped previous
  painted frame where the flow is reliable (half each): a few frames a second, no optimisation.

`stylise_video` streams, like `stylise`: each frame's `Step` events, a `FrameDone` per frame, then one
`ClipFinished` with the frames (those done so far if stopped) and the warping error.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction

import numpy as np

from .engine import stylise
from .events import ClipFinished, Finished, FrameDone, Notice, Step
from .flow import optical_flow, reliable, warp, warping_error
from .images import ImageSource, load_image
from .settings import Settings
from .starts import StartInputs, first_image

MODES = ("temporal", "independent", "instant")
INSTANT_CARRY = 0.5  # the instant mode's share of the warped previous frame where the flow is reliable


def stylise_video(
    frames: Sequence[np.ndarray],
    fps: Fraction | float,
    style: ImageSource | Sequence[ImageSource],
    settings: Settings,
    *,
    mode: str = "temporal",
    frame_steps: int | None = None,
    backbone=None,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[Step | Notice | FrameDone | ClipFinished]:
    """Paint `frames` ((H, W, 3) in [0, 1], at the output's size) in the style of `style`."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    started = time.perf_counter()
    frame_steps = frame_steps if frame_steps is not None else max(10, settings.steps // 3)
    styles = [style] if not isinstance(style, (list, tuple)) else list(style)
    paintings = [load_image(s, round(settings.size * settings.style_scale), "style image", narrow_ok=True)
                 for s in styles]
    painted: list[np.ndarray] = []
    errors: list[float] = []
    reason, message = "completed", f"Painted {len(frames)} frames."
    for index, frame in enumerate(frames):
        if should_stop is not None and should_stop():
            reason, message = "cancelled", f"Stopped after {len(painted)} of {len(frames)} frames."
            break
        previous = None
        if painted:
            backward, forward = optical_flow(frame, frames[index - 1]), optical_flow(frames[index - 1], frame)
            mask = reliable(backward, forward)
            previous = (warp(painted[-1], backward), mask, backward)
        if mode == "instant":
            own = first_image(StartInputs(settings.replace(init="instant"), frame, paintings, None))[0]
            image = own if previous is None else _carried(own, previous, INSTANT_CARRY)
        else:
            image = yield from _frame(frame, paintings, settings if index == 0 else settings.replace(steps=frame_steps),
                                      previous if mode == "temporal" else None, backbone, should_stop)
        if previous is not None:
            errors.append(warping_error(image, painted[-1], previous[2], previous[1]))
        painted.append(image)
        yield FrameDone(index, len(frames), image, time.perf_counter() - started)
    yield ClipFinished(painted, float(fps), reason, message, time.perf_counter() - started,
                       float(np.mean(errors)) if errors else None)


def _frame(frame, paintings, settings, previous, backbone, should_stop):
    """Paint one frame with `stylise`, passing its Step events on; returns the image."""
    start = None
    if previous is not None:
        warped, mask, _ = previous
        own = first_image(StartInputs(settings, frame, paintings, None))[0]
        start = _carried(own, (warped, mask), 1.0)
    result = None
    for event in stylise(frame, paintings if len(paintings) > 1 else paintings[0], settings, backbone=backbone,
                         should_stop=should_stop, start=start,
                         previous=None if previous is None else (previous[0], previous[1])):
        if isinstance(event, (Step, Notice)):
            yield event
        elif isinstance(event, Finished):
            result = event
    return result.image


def _carried(own: np.ndarray, previous: tuple, share: float) -> np.ndarray:
    """`own` with `share` of the warped previous frame where its flow is reliable."""
    warped, mask = previous[0], previous[1][..., None]
    return (own + share * mask * (warped - own)).astype(np.float32)
