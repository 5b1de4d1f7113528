"""Regions painted by hand on the photo: a brush per region colour, an eraser, undo (the canvas's own
toolbar) and a size slider, over nothing, the colour regions, the person or a saved map. The painted
map is what runs, and it travels with the run's settings (`region_map`, nst/maps.py)."""

from __future__ import annotations

import numpy as np
import streamlit as st
from PIL import Image

from nst import NSTError
from nst.images import resize_array
from nst.maps import decode_map, resize_labels
from nst.regions import REGION_COLOURS, overlay

BRUSHES = 6  # regions offered to paint
ERASER = np.array([1.0, 0.0, 1.0], np.float32)  # magenta: in no region's colour; paints the start back
CANVAS_WIDTH = 190  # pixels on the page (the inputs column's width on a laptop); the map is kept at this size
STROKE_OPACITY = 0.65  # the photo shows through the strokes
STARTS = ("Nothing", "By colour", "Person", "Face", "Saved map")


def _rgba(colour: np.ndarray) -> str:
    red, green, blue = (round(float(c) * 255) for c in colour)
    return f"rgba({red}, {green}, {blue}, {STROKE_OPACITY})"


def labels_from_strokes(strokes: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The region map the canvas shows: `start` (an (h, w) map at the canvas's size) where nothing is
    painted or the eraser painted, and elsewhere the region whose colour the stroke has (the nearest,
    over the strokes' anti-aliased edges). `strokes` is the canvas's RGBA (h, w, 4) in 0..255."""
    colours = np.vstack([REGION_COLOURS[:BRUSHES], ERASER[None]])
    rgb = strokes[..., :3].astype(np.float32) / 255.0
    nearest = np.argmin(((rgb[..., None, :] - colours[None, None]) ** 2).sum(-1), axis=-1)
    painted = (strokes[..., 3] > 255 * STROKE_OPACITY / 2) & (nearest < BRUSHES)
    return np.where(painted, nearest, start).astype(np.int32)


def painted_regions(preview: np.ndarray, colour_regions, people_regions) -> np.ndarray | None:
    """Draw the painting tools and the canvas over the photo; the painted map at the canvas's size,
    or None while it cannot be made. `colour_regions()` and `people_regions(segmenter)` give a
    start's map."""
    from streamlit_drawable_canvas import st_canvas

    height = round(CANVAS_WIDTH * preview.shape[0] / preview.shape[1])
    shape = (height, CANVAS_WIDTH)
    st.session_state.setdefault("paint_start", "Saved map" if st.session_state.get("painted_map") else "Nothing")
    start_name = st.segmented_control("Start from", STARTS, required=True, key="paint_start",
                                      help="What is under the brush strokes: one region, the colour regions, the "
                                      "person and the background, the face, hair and body and the background, or "
                                      "the map of a link or settings file.")
    try:
        if start_name == "By colour":
            start = colour_regions()
        elif start_name in ("Person", "Face"):
            start = people_regions(start_name.lower())
        elif start_name == "Saved map" and st.session_state.get("painted_map"):
            start = decode_map(st.session_state.painted_map)
        else:
            start = np.zeros(preview.shape[:2], np.int32)
    except NSTError as exc:
        st.warning(str(exc))
        return None
    start = resize_labels(start, shape)
    brush = st.segmented_control(
        "Brush", [*(str(n) for n in range(1, BRUSHES + 1)), "Eraser"], required=True, key="paint_brush",
        default="2", help="The region the brush paints (its colour is the region's, as in the legend below); the "
        "eraser brings back what you started from. Undo, redo and clear are on the canvas's toolbar.",
    )
    size = st.slider("Brush size", 2, 60, 16, key="paint_size", help="The brush's width in the canvas's pixels.")
    colour = ERASER if brush == "Eraser" else REGION_COLOURS[int(brush) - 1]
    background = Image.fromarray((overlay(resize_array(preview, shape), start, opacity=0.45) * 255).astype(np.uint8))
    result = st_canvas(
        stroke_width=size, stroke_color=_rgba(colour), background_image=background, width=CANVAS_WIDTH, height=height,
        drawing_mode="freedraw", return_image_data=True, update_streamlit=True,
        key=f"canvas_{start_name}_{hash(start.tobytes())}",  # a new start clears the strokes
    )
    strokes = result.image_data if result is not None else None
    if strokes is None or strokes.shape[:2] != shape:
        return start
    return labels_from_strokes(np.asarray(strokes), start)

