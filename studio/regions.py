"""Where each painting paints: the region map (by colour, by person or face, or from a mask image), a
style per region, and the saliency map of the photo."""

from __future__ import annotations

import numpy as np
import streamlit as st

from nst import NSTError, load_image
from nst.maps import encode_map
from nst.regions import REGION_COLOURS, labels_of, masks_from_colour_map, masks_from_labels, overlay, segment
from nst.saliency import saliency_map
from nst.settings import SEGMENTER_REGIONS

from .inputs import UPLOAD_TYPES, Picked, plain, show_fitted
from .painting import painted_regions

COLOUR_NAMES = ("orange", "sky blue", "teal", "yellow", "dark blue", "red-orange", "mauve", "grey")  # Okabe-Ito
MODES = ("Everywhere", "By colour", "Person", "Face", "Paint", "Mask image")
SEGMENTER_OF_MODE = {"Person": "person", "Face": "face"}
KEEP = "Keep the photo"


@st.cache_data(show_spinner="Finding the regions…", max_entries=16)
def _segment(image: np.ndarray, regions: int) -> np.ndarray:
    return segment(image, regions)


@st.cache_data(show_spinner="Finding the person…", max_entries=16)
def _people(image: np.ndarray, segmenter: str) -> np.ndarray:
    from nst.people import region_probabilities

    return labels_of(region_probabilities(image, segmenter))


@st.cache_data(show_spinner=False, max_entries=16)
def _saliency(image: np.ndarray) -> np.ndarray:
    return saliency_map(image)


@st.cache_data(show_spinner=False, max_entries=16)
def _mask_labels(data: bytes, shape: tuple[int, int]) -> np.ndarray:
    from nst.images import resize_array

    labels, _ = masks_from_colour_map(resize_array(load_image(data, max(shape), "mask image", narrow_ok=True), shape))
    return labels


def _legend(region: int, name: str | None) -> str:
    r, g, b = (REGION_COLOURS[region % len(REGION_COLOURS)] * 255).astype(int)
    return (f"<span style='color:rgb({r},{g},{b});font-size:1.2em'>■</span> Region {region + 1} ({COLOUR_NAMES[region]})"
            + (f": {name}" if name else ""))


def _use_colours() -> None:
    st.session_state.region_mode = "By colour"


def region_controls(content: Picked, styles: list[Picked]) -> tuple[list[np.ndarray] | None, dict]:
    """Draw the region choices. Returns one mask per painting at the photo's preview size (None when
    every painting paints everywhere, or when the run finds the regions itself) and the settings that
    regions by person or face add (the run finds them at its own size: `segmenter`, `segment_styles`)."""
    st.session_state.setdefault("region_mode", MODES[0])
    st.session_state.setdefault("segments", 2)
    mode = st.segmented_control(
        "Where the paintings paint", MODES, required=True, key="region_mode",
        help="Everywhere: the paintings are blended over the whole photo. The others split the photo into regions, "
        "each with one painting or the photo kept: by colour and texture, the person and the background, the face "
        "and the rest of the person, regions you paint with a brush, or a mask image you made.",
    )
    if mode == MODES[0]:
        return None, {}
    shape = content.preview.shape[:2]
    names: tuple[str, ...] = ()
    segmenter = SEGMENTER_OF_MODE.get(mode)
    if mode == "By colour":
        count = st.slider("Number of regions", 2, 6, key="segments",
                          help="Found from the photo's colours, textures and edges (SLIC superpixels + k-means).")
        labels = _segment(content.preview, count)
    elif segmenter:
        try:
            labels = _people(content.preview, segmenter)
        except NSTError as exc:
            st.warning(str(exc))
            st.button("Use colour regions", on_click=_use_colours)
            return None, {}
        names = SEGMENTER_REGIONS[segmenter]
    elif mode == "Paint":
        labels = painted_regions(content.preview, lambda: _segment(content.preview, st.session_state.segments),
                                 lambda segmenter: _people(content.preview, segmenter))
        if labels is None:
            return None, {}
    else:
        upload = st.file_uploader("Mask image: one flat colour per region", type=UPLOAD_TYPES, key="mask_upload")
        if upload is None:
            st.caption("Paint the regions in flat colours over a copy of the photo, in any editor, and upload it.")
            return None, {}
        try:
            labels = _mask_labels(upload.getvalue(), shape)
        except NSTError as exc:
            st.error(f"{plain(upload.name)}: {exc}")
            return None, {}
    regions = len(names) or int(labels.max()) + 1
    if mode != "Paint":  # the canvas shows the painted map itself
        show_fitted(overlay(content.preview, labels), 200, caption="Regions over the photo")
    options = [KEEP, *(f"{n}. {s.name}" for n, s in enumerate(styles, start=1))]
    restored = st.session_state.pop("region_picks", None)  # from a link or settings file (studio/share.py)
    picks = []
    for region in range(regions):
        key = f"region_style_{region}"
        if restored is not None and region < len(restored) and restored[region] < len(options):
            st.session_state[key] = options[restored[region]]
        if st.session_state.get(key) not in options:
            st.session_state[key] = options[region % len(styles) + 1]
        st.markdown(_legend(region, names[region] if names else None), unsafe_allow_html=True)
        picks.append(options.index(st.selectbox(f"Painting for region {region + 1}", options, key=key,
                                                label_visibility="collapsed")))
    if not any(picks):
        st.warning("Every region keeps the photo: pick a painting for at least one region.")
        return None, {}
    if segmenter:  # soft at the person's outline: the run finds the regions at its own size
        return None, {"segmenter": segmenter, "segment_styles": tuple(picks)}
    if mode == "Paint":  # the map travels with the run's settings, so a link or settings file restores it
        return None, {"region_map": encode_map(labels), "segment_styles": tuple(picks)}
    return masks_from_labels(labels, picks, len(styles)), {}


def saliency_view(content: Picked) -> None:
    """The photo's saliency map: bright where the content weighs most."""
    show_fitted(_saliency(content.preview), 200, caption="Saliency: the subject keeps its structure where bright")
