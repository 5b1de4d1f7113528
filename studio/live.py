"""The run in progress, drawn live: progress and place in line, the evolving image, loss curves, Stop."""

from __future__ import annotations

import streamlit as st

from nst.line.job import Job, JobStatus

from . import server
from .chart import SIZE_CHANGE_NOTE, loss_chart
from .inputs import show_fitted
from .runs import STAGE_HEIGHT, finish


def _status_line(status: JobStatus) -> str:
    if status.queued:
        ahead = status.position - 1
        return (
            f"In line: number {status.position}; " + ("yours runs next, when the current run ends." if ahead == 0
            else f"{ahead} run{'s' if ahead > 1 else ''} ahead of yours, then yours.")
            + f" {server.capacity()} (Each browser may have {server.line().limits.per_visitor} runs in line or running at once.)"
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
        finish(job, status)
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
