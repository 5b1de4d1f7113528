"""Starting a run, watching it live, and keeping finished runs for the gallery."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from nst.errors import NSTError
from nst.events import Losses
from nst.images import encode_png, load_image
from nst.jobs import Job, JobStatus, default_queue
from nst.report import csv_text, plot_png, term_colours
from nst.settings import Settings

from .inputs import Picked, show_fitted

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


def session_watch() -> Callable[[], bool]:
    """Whether this browser session is still connected: a closed tab stops its run within seconds."""
    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return lambda: True  # not under `streamlit run` (AppTest): the queue's poll timeout still applies
    runtime, session_id = Runtime.instance(), ctx.session_id
    return lambda: runtime.is_active_session(session_id)


XSRF_COOKIE = "_streamlit_xsrf"


def visitor_key() -> str:
    """Who is asking, as far as the server can tell: the browser. Streamlit's XSRF cookie is set once
    per browser and sent by all its tabs, so it keys the per-visitor limit (nst/jobs.py). Its limits:
    another browser or a private window is another visitor, and where the cookie is missing (XSRF
    protection off) each tab counts as one. The IP address is not used: a class behind one school
    router shares it."""
    try:
        cookie = st.context.cookies.get(XSRF_COOKIE)
    except Exception:  # not under `streamlit run` (AppTest): no request to read
        cookie = None
    if isinstance(cookie, str) and cookie:
        return "browser:" + hashlib.sha256(_xsrf_token(cookie)).hexdigest()[:16]
    ctx = get_script_run_ctx()
    return f"tab:{ctx.session_id if ctx is not None else 'none'}"


def _xsrf_token(cookie: str) -> bytes:
    """The token inside Tornado's masked XSRF cookie ('2|mask|masked token|time'), the same for every
    masking of it; the cookie itself when it has another form."""
    parts = cookie.split("|")
    try:
        if len(parts) == 4 and parts[0] == "2":
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
            return bytes(b ^ mask[i % len(mask)] for i, b in enumerate(masked))
    except ValueError:
        pass
    return cookie.encode()


def owner() -> dict[str, object]:
    """The `watch` and `visitor` of a job that this page starts (nst/jobs.py)."""
    return {"watch": session_watch(), "visitor": visitor_key()}


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
    job = Job(content.source, sources, settings, masks=masks, **owner()).start()
    st.session_state.job = job
    st.session_state.job_meta = {"title": _title(content, styles, masks), "content": content, "style": styles[0],
                                 "first": first}


def _title(content: Picked, styles: list[Picked], masks: list[np.ndarray] | None) -> str:
    return f"{content.name} × {' + '.join(s.name for s in styles)}" + (" (regions)" if masks else "")


_instant_turns = threading.BoundedSemaphore(1)  # instant pictures computed at once by this server


def instant_picture(content: Picked, styles: list[Picked], settings: Settings,
                    masks: list[np.ndarray] | None = None) -> np.ndarray:
    """The start image of a run from the feed-forward picture (nst/instant.py; `settings.init`
    'instant' or 'instant-palette', recoloured as the run recolours it), at the run's size, computed in
    this server process with onnxruntime (no TensorFlow), outside the run line: a tenth to half a
    second each, one at a time, so a class pressing at once waits seconds, never behind a run. Raises
    NSTError when the network's files are missing or damaged."""
    from nst.regions import resize_mask
    from nst.starts import StartInputs, initial_image

    photo = load_image(content.source, settings.size, "content image")
    style_size = round(settings.size * settings.style_scale)
    paintings = [load_image(s.source, style_size, "style image", narrow_ok=True) for s in styles]
    regions = None if masks is None else [resize_mask(m, photo.shape[:2]) for m in masks]
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
        (runs[-1].number + 1) if runs else 1, _title(content, styles, masks) + " (instant)",
        settings.replace(init="instant", steps=0), "completed",
        f"The instant picture, painted in one pass in {elapsed:.2f} s.", elapsed, image, photo, style,
        [(0, encode_png(image))], [], [], [], INSTANT_NETWORK,
    ))
    del runs[:-MAX_RUNS]


INSTANT_NETWORK = "Magenta's feed-forward network (instant)"


@st.cache_resource(show_spinner=False)
def warm_up(weights: str) -> bool:
    """Once per server process and network: start the run workers and build the network in them, so
    the first visitor's run does not wait for TensorFlow to load; and load the instant network here,
    in the background, so the first instant picture does not wait for it either."""
    default_queue().warm(weights)
    threading.Thread(target=_load_instant_network, name="nst-instant-warm-up", daemon=True).start()
    return True


def _load_instant_network() -> None:
    from nst.instant import instant_network

    try:
        instant_network()
    except NSTError:
        pass  # the first instant picture says why


SHUTDOWN_MESSAGE = (
    "This server is shutting down (a restart or an update): a run in line was cancelled; a running one "
    "was stopped and keeps its image so far. Download it now: the page loses the server in a few seconds."
)


@st.cache_resource(show_spinner=False)
def stop_gracefully() -> bool:
    """Once per server process: on SIGTERM (a restart, a redeploy), stop every run keeping its image
    and give the pages NST_SHUTDOWN_SECONDS (default 8) to show it before Streamlit stops. Signal
    handlers can only be set on the main thread, which runs Streamlit's event loop: the handler is
    installed from there, and wraps Streamlit's own."""
    grace = float(os.environ.get("NST_SHUTDOWN_SECONDS", "8"))
    try:
        loop = Runtime.instance()._get_async_objs().eventloop  # Streamlit's loop (no public accessor)
    except Exception:  # not under `streamlit run` (AppTest), or Streamlit changed: a plain stop then
        return False

    def install() -> None:
        streamlit_stop = signal.getsignal(signal.SIGTERM)

        def on_sigterm(number: int, frame: object) -> None:
            signal.signal(signal.SIGTERM, streamlit_stop)  # a second SIGTERM stops at once

            def drain() -> None:
                default_queue().drain(SHUTDOWN_MESSAGE)
                time.sleep(grace)
                loop.call_soon_threadsafe(streamlit_stop, number, None)

            threading.Thread(target=drain, name="nst-shutdown", daemon=True).start()

        if callable(streamlit_stop):
            signal.signal(signal.SIGTERM, on_sigterm)

    loop.call_soon_threadsafe(install)
    return True


def running() -> bool:
    return st.session_state.get("job") is not None


def busy() -> bool:
    """Whether this session has work in the line or running, a run or a series (studio/series.py):
    one at a time per visitor."""
    series = st.session_state.get("series")
    return running() or (series is not None and series.active)


SIZE_CHANGE_NOTE = (
    "Dashed lines: the run moves to a larger size there (coarse-to-fine). The enlarged image is blurrier "
    "than the painting's strokes at the new size, so the loss jumps; it then falls again. Compare the "
    "curves within one size."
)


def loss_chart(history: list[Losses], height: int = 280, sizes: list[tuple[int, tuple[int, int]]] = ()) -> alt.Chart:
    """The total and each term of the objective against step, log scale, with a dashed line where
    a coarse-to-fine run moves to its next size (`sizes`: (first step, (height, width)) of each)."""
    colours = term_colours(Losses.names(history))
    frame = pd.DataFrame(
        {"step": range(1, len(history) + 1), "total": [h.total for h in history],
         **{name: [h[name] for h in history] for name in Losses.names(history)}}
    ).melt("step", var_name="loss", value_name="value")
    frame = frame[frame["value"] > 0]  # a log axis cannot show the content term's exact zero at step 1
    lines = (
        alt.Chart(frame)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("step:Q", title="step", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("value:Q", scale=alt.Scale(type="log"), title="loss (log scale)", axis=alt.Axis(format="~s")),
            color=alt.Color(
                "loss:N", sort=list(colours),
                scale=alt.Scale(domain=list(colours), range=list(colours.values())),
                legend=alt.Legend(orient="top", title=None, columns=5, columnPadding=6, symbolSize=40),
            ),
        )
        .properties(height=height)
    )
    changes = pd.DataFrame([{"step": step, "size": f"{w}×{h} px", "row": 2 + 14 * index}  # one label row each
                            for index, (step, (h, w)) in enumerate(sizes[1:]) if step <= len(history)])
    if changes.empty:
        return lines
    rules = alt.Chart(changes).mark_rule(strokeDash=[4, 3], color="#555").encode(x="step:Q", tooltip=["size:N"])
    labels = alt.Chart(changes).mark_text(align="left", dx=3, baseline="top", color="#555", fontSize=11).encode(
        x="step:Q", y=alt.Y("row:Q", scale=None), text="size:N"
    )
    return alt.layer(lines, rules, labels)


def _finish(job: Job, status: JobStatus) -> None:
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


def _capacity() -> str:
    """How many runs this server runs at once, and where."""
    queue = default_queue()
    slots = queue.limits.slots
    where = " on its Ray cluster" if type(queue.workers[0]).__name__ == "RayWorker" else ""
    return f"This server runs {slots} run{'s' if slots > 1 else ''} at once{where}."


def _status_line(status: JobStatus) -> str:
    if status.queued:
        ahead = status.position - 1
        return (
            f"In line: number {status.position}; " + ("yours runs next, when the current run ends." if ahead == 0
            else f"{ahead} run{'s' if ahead > 1 else ''} ahead of yours, then yours.")
            + f" {_capacity()} (Each browser may have {default_queue().limits.per_visitor} runs in line or running at once.)"
        )
    if status.download is not None:
        done, total = status.download
        return f"Downloading the VGG19 ImageNet weights (first time only): {done / 1e6:.0f} of {total / 1e6:.0f} MB"
    if status.step == 0:
        return "Preparing: loading the network and images, computing the style targets…"
    height, width = status.shape
    if status.step >= status.steps:
        return f"All {status.steps} steps done at {width}×{height} px · {status.elapsed:.1f} s · finishing the result…"
    eta = f" · about {status.eta:.0f} s left" if status.eta is not None else ""
    return f"Step {status.step} of {status.steps} at {width}×{height} px · {status.elapsed:.1f} s{eta}"


@st.fragment(run_every=1.0)
def live_stage() -> None:
    """The run in progress: progress bar, evolving image, live loss curves, Stop."""
    job: Job | None = st.session_state.get("job")
    if job is None:
        return
    status = job.status()
    if status.done:
        _finish(job, status)
        st.rerun()
    image_col, side_col = st.columns([1, 1])
    with image_col:
        fraction = status.download[0] / status.download[1] if status.download and status.download[1] else status.work
        st.progress(min(fraction, 1.0), text=_status_line(status))
        first = st.session_state.job_meta.get("first")  # the instant picture, painted here at Stylise
        shown = first if first is not None and status.step == 0 else status.preview
        if shown is None:  # nothing painted yet: the photo
            show_fitted(st.session_state.job_meta["content"].preview, STAGE_HEIGHT)
        elif status.step == 0:
            what = "The instant picture" if first is not None else "The start image"
            show_fitted(shown, STAGE_HEIGHT, caption=f"{what}: the optimisation refines it next.")
        else:
            show_fitted(shown, STAGE_HEIGHT)
    with side_col:
        st.button("Stop", icon=":material/stop_circle:", on_click=job.stop, type="primary", key="stop",
                  help="Stop after the current step and keep the image so far.")
        for notice in status.notices:
            st.warning(notice)
        if status.history:
            st.altair_chart(loss_chart(status.history, sizes=status.sizes), width="stretch")
            if len(status.sizes) > 1:
                st.caption(SIZE_CHANGE_NOTE)
