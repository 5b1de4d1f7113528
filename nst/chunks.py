"""A long clip over several workers: overlapping chunks painted in parallel, their seams cross-faded.

The temporal method (nst/video.py) paints frame t from frame t-1, so one clip is one sequential run.
On a cluster (nst/line/actors.py) or several local workers, `paint_in_chunks` splits the clip into
chunks of `chunk` frames that overlap by `overlap`, runs each as its own video job in the run line
(nst/line/), one per worker at a time, and stitches the results: across an overlap the frame is a
weighted mean of the two chunks' versions of it, the weight moving linearly from the earlier chunk
to the later one, so the look changes gradually over `overlap` frames instead of jumping at one cut.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from .clips import ClipLimits
from .events import ClipFinished
from .flow import optical_flow, reliable, warping_error
from .images import ImageSource
from .line.job import Job, JobStatus
from .line.limits import Limits
from .line.queue import RunQueue
from .line.worker import Executor
from .settings import Settings

CHUNK_FRAMES = 24  # frames per chunk: about a second of video, a few minutes of a worker at 256 px
OVERLAP_FRAMES = 6  # frames two neighbouring chunks both paint, cross-faded


def spans(count: int, chunk: int = CHUNK_FRAMES, overlap: int = OVERLAP_FRAMES) -> list[tuple[int, int]]:
    """[start, end) frame ranges of `chunk` frames covering `count`, each overlapping the next by `overlap`."""
    if not 0 <= overlap < chunk:
        raise ValueError("overlap must be at least 0 and smaller than a chunk")
    if count <= chunk:
        return [(0, count)]
    return [(start, min(start + chunk, count)) for start in range(0, count - overlap, chunk - overlap)]


def stitch(pieces: Sequence[Sequence[np.ndarray]], ranges: Sequence[tuple[int, int]]) -> list[np.ndarray]:
    """One clip from the chunks' frames (`pieces[i]` paints frames `ranges[i]`, or the first of them
    after a stop): where two chunks overlap, a linear cross-fade from the earlier to the later (shared
    frame k of n takes (k + 1) / (n + 1) of the later chunk)."""
    count = max(start + len(piece) for piece, (start, _) in zip(pieces, ranges, strict=True))
    total: list = [0.0] * count
    weight = np.zeros(count)
    for position, (piece, (start, end)) in enumerate(zip(pieces, ranges, strict=True)):
        before = ranges[position - 1][1] - start if position else 0  # frames shared with the previous chunk
        after = end - ranges[position + 1][0] if position + 1 < len(ranges) else 0  # and with the next
        for offset, frame in enumerate(piece):
            if offset < before:
                share = (offset + 1) / (before + 1)
            elif offset >= end - start - after:
                share = 1.0 - (offset - (end - start - after) + 1) / (after + 1)
            else:
                share = 1.0
            total[start + offset] = total[start + offset] + share * frame.astype(np.float64)
            weight[start + offset] += share
    return [(frame / w).astype(np.float32) for frame, w in zip(total, weight, strict=True)]


def paint_in_chunks(
    clip: bytes,
    photos: Sequence[np.ndarray],
    style: ImageSource | Sequence[ImageSource],
    settings: Settings,
    mode: str,
    limits: ClipLimits,
    workers: int,
    executor: Executor,
    *,
    chunk: int = CHUNK_FRAMES,
    overlap: int = OVERLAP_FRAMES,
    should_stop: Callable[[], bool] = lambda: False,
    on_progress: Callable[[list[JobStatus]], None] = lambda statuses: None,
) -> ClipFinished:
    """Paint `clip` (decoded within `limits` as `photos`, which measure the flicker) as overlapping
    chunks on `executor`'s workers (`workers` local processes, or as many Ray actors as the cluster
    holds): the stitched clip and its warping error. A stop keeps the frames painted from the clip's start on."""
    started = time.perf_counter()
    ranges = spans(len(photos), chunk, overlap)
    queue = RunQueue(Limits(slots=max(1, workers), max_waiting=len(ranges) + 1, max_run_seconds=7 * 24 * 3600.0),
                     executor)
    try:
        jobs = [Job.video(clip, style, settings, mode, limits, span=span).start(queue) for span in ranges]
        while True:
            statuses = [job.status() for job in jobs]
            on_progress(statuses)
            if all(status.done for status in statuses):
                break
            if should_stop():
                for job in jobs:
                    job.stop()
            time.sleep(0.2)
    finally:
        queue.close()
    pieces, failed = [], None
    for index, status in enumerate(statuses):  # the clip from its start: the whole chunks, and the first cut short
        result = status.result
        shared = ranges[index - 1][1] - ranges[index][0] if index else 0
        if isinstance(result, ClipFinished) and (len(result.frames) > shared or result.reason == "completed"):
            pieces.append(result.frames)  # (a chunk stopped within its shared frames would only fade back)
        if not isinstance(result, ClipFinished) or result.reason != "completed":
            failed = status.error or (result.message if result is not None else "stopped")
            break
    if not pieces:
        return ClipFinished([], 0.0, "cancelled", f"No frame was painted: {failed}", time.perf_counter() - started)
    frames = stitch(pieces, ranges[: len(pieces)])
    fps = next(s.result.fps for s in statuses if isinstance(s.result, ClipFinished))
    reason = "completed" if failed is None else "cancelled"
    message = (f"Painted {len(frames)} frames in {len(ranges)} chunks." if failed is None
               else f"Kept the first {len(frames)} of {len(photos)} frames: {failed}")
    return ClipFinished(frames, fps, reason, message, time.perf_counter() - started,
                        clip_warping_error(frames, photos[: len(frames)]))


def clip_warping_error(frames: Sequence[np.ndarray], photos: Sequence[np.ndarray]) -> float | None:
    """The mean warping error of painted `frames` over consecutive pairs (nst/flow.py), along the flow
    of the clip's own frames, `photos`."""
    if len(frames) < 2:
        return None
    errors = []
    for index in range(1, len(frames)):
        backward, forward = optical_flow(photos[index], photos[index - 1]), optical_flow(photos[index - 1], photos[index])
        errors.append(warping_error(frames[index], frames[index - 1], backward, reliable(backward, forward)))
    return float(np.mean(errors))
