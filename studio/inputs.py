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


def visitor_name(text: str, limit: int = 60) -> str:
    """A visitor's text (a file name) as the studio keeps it: printable characters only, shortened."""
    text = "".join(ch for ch in text if ch.isprintable())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# where GitHub-flavoured Markdown makes a link of plain text: http(s)://, ftp://, mailto:, xmpp:, www. and
# the @ of an e-mail address; an invisible word joiner there (h⁠ttp://) breaks the pattern, not the text
AUTOLINK_TRIGGERS = re.compile(r"(?i)(?<=h)(?=ttps?:)|(?<=f)(?=tp:)|(?<=m)(?=ailto:)|(?<=x)(?=mpp:)|(?<=w)(?=ww\.)|(?=@)")


def plain(text: str, limit: int = 60) -> str:
    """A visitor's text made safe to show in Markdown, as plain text: shortened, every Markdown and
    HTML character escaped (so `[x](http://…)` or `![](…)` is shown, never rendered), and an invisible
    word joiner inside every autolink trigger, without which Streamlit's Markdown turns a bare URL, a
    www. name or an e-mail address into a link despite the escapes."""
    joined = AUTOLINK_TRIGGERS.sub("\u2060", visitor_name(text, limit))
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~:$&])", r"\\\1", joined)


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


def _keep_upload(prefix: str) -> None:
    """The uploader's callback: keep the file's name and bytes in the session, so that the upload
    survives a visit to another page (Streamlit drops an uploader's file when a page does not draw
    it); clearing the uploader forgets it."""
    upload = st.session_state.get(f"{prefix}_upload")
    if upload is None:
        st.session_state.pop(f"upload_{prefix}", None)
    else:
        st.session_state[f"upload_{prefix}"] = (upload.name, upload.getvalue())


def _forget_upload(prefix: str) -> None:
    st.session_state.pop(f"upload_{prefix}", None)


def _uploaded(prefix: str, label: str) -> Picked | None:
    """The upload picker: a drop zone, and the file uploaded last (kept across pages)."""
    st.file_uploader(f"Upload a {label.lower()}", type=UPLOAD_TYPES, key=f"{prefix}_upload",
                     label_visibility="collapsed", on_change=_keep_upload, args=(prefix,))
    kept = st.session_state.get(f"upload_{prefix}")
    if kept is None:
        st.caption("Drag and drop an image: PNG, JPEG, WebP, BMP, GIF or TIFF.")
        return None
    name, data = kept
    shown = plain(name)
    try:
        preview = _load_preview(data, label.lower())
    except NSTError as exc:
        st.error(f"{shown}: {exc}")
        return None
    show_fitted(preview, 110, 240)
    if st.session_state.get(f"{prefix}_upload") is None:  # back from another page: the uploader is empty
        name_col, remove_col = st.columns([4, 1], vertical_alignment="center")
        name_col.caption(f"{shown}, uploaded earlier. Drop another image above to replace it.")
        remove_col.button("", icon=":material/close:", key=f"forget_{prefix}_upload", on_click=_forget_upload, args=(prefix,),
                          help=f"Forget {shown}")
    return Picked(visitor_name(name), data, preview)


def _keep_snapshot(prefix: str) -> None:
    """The camera's callback: keep the still in the session like an upload (a cleared camera forgets it)."""
    snapshot = st.session_state.get(f"{prefix}_camera")
    if snapshot is None:
        st.session_state.pop(f"camera_{prefix}", None)
    else:
        st.session_state[f"camera_{prefix}"] = snapshot.getvalue()


def _camera(prefix: str, label: str) -> Picked | None:
    """A still from the visitor's webcam (the browser asks first; nothing is sent until they take it)."""
    st.camera_input(f"Take a {label.lower()}", key=f"{prefix}_camera", label_visibility="collapsed",
                    on_change=_keep_snapshot, args=(prefix,),
                    help="Your browser asks to use the camera; the photo is sent when you press Take Photo.")
    data = st.session_state.get(f"camera_{prefix}")
    if data is None:
        return None
    try:
        preview = _load_preview(data, label.lower())
    except NSTError as exc:
        st.error(f"The camera's photo: {exc}")
        return None
    return Picked("camera photo", data, preview)


def _use_sample(key: str, name: str) -> None:
    st.session_state[key] = name


def image_input(kind: str, label: str, key: str | None = None, first: str | None = None) -> Picked | None:
    """Draw a picker for `kind` ('content' or 'styles') under widget keys starting with `key` (default
    `kind`); `first` is the sample shown first. Returns the chosen image or None."""
    prefix = key or kind
    st.session_state.setdefault(f"{prefix}_mode", "Samples")
    sources = ["Samples", "Upload", "Camera"] if kind == "content" else ["Samples", "Upload"]
    mode = st.segmented_control(label, sources, required=True, key=f"{prefix}_mode")
    if mode == "Upload":
        return _uploaded(prefix, label)
    if mode == "Camera":
        return _camera(prefix, label)
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
