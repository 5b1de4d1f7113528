"""Where each painting paints: the region map (automatic or from a mask image), a style per region,
and the saliency map of the photo."""

from __future__ import annotations

import numpy as np
import streamlit as st

from nst import NSTError, load_image
from nst.regions import REGION_COLOURS, masks_from_colour_map, masks_from_labels, overlay, segment
from nst.saliency import saliency_map

from .inputs import UPLOAD_TYPES, Picked, plain, show_fitted

COLOUR_NAMES = ("orange", "sky blue", "teal", "yellow", "dark blue", "red-orange", "mauve", "grey")  # Okabe-Ito
MODES = ("Everywhere", "Automatic regions", "Mask image")
KEEP = "Keep the photo"


@st.cache_data(show_spinner="Finding the regions…", max_entries=16)
def _segment(image: np.ndarray, regions: int) -> np.ndarray:
    return segment(image, regions)


@st.cache_data(show_spinner=False, max_entries=16)
def _saliency(image: np.ndarray) -> np.ndarray:
    return saliency_map(image)


@st.cache_data(show_spinner=False, max_entries=16)
def _mask_labels(data: bytes, shape: tuple[int, int]) -> np.ndarray:
    from nst.images import resize_array

    labels, _ = masks_from_colour_map(resize_array(load_image(data, max(shape), "mask image", narrow_ok=True), shape))
    return labels


def _legend(region: int) -> str:
    r, g, b = (REGION_COLOURS[region % len(REGION_COLOURS)] * 255).astype(int)
    return f"<span style='color:rgb({r},{g},{b});font-size:1.2em'>■</span> Region {region + 1} ({COLOUR_NAMES[region]})"


def region_controls(content: Picked, styles: list[Picked]) -> list[np.ndarray] | None:
    """Draw the region choices; return one mask per painting at the photo's preview size, or None
    when every painting paints everywhere."""
    st.session_state.setdefault("region_mode", MODES[0])
    st.session_state.setdefault("segments", 2)
    mode = st.segmented_control(
        "Where the paintings paint", MODES, required=True, key="region_mode",
        help="Everywhere: the paintings are blended over the whole photo. Regions: each part of the photo "
        "gets one painting, or keeps the photo.",
    )
    if mode == MODES[0]:
        return None
    shape = content.preview.shape[:2]
    if mode == MODES[1]:
        count = st.slider("Number of regions", 2, 6, key="segments",
                          help="Found from the photo's colours, textures and edges (SLIC superpixels + k-means).")
        labels = _segment(content.preview, count)
    else:
        upload = st.file_uploader("Mask image: one flat colour per region", type=UPLOAD_TYPES, key="mask_upload")
        if upload is None:
            st.caption("Paint the regions in flat colours over a copy of the photo, in any editor, and upload it.")
            return None
        try:
            labels = _mask_labels(upload.getvalue(), shape)
        except NSTError as exc:
            st.error(f"{plain(upload.name)}: {exc}")
            return None
    regions = int(labels.max()) + 1
    show_fitted(overlay(content.preview, labels), 200, caption="Regions over the photo")
    options = [KEEP, *(f"{n}. {s.name}" for n, s in enumerate(styles, start=1))]
    picks = []
    for region in range(regions):
        key = f"region_style_{region}"
        if st.session_state.get(key) not in options:
            st.session_state[key] = options[region % len(styles) + 1]
        st.markdown(_legend(region), unsafe_allow_html=True)
        picks.append(options.index(st.selectbox(f"Painting for region {region + 1}", options, key=key,
                                                label_visibility="collapsed")))
    if not any(picks):
        st.warning("Every region keeps the photo: pick a painting for at least one region.")
        return None
    return masks_from_labels(labels, picks, len(styles))


def saliency_view(content: Picked) -> None:
    """The photo's saliency map: bright where the content weighs most."""
    show_fitted(_saliency(content.preview), 200, caption="Saliency: the subject keeps its structure where bright")
