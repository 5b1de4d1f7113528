"""Pictures of what the network sees (nst/inside.py): feature-map grids, Gram heatmaps, and the job
that computes them in a run worker, so this server never loads the network itself."""

from __future__ import annotations

import hashlib
import re

import matplotlib
import numpy as np
import streamlit as st
from matplotlib.figure import Figure

from nst import NSTError, Settings
from nst.events import Inspection, LayerView
from nst.line.job import Job

from . import server
from .inputs import Picked

INSPECT_SIZE = 256
MIN_CELL = 96  # feature maps smaller than this (deep layers) are enlarged, pixel for pixel

LAYER_NOTES = {
    1: "**Block 1** sees the pixels: edges at one angle, colour blobs, fine dots. Its maps still look "
       "like the picture.",
    2: "**Block 2** combines those into corners, stripes and small textures, at a quarter of the resolution.",
    3: "**Block 3** responds to repeating patterns and textures: brush strokes, foliage, fabric.",
    4: "**Block 4** fires on parts of things (an eye, a window, a wave's crest) and cares less about their "
       "exact colour.",
    5: "**Block 5** sees whole objects, coarsely: where the cat is, not its fur. That is why the content is "
       "compared here (block5_conv2): the photo's layout survives while the painting repaints the surface.",
}


def layer_note(layer: str) -> str:
    """Two or three sentences on what a layer at this depth responds to."""
    found = re.match(r"block(\d)", layer)
    return LAYER_NOTES.get(int(found.group(1)) if found else 0, "")


def feature_grid(view: LayerView, columns: int = 4, gap: int = 3) -> np.ndarray:
    """The layer's strongest channels in magma colours, tiled `columns` wide on white."""
    maps = view.maps
    scale = max(1, -(-MIN_CELL // min(maps.shape[1:])))
    if scale > 1:
        maps = maps.repeat(scale, axis=1).repeat(scale, axis=2)
    count, height, width = maps.shape
    rows = -(-count // columns)
    grid = np.ones((rows * (height + gap) - gap, columns * (width + gap) - gap, 3), np.float32)
    colours = matplotlib.colormaps["magma"](maps / 255.0)[..., :3]
    for index in range(count):
        top, left = (index // columns) * (height + gap), (index % columns) * (width + gap)
        grid[top : top + height, left : left + width] = colours[index]
    return grid


def gram_figure(seen: Inspection, layer: str, other: str) -> tuple[Figure, float]:
    """The painting's and `other`'s Gram matrices at `layer` side by side, on one colour scale, over
    the channels that matter most to the painting; and how far apart the whole matrices are."""
    a, view = seen.views["painting"][layer].gram, seen.views[other][layer]
    b, channels = view.gram, view.gram_channels
    top = float(np.sqrt(max(a.max(), b.max(), 1e-12)))
    figure = Figure(figsize=(8.2, 3.9), layout="constrained")
    axes = figure.subplots(1, 2)
    for axis, matrix, title in zip(axes, (a, b), ("the painting", image_names()[other])):
        shown = axis.imshow(np.sqrt(np.maximum(matrix, 0)), cmap="magma", vmin=0, vmax=top)
        axis.set_title(f"Gram matrix of {title}".replace("$", r"\$"), fontsize=10)  # a file name: no mathtext
        axis.set_xlabel(f"channel (the painting's {len(channels)} strongest)", fontsize=8)
        axis.set_xticks([]), axis.set_yticks([])
    figure.colorbar(shown, ax=axes, shrink=0.8, label="√ (co-activation)")
    return figure, view.gram_distance


def image_names() -> dict[str, str]:
    """What the page calls each inspected image; the result says which run it is."""
    finished = st.session_state.get("runs") or []
    names = {"photo": "the photo", "painting": "the painting"}
    if finished:
        names["result"] = f"run {finished[-1].number}'s result ({finished[-1].title})"
    return names


def _digest(source) -> str:
    if isinstance(source, np.ndarray):
        data = source.tobytes()
    else:
        data = bytes(source) if isinstance(source, (bytes, bytearray)) else str(source).encode()
    return hashlib.sha256(data).hexdigest()[:16]


def inspection(content: Picked, style: Picked, settings: Settings) -> Inspection | None:
    """The photo, the painting and the latest result (if any) as the network sees them. Computed once
    per choice, in the server's line; returns None (and shows progress) until it is ready."""
    images = {"photo": content.source, "painting": style.source}
    finished = st.session_state.get("runs") or []
    if finished:
        images["result"] = finished[-1].image
    key = (settings.weights, INSPECT_SIZE, *(_digest(source) for source in images.values()))
    state = st.session_state.setdefault("inside_seen", {})
    if state.get("key") == key and state.get("inspection") is not None:
        return state["inspection"]
    if state.get("key") == key and state.get("error"):
        st.error(state["error"])
        if not st.button("Try again", key="retry_inspection"):
            return None
    if state.get("key") != key or state.get("job") is None:
        if state.get("job") is not None:
            state["job"].stop()  # the images changed: the old look is no longer wanted
        try:
            inspect = settings.replace(size=INSPECT_SIZE, precision="float32")
            job = Job.inspection(images, inspect, **server.owner()).start(server.line())
        except NSTError as exc:
            st.error(str(exc))
            return None
        state.clear()
        state.update(key=key, job=job)
    _wait(state["job"])
    return None


@st.fragment(run_every=1.0)
def _wait(job: Job) -> None:
    status = job.status()
    if status.done:
        state = st.session_state["inside_seen"]
        if status.error or status.result is None:
            state.update(job=None, error=status.error or "The server stopped looking inside the network.")
            st.rerun()
        state.update(inspection=status.result, job=None)
        st.rerun()
    if status.queued:
        st.info(f"In line: number {status.position}. The network looks at your images when the runs ahead are done.")
    elif status.download is not None:
        done, total = status.download
        st.progress(done / total if total else 0.0, text=f"Downloading the VGG19 ImageNet weights: {done / 1e6:.0f} MB")
    else:
        st.info("Running the photo and the painting through every layer of the network…", icon=":material/hourglass:")
