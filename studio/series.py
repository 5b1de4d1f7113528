"""A series of small runs (nst/lessons.py), one after another in the server's line, drawn as a grid
that fills in live; Stop ends the current run and drops the rest."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from nst import NSTError, Settings
from nst.images import ImageSource
from nst.line.job import Job

from . import server


@dataclass
class Series:
    """One series: its runs' labelled settings and the images finished so far."""

    items: list[tuple[str, Settings]]
    content: ImageSource
    style: ImageSource
    columns: int
    images: list[tuple[str, np.ndarray]] = field(default_factory=list)
    job: Job | None = None
    message: str | None = None  # why it ended early

    @property
    def active(self) -> bool:
        return self.job is not None

    def next(self) -> None:
        """Put the next run in line, or end the series."""
        if len(self.images) >= len(self.items):
            self.job = None
            return
        _, settings = self.items[len(self.images)]
        self.job = Job(self.content, self.style, settings, **server.owner()).start(server.line())


def start(kind: str, items: list[tuple[str, Settings]], content: ImageSource, style: ImageSource, columns: int) -> None:
    """Begin a series that fills the grid of `kind` (the page shows several); raises NSTError when
    the server's line is full."""
    series = Series(items, content, style, columns)
    series.next()
    st.session_state.series = series
    st.session_state.setdefault("series_done", {})[kind] = series


def stop() -> None:
    series: Series | None = st.session_state.get("series")
    if series is not None and series.job is not None:
        series.message = (f"Stopped at run {len(series.images) + 1} of {len(series.items)}; "
                          "its image so far is kept, the rest were not run.")
        series.items = series.items[: len(series.images) + 1]  # the current one keeps its image so far
        series.job.stop()


def finished(kind: str) -> Series | None:
    """The latest series of this kind, running or done."""
    return st.session_state.get("series_done", {}).get(kind)


def series_stage(kind: str) -> None:
    """The grid of a series of this kind: live while it runs, else as it ended."""
    series = finished(kind)
    if series is None:
        return
    if series.active:
        _live(kind)
    else:
        if series.message:
            st.info(series.message)
        _grid(series, list(series.images))


@st.fragment(run_every=1.0)
def _live(kind: str) -> None:
    """Once a second: record a finished run and start the next; progress, Stop, the grid so far."""
    series = finished(kind)
    status = series.job.status()
    if status.done:
        result = status.result
        if result is not None and getattr(result, "steps_done", 0):
            series.images.append((series.items[len(series.images)][0], result.image))
            try:
                series.next()
            except NSTError as exc:
                series.job, series.message = None, str(exc)
        else:
            series.job, series.message = None, status.error or series.message or "The series was stopped."
        if series.job is None:
            st.rerun()  # the whole page: its buttons are enabled again
        status = series.job.status()
    current = series.items[len(series.images)][0]
    where = f"waiting in line (number {status.position})" if status.queued else f"step {status.step} of {status.steps}"
    bar, stop_col = st.columns([5, 1], vertical_alignment="bottom")
    bar.progress(min((len(series.images) + status.work) / len(series.items), 1.0),
                 text=f"Run {len(series.images) + 1} of {len(series.items)}: {current} · {where}")
    stop_col.button("Stop", key=f"series_{kind}_stop", on_click=stop, icon=":material/stop_circle:")
    cells = list(series.images)
    if status.preview is not None:
        cells.append((f"{current} (running)", status.preview))
    _grid(series, cells)


def _grid(series: Series, cells: list[tuple[str, np.ndarray]]) -> None:
    for row in range(0, len(cells), series.columns):
        columns = st.columns(series.columns)
        for column, (label, image) in zip(columns, cells[row : row + series.columns]):
            column.image(image, caption=label, width="stretch")
