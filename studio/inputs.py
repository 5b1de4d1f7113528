"""Content and style pickers: a gallery of the samples in assets/, or an upload."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from nst import NSTError, load_image

ASSETS = Path(__file__).resolve().parent.parent / "assets"
UPLOAD_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"]
PREVIEW_SIZE = 512


@dataclass(frozen=True)
class Picked:
    name: str
    source: Path | bytes  # what the engine loads at the run's size
    preview: np.ndarray


FIRST = {"content": "cat", "styles": "swirls"}  # the pair that shows the idea best comes first in the lists


def plain(text: str, limit: int = 60) -> str:
    """A visitor's text (a file name) made safe to show in Markdown: shortened, every Markdown and HTML
    character escaped, so a name like `[x](http://…)` or `![](…)` is shown, never rendered."""
    text = "".join(ch for ch in text if ch.isprintable())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~:$&])", r"\\\1", text)


def samples(kind: str) -> dict[str, Path]:
    found = {p.stem.replace("_", " "): p for p in sorted((ASSETS / kind).glob("*.jpg"))}
    first = FIRST.get(kind)
    return dict(sorted(found.items(), key=lambda item: item[0] != first))


@st.cache_data(show_spinner=False, max_entries=64)
def _load_preview(data: bytes | str, name: str) -> np.ndarray:
    return load_image(Path(data) if isinstance(data, str) else data, PREVIEW_SIZE, name)


def show_fitted(image: np.ndarray, max_height: int, max_width: int | None = None, caption: str | None = None) -> None:
    """Show an image no taller than max_height (and no wider than max_width, else the column's width)."""
    height, width = image.shape[:2]
    fitted = round(max_height * width / height)
    if max_width is not None:
        st.image(image, width=max(32, min(max_width, fitted)), caption=caption)
    elif height > width:
        st.image(image, width=max(32, fitted), caption=caption)
    else:
        st.image(image, width="stretch", caption=caption)


def _use_sample(key: str, name: str) -> None:
    st.session_state[key] = name


def image_input(kind: str, label: str, key: str | None = None, first: str | None = None) -> Picked | None:
    """Draw a picker for `kind` ('content' or 'styles') under widget keys starting with `key` (default
    `kind`); `first` is the sample shown first. Returns the chosen image or None."""
    prefix = key or kind
    st.session_state.setdefault(f"{prefix}_mode", "Samples")
    mode = st.segmented_control(label, ["Samples", "Upload"], required=True, key=f"{prefix}_mode")
    if mode == "Upload":
        upload = st.file_uploader(f"Upload a {label.lower()}", type=UPLOAD_TYPES, key=f"{prefix}_upload",
                                  label_visibility="collapsed")
        if upload is None:
            st.caption("Drag and drop an image: PNG, JPEG, WebP, BMP, GIF or TIFF.")
            return None
        data, shown_name = upload.getvalue(), plain(upload.name)
        try:
            preview = _load_preview(data, label.lower())
        except NSTError as exc:
            st.error(f"{shown_name}: {exc}")
            return None
        show_fitted(preview, 110, 240)
        return Picked(shown_name, data, preview)

    options = samples(kind)
    key = f"{prefix}_sample"
    if first in options:
        st.session_state.setdefault(key, first)
    pick_col, browse_col = st.columns([3, 2], vertical_alignment="bottom")
    name = pick_col.selectbox(f"{label} sample", list(options), key=key, label_visibility="collapsed")
    with browse_col.popover("All", icon=":material/photo_library:", help="Browse the samples"):
        columns = st.columns(2)
        for index, (sample, path) in enumerate(options.items()):
            with columns[index % 2]:
                st.image(str(path), width=150)
                st.button(f"Use {sample}", key=f"use_{prefix}_{index}", on_click=_use_sample, args=(key, sample))
        st.caption("Provenance: assets/SOURCES.md")
    preview = _load_preview(str(options[name]), label.lower())
    show_fitted(preview, 110, 240)
    return Picked(name, options[name], preview)
