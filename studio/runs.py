"""Starting a run and keeping finished runs for the gallery."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import streamlit as st

from nst.errors import NSTError
from nst.events import Losses
from nst.images import encode_png, load_image
from nst.line.job import Job, JobStatus
from nst.report import csv_text, plot_png
from nst.settings import Settings

from . import server
from .inputs import Picked

MAX_RUNS = 12  # per session, to bound memory on small servers
STAGE_HEIGHT = 440


@dataclass
class RunRecord:
    """A finished run as the gallery shows it (PNGs encoded once)."""

    number: int
    title: str
    settings: Settings
    reason: str
    message: str
    elapsed: float
    image: np.ndarray
    content: np.ndarray  # at the output size, for colour preservation and before/after
    style: np.ndarray
    snapshots: list[tuple[int, bytes]]
    history: list[Losses]
    notices: list[str]
    sizes: list[tuple[int, tuple[int, int]]]  # (first step, (height, width)) of each size
    network: str  # what actually ran

    @property
    def settings_json(self) -> str:
        """The settings as run (`weights`: the source that actually ran) and the network's name."""
        return json.dumps({"run": self.number, "title": self.title, "network": self.network,
                           **self.settings.to_dict()}, indent=2)

    @cached_property
    def csv(self) -> str:
        return csv_text(self.history)

    @cached_property
    def curves_png(self) -> bytes:
        return plot_png(self.history, title=self.title)


def start(content: Picked, styles: list[Picked], settings: Settings, masks: list[np.ndarray] | None = None) -> None:
    """Put a run in the server's line (raises NSTError when the line is full or this visitor has
    enough runs in it); `masks` give each painting its region (nst/regions.py). A run that starts
    from the instant picture shows it at once, computed here, while the run waits or loads."""
    sources = styles[0].source if len(styles) == 1 else [s.source for s in styles]
    first = None
    if settings.init.startswith("instant"):  # before the run starts: its worker would compete for the CPU
        try:
            first = instant_picture(content, styles, settings, masks)
        except NSTError:
            pass  # the run itself says why and starts from the photo in the painting's colours
    job = Job(content.source, sources, settings, masks=masks, **server.owner()).start(server.line())
    st.session_state.job = job
    st.session_state.job_meta = {"title": _title(content, styles, masks, settings), "content": content, "style": styles[0],
                                 "first": first}


def start_from_page(content: Picked, styles: list[Picked], settings: Settings, masks: list[np.ndarray] | None) -> None:
    """Stylise's callback: `start`, with a refusal (a full line, too many runs) shown on the page."""
    try:
        start(content, styles, settings, masks)
    except NSTError as exc:
        st.session_state["last_error"] = str(exc)


def _title(content: Picked, styles: list[Picked], masks: list[np.ndarray] | None, settings: Settings) -> str:
    regions = masks or settings.region_count
    return f"{content.name} × {' + '.join(s.name for s in styles)}" + (" (regions)" if regions else "")


_instant_turns = threading.BoundedSemaphore(1)  # instant pictures computed at once by this server


def instant_picture(content: Picked, styles: list[Picked], settings: Settings,
                    masks: list[np.ndarray] | None = None) -> np.ndarray:
    """The start image of a run from the feed-forward picture (nst/instant.py; `settings.init`
    'instant' or 'instant-palette', recoloured as the run recolours it), at the run's size, computed in
    this server process with onnxruntime (no TensorFlow), outside the run line: a tenth to half a
    second each, one at a time, so a class pressing at once waits seconds, never behind a run. Raises
    NSTError when the network's files are missing or damaged."""
    from nst.regions import style_masks
    from nst.starts import StartInputs, initial_image

    photo = load_image(content.source, settings.size, "content image")
    style_size = round(settings.size * settings.style_scale)
    paintings = [load_image(s.source, style_size, "style image", narrow_ok=True) for s in styles]
    # the run's own regions (nst/engine.py), softened as it softens them
    regions = style_masks(photo, len(paintings), masks, settings.segments, settings.segment_styles, settings.seed,
                          settings.segmenter, settings.region_map)
    with _instant_turns:
        return initial_image(StartInputs(settings, photo, paintings, regions))


def add_instant_result(content: Picked, styles: list[Picked], settings: Settings,
                       masks: list[np.ndarray] | None = None) -> None:
    """The instant picture alone, as a finished run of this session (raises NSTError)."""
    started = time.perf_counter()
    image = instant_picture(content, styles, settings.replace(init="instant"), masks)
    elapsed = time.perf_counter() - started
    photo = load_image(content.source, settings.size, "content image")
    runs: list[RunRecord] = st.session_state.setdefault("runs", [])
    style = load_image(styles[0].source, settings.size)
    runs.append(RunRecord(
        (runs[-1].number + 1) if runs else 1, _title(content, styles, masks, settings) + " (instant)",
        settings.replace(init="instant", steps=0), "completed",
        f"The instant picture, painted in one pass in {elapsed:.2f} s.", elapsed, image, photo, style,
        [(0, encode_png(image))], [], [], [], INSTANT_NETWORK,
    ))
    del runs[:-MAX_RUNS]


INSTANT_NETWORK = "Magenta's feed-forward network (instant)"


def running() -> bool:
    return st.session_state.get("job") is not None


def busy() -> bool:
    """Whether this session has work in the line or running, a run or a series (studio/series.py):
    one at a time per visitor."""
    series = st.session_state.get("series")
    return running() or (series is not None and series.active)


def finish(job: Job, status: JobStatus) -> None:
    """Move an ended run from the live stage to the gallery (or to the page's message)."""
    meta = st.session_state.pop("job_meta")
    st.session_state.job = None
    if status.cancelled:
        st.session_state.last_info = "The run was cancelled before it started."
        return
    if status.error:
        st.session_state.last_error = status.error
        return
    result = status.result
    runs: list[RunRecord] = st.session_state.setdefault("runs", [])
    number = (runs[-1].number + 1) if runs else 1
    style = load_image(meta["style"].source, job.settings.size)
    ran = job.settings.replace(weights=result.weights) if result.weights else job.settings  # after a fallback
    runs.append(
        RunRecord(
            number, meta["title"], ran, result.reason, result.message, result.elapsed, result.image,
            result.content, style, [(step, encode_png(image)) for step, image in result.snapshots], result.history,
            status.notices, result.sizes, result.network,
        )
    )
    del runs[:-MAX_RUNS]


