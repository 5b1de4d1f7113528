"""The sidebar: every run setting, grouped, with help texts from `nst.Settings`."""

from __future__ import annotations

import math
import os

import streamlit as st

from nst import NSTError, Settings
from nst.settings import DEFAULT_LEARNING_RATES, WEIGHTS_FILE_ENV

from . import server

OPTIMIZER_LABELS = {"lbfgs-adam": "L-BFGS+Adam", "lbfgs": "L-BFGS", "adam": "Adam", "sgd": "SGD"}
INIT_LABELS = {"content": "the photo", "palette": "the photo in the painting's colours",
               "instant": "the instant picture (a feed-forward network)",
               "instant-palette": "the instant picture in the painting's colours", "style": "the painting",
               "noise": "noise"}


def weight_sources() -> dict[str, str]:
    """The networks a visitor may choose. A weights file on the server is the operator's choice
    ($NST_WEIGHTS_FILE); the page never takes a path, so a visitor cannot probe the server's files."""
    sources = {"ImageNet VGG19": "imagenet", "Offline VGG16": "offline"}
    if os.environ.get(WEIGHTS_FILE_ENV):
        sources = {"Server's VGG19 weights": "file", **sources}
    return sources


def log_options(low: int, high: int) -> list[float]:
    """1-2-3-5 steps per decade from 10**low to 5 * 10**high."""
    return [float(f"{m}e{e}") for e in range(low, high + 1) for m in (1, 2, 3, 5)]


WEIGHT_OPTIONS = log_options(-5, 6)
LR_OPTIONS = log_options(-5, -1)
EDGE_OPTIONS = [0.0, *log_options(3, 7)]
PALETTE_OPTIONS = [0.0, *log_options(5, 9)]
SALIENCY_OPTIONS = [0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0]
TV_SMOOTHING_OPTIONS = [None, 0.0, 0.01, 0.02, 0.05, 0.1]
# the sliders' (low, high, step) and the select-sliders' options, by Settings field: the sidebar draws
# them and a shared link or settings file is checked against them (studio/share.py)
SLIDERS = {"steps": (10, 1000, 10), "scales": (0, 4, 1), "size": (128, 1024, 32), "outputs": (1, 10, 1),
           "preview_every": (1, 50, 1), "seed": (0, 2**31 - 1, 1)}
OPTIONS = {"content_weight": WEIGHT_OPTIONS, "style_weight": WEIGHT_OPTIONS, "tv_weight": WEIGHT_OPTIONS,
           "edge_weight": EDGE_OPTIONS, "palette_weight": PALETTE_OPTIONS, "saliency": SALIENCY_OPTIONS,
           "learning_rate": LR_OPTIONS, "tv_smoothing": TV_SMOOTHING_OPTIONS}
STUDIO = Settings(size=256, outputs=4, preview_every=5)  # the studio's own choices; the rest are the engine's


def _preset(style: float, tv: float) -> dict[str, float]:
    """The default weights with the style and TV weights multiplied, on the sliders' steps (the
    normalised objective keeps their meaning at every size)."""
    return {"content_weight": snap(STUDIO.content_weight), "style_weight": snap(STUDIO.style_weight * style),
            "tv_weight": snap(STUDIO.tv_weight * tv)}


def snap(value: float, options: list[float] = WEIGHT_OPTIONS) -> float:
    """The option nearest `value` on a log scale."""
    return min(options, key=lambda option: abs(math.log(option / value)))


PRESETS = {"gentle": _preset(0.2, 1.0), "balanced": _preset(1.0, 1.0), "bold": _preset(5.0, 1 / 3)}
# widgets keyed by a Settings field's name: their values go straight into Settings(...)
FIELD_WIDGETS = (
    "content_weight", "style_weight", "tv_weight", "tv_smoothing", "edge_weight", "palette_weight", "saliency",
    "style_colours", "objective", "steps", "strokes",
    "learning_rate", "optimizer", "scales", "init", "size", "outputs", "seed", "preview_every", "precision",
)
DEFAULTS = {
    "preset": "balanced",
    **{name: getattr(STUDIO, name) for name in FIELD_WIDGETS},
    **PRESETS["balanced"],
    "learning_rate": STUDIO.lr,
    "content_layer": STUDIO.content_layers[0],
    "style_layers": list(STUDIO.style_layers),
}


def layers_in_use() -> list[str]:
    """The layers chosen now: all the layer pickers can offer until a worker has built the network."""
    in_use = [st.session_state.get("content_layer"), *st.session_state.get("style_layers", [])]
    return list(dict.fromkeys(name for name in in_use if name))


def weight_labels() -> dict[str, str]:
    """The networks a visitor may choose, label by weight source (the reverse of `weight_sources`)."""
    return {source: label for label, source in weight_sources().items()}


def source_label(settings: Settings) -> str:
    """The chosen network, and what runs instead when this server could not get it; once a worker has
    built it, the Keras backend and device it runs on."""
    label = weight_labels().get(settings.weights, settings.weights)
    queue = server.line()
    actual = queue.network_description(settings.weights)
    compute = queue.network_compute(settings.weights)
    if settings.weights == "imagenet" and actual and not actual.startswith("VGG19"):
        label = f"{label} unavailable here: runs use {actual}"
    elif settings.weights == "imagenet" and actual is None:
        label = f"{label} ({'downloaded by the first run, ~80 MB' if queue.warmed('imagenet') else 'loading…'})"
    return f"{label} · {compute}" if compute else label


# widgets drawn by the pages (not the sidebar) whose values must survive a visit to another page; no
# button's key may start with these: a button's value cannot be set
KEPT_ACROSS_PAGES = ("content_", "styles", "blend_", "look_", "region_", "segments", "paint_", "inside_", "clip_", "live_")
NOT_SETTABLE = ("_upload", "_camera")  # an uploader's file and a camera's still cannot be set (studio/inputs.py keeps them)
KEPT = "_page_widgets"  # their values as the last run began


def init_state() -> None:
    """Defaults for a new session, and every page's widget values kept while another page shows.

    Streamlit forgets the value of a widget that a run does not draw, and on a page change in the
    browser it drops the values of the widgets the old page drew before the new run starts (so a
    photo picked on the studio was back to the first sample after a visit to the other page). Each
    run therefore records those values, puts back any that were dropped, and sets them again, which
    keeps them while another page shows. An uploader's file and a camera's still cannot be set
    (studio/inputs.py keeps them); nor can the painting canvas's strokes (its key starts otherwise).
    """
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    st.session_state.setdefault("weights_source", next(iter(weight_sources())))
    kept = st.session_state.setdefault(KEPT, {})
    for key, value in kept.items():
        if key not in st.session_state:
            st.session_state[key] = value
    for key in list(st.session_state):
        if isinstance(key, str) and key.startswith(KEPT_ACROSS_PAGES) and not key.endswith(NOT_SETTABLE):
            st.session_state[key] = kept[key] = st.session_state[key]


def apply_optimizer_default() -> None:
    st.session_state["learning_rate"] = DEFAULT_LEARNING_RATES[st.session_state["optimizer"]]


def apply_preset() -> None:
    preset = st.session_state.get("preset")
    if preset in PRESETS:
        st.session_state.update(PRESETS[preset])


def slider(name: str) -> tuple[int, int, int]:
    """A slider's (low, high, step); the size's high end is this server's (NST_MAX_SIZE, or 512 px on a
    machine with under 4 GB of memory such as Community Cloud)."""
    low, high, step = SLIDERS[name]
    return (low, min(high, server.line().limits.max_size), step) if name == "size" else (low, high, step)


def _range(name: str) -> dict[str, int]:
    low, high, step = slider(name)
    return {"min_value": low, "max_value": high, "step": step}


def _fmt(value: float) -> str:
    return f"{value:g}"


def _scales_label(count: int) -> str:
    """'auto' says how many sizes it means with the size and start chosen now (it depends on both)."""
    if count:
        return str(count)
    size = st.session_state.get("size", STUDIO.size)
    init, strokes = st.session_state.get("init", STUDIO.init), st.session_state.get("strokes", STUDIO.strokes)
    return f"auto ({STUDIO.replace(size=size, init=init, strokes=strokes).scale_count} at {size} px)"


def sidebar() -> None:
    """Draw the run settings (every page shares them); `settings_from_state` reads them."""
    h = Settings.help
    with st.sidebar:
        st.header("Settings")
        st.segmented_control(
            "Preset", list(PRESETS), key="preset", on_change=apply_preset,
            help="Set the three weights at once: gentle keeps more of the photo, bold paints more.",
        )
        st.subheader("Content vs style")
        st.select_slider("Content weight", OPTIONS["content_weight"], key="content_weight", format_func=_fmt,
                         help=h("content_weight"))
        st.select_slider("Style weight", OPTIONS["style_weight"], key="style_weight", format_func=_fmt, help=h("style_weight"))
        st.select_slider("Smoothness (TV weight)", OPTIONS["tv_weight"], key="tv_weight", format_func=_fmt, help=h("tv_weight"))
        st.select_slider("Crisp edges (edge weight)", OPTIONS["edge_weight"], key="edge_weight", format_func=_fmt,
                         help=h("edge_weight"))
        st.select_slider("Painting's palette (palette weight)", OPTIONS["palette_weight"], key="palette_weight",
                         format_func=_fmt, help=h("palette_weight"))
        st.select_slider("Keep the subject (saliency)", OPTIONS["saliency"], key="saliency", format_func=_fmt,
                         help=h("saliency") + " The map is shown under the photo.")
        st.radio("Brush strokes", Settings.choices("strokes"), key="strokes", horizontal=True, help=h("strokes"))
        st.radio("Painting colours", Settings.choices("style_colours"), key="style_colours", horizontal=True,
                 format_func={"keep": "the painting's", "content": "the photo's"}.get, help=h("style_colours"))

        st.subheader("Optimisation")
        st.slider("Iterations", **_range("steps"), key="steps", help=h("steps"))
        st.select_slider("Learning rate", OPTIONS["learning_rate"], key="learning_rate", format_func=_fmt,
                         help=h("learning_rate"))
        st.radio("Optimiser", Settings.choices("optimizer"), key="optimizer", horizontal=True,
                 format_func=OPTIMIZER_LABELS.get,
                 on_change=apply_optimizer_default,
                 help=h("optimizer") + " Switching sets the learning rate to the optimiser's default.")
        low, high, step = SLIDERS["scales"]
        st.select_slider("Coarse-to-fine sizes", list(range(low, high + 1, step)), key="scales", help=h("scales"),
                         format_func=_scales_label)
        st.radio("Start from", Settings.choices("init"), key="init", format_func=INIT_LABELS.get, help=h("init"))

        st.subheader("Output")
        st.slider("Size (longer side, px)", **_range("size"), key="size", help=h("size") + " Larger is slower.")
        st.slider("Outputs per run", **_range("outputs"), key="outputs", help=h("outputs"))

        with st.expander("Advanced"):
            st.number_input("Seed", **_range("seed"), key="seed", help=h("seed"))
            st.slider("Refresh the image every N steps", **_range("preview_every"), key="preview_every",
                      help=h("preview_every"))
            known = server.line().layer_names(current_weights())
            layers = list(known) if known else layers_in_use()
            st.selectbox("Content layer", layers, key="content_layer", help=h("content_layers"))
            st.multiselect("Style layers", layers, key="style_layers", help=h("style_layers"))
            if not known:
                st.caption("Every layer of the network is listed here once it has loaded.")
            for name in st.session_state["style_layers"]:
                st.session_state.setdefault(f"w_{name}", 1.0)
                st.number_input(f"weight of {name}", 0.0, 100.0, step=0.1, key=f"w_{name}")
            st.selectbox("Total variation", OPTIONS["tv_smoothing"], key="tv_smoothing", help=h("tv_smoothing"),
                         format_func=lambda v: "the network's own" if v is None else "L1 (the tutorial's)" if v == 0
                         else f"smooth below {v:g}")
            st.radio("Loss", Settings.choices("objective"), key="objective", horizontal=True,
                     format_func={"normalised": "any size", "tutorial": "the TF tutorial's"}.get, help=h("objective"))
            st.radio("Number format", Settings.choices("precision"), key="precision", horizontal=True, help=h("precision"))
            st.radio("Network weights", list(weight_sources()), key="weights_source",
                     help="ImageNet VGG19 is downloaded once (~80 MB); the offline VGG16 needs no network. "
                     f"A server's own weights file is set by its operator (${WEIGHTS_FILE_ENV}).")


def current_weights() -> str:
    """The weight source chosen in the sidebar."""
    return weight_sources().get(st.session_state["weights_source"], "imagenet")


def settings_from_state() -> tuple[Settings | None, str | None]:
    """The settings the sidebar's widgets describe, or a message saying what is wrong."""
    s = st.session_state
    layer_weights = [s.get(f"w_{name}", 1.0) for name in s["style_layers"]]
    try:
        settings = Settings(
            **{name: s[name] for name in FIELD_WIDGETS},
            content_layers=(s["content_layer"],), style_layers=tuple(s["style_layers"]),
            style_layer_weights=tuple(layer_weights) if layer_weights else None,
            weights=current_weights(),
        )
    except NSTError as exc:
        return None, str(exc)
    return settings, None
