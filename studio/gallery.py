"""Finished runs: the newest with instant colour controls and a before/after view, and the gallery."""

from __future__ import annotations

import numpy as np
import streamlit as st

from nst import NSTError
from nst.colour import Adjustments, Look, finish
from nst.images import encode_png

from .chart import SIZE_CHANGE_NOTE, loss_chart
from .controls import OPTIMIZER_LABELS
from .inputs import plain, show_fitted
from .runs import MAX_RUNS, STAGE_HEIGHT, RunRecord

LOOK_DEFAULTS = {
    "look_keep_colours": False, "look_match": "none", "look_strength": 1.0, "look_brightness": 1.0,
    "look_contrast": 1.0, "look_saturation": 1.0, "look_hue": 0.0, "look_gamma": 1.0,
    "look_view": "Result", "look_split": 50,
}


def _reset_look() -> None:
    st.session_state.update(LOOK_DEFAULTS)


def summary(run: RunRecord) -> str:
    s = run.settings
    return (
        f"{s.size} px · {len(run.history)} steps · {OPTIMIZER_LABELS[s.optimizer]} lr {s.lr:g} · {s.scale_count} size(s) · "
        f"content {s.content_weight:g} · style {s.style_weight:g} · TV {s.tv_weight:g} · {s.init} start · "
        f"painting colours: {s.style_colours} · seed {s.seed} · ran on {run.network}"
    )


def _look_controls() -> Look | None:
    st.toggle("Keep the photo's colours", key="look_keep_colours",
              help="Luminance-only transfer (Gatys et al. 2016): the photo's colours with the painted light and shade.")
    st.radio("Match the colours to", ["none", "content", "style"], key="look_match", horizontal=True,
             format_func={"none": "no matching", "content": "the photo", "style": "the painting"}.get,
             help="Histogram matching of the result's colours.")
    st.slider("Strength", 0.0, 1.0, step=0.05, key="look_strength", help="0 = the photo, 1 = the full style.")
    left, right = st.columns(2)
    left.slider("Brightness", 0.5, 1.5, step=0.05, key="look_brightness")
    right.slider("Contrast", 0.5, 1.5, step=0.05, key="look_contrast")
    left.slider("Saturation", 0.0, 2.0, step=0.05, key="look_saturation", help="0 gives a grey image.")
    right.slider("Hue shift (°)", -180.0, 180.0, step=5.0, key="look_hue")
    left.slider("Gamma", 0.5, 2.0, step=0.05, key="look_gamma", help="Above 1 brightens the mid-tones.")
    right.button("Reset", on_click=_reset_look, icon=":material/restart_alt:")
    s = st.session_state
    try:
        return Look(
            keep_colours=s.look_keep_colours, match=s.look_match, strength=s.look_strength,
            adjustments=Adjustments(s.look_brightness, s.look_contrast, s.look_saturation, s.look_hue, s.look_gamma),
        )
    except NSTError as exc:
        st.error(str(exc))
        return None


def _split(before: np.ndarray, after: np.ndarray, percent: int) -> np.ndarray:
    """The photo left of the line, the result right of it, with a thin white divider."""
    out = after.copy()
    cut = round(after.shape[1] * percent / 100)
    out[:, :cut] = before[:, :cut]
    out[:, max(cut - 1, 0) : cut + 1] = 1.0
    return out


@st.fragment
def result_stage(run: RunRecord) -> None:
    """The newest result: loss curves, colour controls that apply instantly, before/after views.
    Each new result starts with no colour adjustments (the last result's are not carried over)."""
    if st.session_state.get("look_run") != run.number:
        st.session_state["look_run"] = run.number
        _reset_look()
    image_col, side_col = st.columns([1, 1])
    with side_col:
        curves, colour = st.tabs(["Loss curves", "Colour"])
        with curves:
            if run.history:
                st.altair_chart(loss_chart(run.history, height=260, sizes=run.sizes), width="stretch")
            else:
                st.caption("No loss curves: this picture was painted in one pass, not optimised. Stylise "
                           "refines it step by step.")
            if len(run.sizes) > 1:
                st.caption(SIZE_CHANGE_NOTE)
        with colour:
            look = _look_controls()
    image = finish(run.image, run.content, run.style, look) if look is not None else run.image
    with image_col:
        took = f"{run.elapsed:.2f} s" if run.elapsed < 10 else f"{run.elapsed:.0f} s"
        st.markdown(f"**Run {run.number}: {plain(run.title, 200)}** — {run.message} {took} on {run.network}.")
        for notice in run.notices:
            st.caption(f":material/info: {notice}")
        view = st.segmented_control("View", ["Result", "Side by side", "Split"], key="look_view", required=True,
                                    label_visibility="collapsed")
        if view == "Side by side":
            before_col, after_col = st.columns(2)
            with before_col:
                show_fitted(run.content, STAGE_HEIGHT // 2, caption="before")
            with after_col:
                show_fitted(image, STAGE_HEIGHT // 2, caption="after")
        elif view == "Split":
            show_fitted(_split(run.content, image, st.session_state.look_split), STAGE_HEIGHT - 60)
            st.slider("Split", 0, 100, key="look_split", label_visibility="collapsed", format="%d%%")
        else:
            show_fitted(image, STAGE_HEIGHT)
        st.download_button(
            "Download result (PNG)", encode_png(image), f"nst-run{run.number}.png", "image/png",
            icon=":material/download:", on_click="ignore", type="primary",
        )


def gallery(runs: list[RunRecord]) -> None:
    """Every run of this session, newest first, with its snapshots, settings and loss curves to download."""
    st.subheader("Gallery")
    st.caption(
        f"This session's runs, newest first (up to {MAX_RUNS} are kept). They live in this browser tab only: "
        "reloading or closing the page clears them, so download what you want to keep."
    )
    for run in reversed(runs):
        with st.container(border=True):
            st.markdown(f"**Run {run.number}: {plain(run.title, 200)}** · {run.reason} · {run.elapsed:.0f} s")
            st.caption(summary(run))  # says which network ran; the notices were shown with the result
            columns = st.columns(5)
            for index, (step, png) in enumerate(run.snapshots):
                with columns[index % 5]:
                    st.image(png, caption=f"step {step}" if step else "instant", width="stretch")
                    st.download_button(
                        "PNG", png, f"nst-run{run.number}-step{step}.png", "image/png", on_click="ignore",
                        key=f"dl_{run.number}_{step}", icon=":material/download:",
                    )
            a, b, c = st.columns(3)
            a.download_button("Settings (JSON)", run.settings_json, f"nst-run{run.number}-settings.json",
                              "application/json", on_click="ignore", key=f"json_{run.number}")
            if run.history:  # an instant picture has no loss curves
                b.download_button("Loss curves (PNG)", run.curves_png, f"nst-run{run.number}-losses.png", "image/png",
                                  on_click="ignore", key=f"curves_{run.number}")
                c.download_button("Losses (CSV)", run.csv, f"nst-run{run.number}-losses.csv", "text/csv",
                                  on_click="ignore", key=f"csv_{run.number}")
