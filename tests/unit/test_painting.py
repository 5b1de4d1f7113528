"""Brush strokes read back as regions (studio/painting.py): each stroke's colour is its region, the
eraser brings back the start, and unpainted pixels keep it."""

from __future__ import annotations

import numpy as np

from nst.regions import REGION_COLOURS
from studio.painting import ERASER, STROKE_OPACITY, labels_from_strokes


def _stroke(canvas: np.ndarray, rows: slice, colour: np.ndarray) -> None:
    canvas[rows, :, :3] = np.round(colour * 255)
    canvas[rows, :, 3] = round(255 * STROKE_OPACITY)


def test_strokes_become_their_regions_and_the_eraser_brings_back_the_start():
    start = np.zeros((40, 30), np.int32)
    start[:, 15:] = 1  # the start: two regions side by side
    canvas = np.zeros((40, 30, 4), np.uint8)
    _stroke(canvas, slice(0, 10), REGION_COLOURS[2])  # region 3 across the top
    _stroke(canvas, slice(20, 30), ERASER)  # the eraser across the middle
    canvas[35:, :, :3], canvas[35:, :, 3] = np.round(REGION_COLOURS[4] * 255), 40  # a faint edge: not painted
    labels = labels_from_strokes(canvas, start)
    assert (labels[:10] == 2).all()
    assert np.array_equal(labels[20:30], start[20:30]) and np.array_equal(labels[10:20], start[10:20])
    assert np.array_equal(labels[35:], start[35:])
