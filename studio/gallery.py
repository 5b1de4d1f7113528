"""Finished runs: the latest one with live colour adjustments, and the gallery of all of them."""

from __future__ import annotations

import streamlit as st

from nst.colour import Adjustments, adjust
from nst.images import encode_png

from .inputs import show_fitted
from .runs import STAGE_HEIGHT, RunRecord, loss_chart

ADJUSTMENT_KEYS = {"brightness": 1.0, "contrast": 1.0, "saturation": 1.0, "hue": 0.0}


def _reset_adjustments() -> None:
    for name, neutral in ADJUSTMENT_KEYS.items():
        st.session_state[f"adj_{name}"] = neutral


def summary(run: RunRecord) -> str:
    s = run.settings
    return (
        f"{s.size} px · {run.history and len(run.history)} steps · {s.optimizer.upper()} lr {s.lr:g} · "
        f"content {s.content_weight:g} · style {s.style_weight:g} · TV {s.tv_weight:g} · {s.init} start · "
        f"{s.weights} weights · seed {s.seed}"
    )


@st.fragment
def result_stage(run: RunRecord) -> None:
    """The newest result, its loss curves, and colour sliders that apply instantly."""
    for name, neutral in ADJUSTMENT_KEYS.items():
        st.session_state.setdefault(f"adj_{name}", neutral)
    image_col, side_col = st.columns([1.3, 1])
    with side_col:
        st.altair_chart(loss_chart(run.history, height=240), width="stretch")
        with st.container(border=True):
            st.markdown("**Adjust colours** — instant, no re-run")
            left, right = st.columns(2)
            left.slider("Brightness", 0.5, 1.5, step=0.05, key="adj_brightness")
            right.slider("Contrast", 0.5, 1.5, step=0.05, key="adj_contrast")
            left.slider("Saturation", 0.0, 2.0, step=0.05, key="adj_saturation", help="0 gives a grey image.")
            right.slider("Hue shift (°)", -180.0, 180.0, step=5.0, key="adj_hue")
            st.button("Reset colours", on_click=_reset_adjustments, icon=":material/restart_alt:")
    adjustments = Adjustments(**{name: st.session_state[f"adj_{name}"] for name in ADJUSTMENT_KEYS})
    image = run.image if adjustments.neutral else adjust(run.image, adjustments)
    with image_col:
        st.markdown(f"**Run {run.number}: {run.title}** — {run.message} ({run.elapsed:.0f} s)")
        show_fitted(image, STAGE_HEIGHT)
        st.download_button(
            "Download result (PNG)", encode_png(image), f"nst-run{run.number}.png", "image/png",
            icon=":material/download:", on_click="ignore", type="primary",
        )


def gallery(runs: list[RunRecord]) -> None:
    """Every run of this session, newest first, with its snapshots, settings and loss curves to download."""
    st.subheader("Gallery")
    st.caption(f"This session's runs, newest first (the last {len(runs)} are kept). Compare settings side by side.")
    for run in reversed(runs):
        with st.container(border=True):
            st.markdown(f"**Run {run.number}: {run.title}** · {run.reason} · {run.elapsed:.0f} s")
            st.caption(summary(run))
            for notice in run.notices:
                st.warning(notice)
            columns = st.columns(5)
            for index, (step, png) in enumerate(run.snapshots):
                with columns[index % 5]:
                    st.image(png, caption=f"step {step}", width="stretch")
                    st.download_button(
                        "PNG", png, f"nst-run{run.number}-step{step}.png", "image/png", on_click="ignore",
                        key=f"dl_{run.number}_{step}", icon=":material/download:",
                    )
            a, b, c = st.columns(3)
            a.download_button("Settings (JSON)", run.settings_json, f"nst-run{run.number}-settings.json",
                              "application/json", on_click="ignore", key=f"json_{run.number}")
            b.download_button("Loss curves (PNG)", run.curves_png, f"nst-run{run.number}-losses.png", "image/png",
                              on_click="ignore", key=f"curves_{run.number}")
            c.download_button("Losses (CSV)", run.csv, f"nst-run{run.number}-losses.csv", "text/csv",
                              on_click="ignore", key=f"csv_{run.number}")
