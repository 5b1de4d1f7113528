"""Reproducible demos: settings restored from a link's query parameters or an uploaded settings file.

A link names settings fields (``?size=384&steps=70&style_weight=0.05&style=starry_night``) plus
`content` and `style` for the samples; a settings file is the JSON a run's "Settings (JSON)" button
downloads. Both set the sidebar's widgets, value by value: a bad value is reported in one sentence
and skipped, the rest still apply. Neither can name a server path: the weights file is the server
operator's choice (``$NST_WEIGHTS_FILE``), and samples are looked up by name among assets/.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from nst import NSTError, Settings

from . import controls, server
from .inputs import plain, samples
from .regions import SEGMENTER_OF_MODE

log = logging.getLogger(__name__)
MAX_JSON_MB = 1  # a run's settings file is under 2 KB
MAX_PROBLEMS = 12  # sentences shown for one link or file
LAYER = re.compile(r"block[1-5]_conv[1-4]")
DISPLAY_ONLY = ("preview_every", "outputs")  # how a run is shown: brought into the control's range quietly
IGNORED = {"run", "title", "network"}  # written into a run's settings file for people, not settings
NOT_IN_STUDIO = ("style_scale", "style_blend", "segments", "weights_file", "temporal_weight")
REGION_KEYS = ("region_map", "segmenter", "segment_styles")  # the regions by person, face or brush (studio/regions.py)
REGION_MODES = {segmenter: mode for mode, segmenter in SEGMENTER_OF_MODE.items()}


def restore() -> None:
    """On a session's first run, apply the link's query parameters (before any widget is drawn)."""
    if st.session_state.get("_link_restored"):
        return
    st.session_state["_link_restored"] = True
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    if params:
        repeated = [f"{_short(key)}: given {len(found)} times; a setting takes one value, so none was used."
                    for key, found in params.items() if len(found) > 1]
        values = {key: found[0] for key, found in params.items() if len(found) == 1}
        st.session_state["share_messages"] = ("link", repeated + apply(values))


def show_messages() -> None:
    """What a link or a settings file could not set, said once."""
    pending = st.session_state.pop("share_messages", None)
    if not pending:
        return
    source, problems = pending
    if problems:  # a link is anybody's text: shown, never rendered as Markdown, and not all of a long one
        more = f"\n- and {len(problems) - MAX_PROBLEMS} more" if len(problems) > MAX_PROBLEMS else ""
        st.warning(f"Some of the {source}'s settings were not used:\n\n"
                   + "\n".join(f"- {plain(problem, 400)}" for problem in problems[:MAX_PROBLEMS]) + more)
    else:
        st.toast(f"Settings restored from the {source}.", icon=":material/check_circle:")


def apply(values: dict[str, Any]) -> list[str]:
    """Set the widgets from `values` (strings from a link, or JSON values); return the problems."""
    problems = []
    base, _ = controls.settings_from_state()
    base = base or controls.STUDIO
    updates: dict[str, Any] = {}
    if any(values.get(key) not in (None, "", "colours") for key in REGION_KEYS):
        try:
            updates.update(_region_values(values))
        except NSTError as exc:
            problems.append(str(exc))
    for key, raw in values.items():
        if key in IGNORED or key in REGION_KEYS:
            continue
        try:
            updates.update(_widget_values(str(key), raw, base))
        except NSTError as exc:
            problems.append(str(exc))
        except Exception:  # a value of a type no check foresaw: a sentence too, never a traceback
            log.exception("unexpected settings value for %r", key)
            problems.append(f"{_short(key)}={_short(raw)}: not a value this setting takes.")
    if "style_layer_weights" in values:
        try:
            updates.update(_layer_weights(values["style_layer_weights"], updates.get("style_layers", base.style_layers)))
        except NSTError as exc:
            problems.append(str(exc))
    st.session_state.update(updates)
    if "optimizer" in updates and "learning_rate" not in updates:
        controls.apply_optimizer_default()
    if {"content_weight", "style_weight", "tv_weight"} & updates.keys():  # the preset these weights are, if any
        weights = {name: st.session_state.get(name) for name in ("content_weight", "style_weight", "tv_weight")}
        st.session_state["preset"] = next((name for name, preset in controls.PRESETS.items() if preset == weights), None)
    return problems


def _region_values(values: dict[str, Any]) -> dict[str, Any]:
    """The region widgets' state for a painted map or regions by person or face, with a painting
    number per region; raises NSTError with a sentence for anything the settings would refuse."""
    raw = values.get("segment_styles")
    try:
        numbers = raw.split(",") if isinstance(raw, str) else raw if isinstance(raw, list) else []
        picks = tuple(int(n) for n in numbers) or None
    except (TypeError, ValueError):
        raise NSTError(f"segment_styles={_short(raw)}: needs whole numbers, one per region.") from None
    region_map, segmenter = values.get("region_map") or None, values.get("segmenter") or "colours"
    if not isinstance(region_map, (str, type(None))) or not isinstance(segmenter, str):
        raise NSTError("region_map and segmenter take text.")
    if picks and region_map is None and segmenter == "colours":
        raise NSTError("segment_styles: the studio restores the paintings of painted regions and of regions by person "
                       "or face; colour regions (segments) are the command line's.")
    Settings(region_map=region_map, segmenter=segmenter, segment_styles=picks)  # its sentences, if refused
    updates: dict[str, Any] = {"region_picks": picks} if picks else {}
    if region_map is not None:
        return {**updates, "region_mode": "Paint", "paint_start": "Saved map", "painted_map": region_map}
    return {**updates, "region_mode": REGION_MODES[segmenter]} if segmenter in REGION_MODES else {}


def _layer_weights(raw: Any, layers: Any) -> dict[str, float]:
    if raw is None:
        return {}
    text = raw.split(",") if isinstance(raw, str) else raw if isinstance(raw, list) else None
    try:
        weights = [float(w) for w in text] if text is not None else None
    except (TypeError, ValueError):
        weights = None
    if weights is None or len(weights) != len(layers) or not all(0 <= w <= 100 for w in weights):
        raise NSTError(f"style_layer_weights={_short(raw)}: needs one number from 0 to 100 per style layer.")
    return {f"w_{layer}": w for layer, w in zip(layers, weights)}


def _widget_values(key: str, raw: Any, base: Settings) -> dict[str, Any]:
    """The widget state for one link or file entry; raises NSTError with a sentence for the visitor."""
    shown = _short(raw)
    if key in ("content", "style"):
        kind = "content" if key == "content" else "styles"
        name = str(raw).replace("_", " ").strip()
        if name not in samples(kind):
            raise NSTError(f"{key}={shown}: no sample of that name (samples: {', '.join(samples(kind))}).")
        return {f"{kind}_mode": "Samples", f"{kind}_sample": name}
    if key == "weights":
        labels = controls.weight_labels()
        if not isinstance(raw, str) or raw not in labels:
            raise NSTError(f"weights={shown}: this studio offers {', '.join(labels)}.")
        return {"weights_source": labels[raw]}
    if key in ("content_layers", "style_layers"):
        layers = _layers(key, raw, base.weights)
        if key == "content_layers":
            return {"content_layer": layers[0]}
        return {"style_layers": layers}
    if key == "style_layer_weights":
        return {}  # set with the layers, in `apply`
    if key == "learning_rate" and raw in (None, "", "none", "null"):
        return {}  # the optimiser's default
    if key in NOT_IN_STUDIO:
        if raw in (None, [], getattr(controls.STUDIO, key)):
            return {}
        raise NSTError(f"{key}: the studio has no control for it (the command line has), so it was left out.")
    if key not in controls.FIELD_WIDGETS:
        raise NSTError(f"{_short(key)}: not a setting of the studio.")
    value = _parse(key, raw, getattr(base, key))
    try:
        base.replace(**{key: value})
    except NSTError as exc:  # the engine's sentence names the setting and the value
        raise NSTError(str(exc) if str(exc).startswith(key) else f"{key}={shown}: {exc}") from None
    return {key: _on_widget(key, value)}


def _parse(key: str, raw: Any, current: Any) -> Any:
    """A link's text (or a JSON value) as the field's type."""
    if not isinstance(raw, str):
        return raw
    if key in ("learning_rate", "tv_smoothing") and raw.lower() in ("", "none", "null"):
        return None
    kind = type(controls.STUDIO.__dataclass_fields__[key].default) if current is None else type(current)
    if key in ("learning_rate", "tv_smoothing"):
        kind = float
    try:
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
    except ValueError:
        raise NSTError(f"{key}={_short(raw)}: not a {'whole ' if kind is int else ''}number.") from None
    return raw


def _on_widget(key: str, value: Any) -> Any:
    """The value as its widget can show it: on a slider's range and steps, one of a select-slider's
    options (the nearest on a log scale), else an error."""
    if key in controls.SLIDERS:
        low, high, step = controls.slider(key)
        if key in DISPLAY_ONLY:
            value = min(max(value, low), high)
        if not low <= value <= high:
            raise NSTError(f"{key}={value}: the studio's control goes from {low} to {high}.")
        return low + round((value - low) / step) * step
    if key in controls.OPTIONS:
        options = controls.OPTIONS[key]
        if value in options:
            return value
        numbers = [o for o in options if o]
        if not value:
            raise NSTError(f"{key}={value}: the studio's control offers {', '.join(f'{o:g}' for o in numbers)}.")
        nearest = controls.snap(value, numbers)
        if abs(nearest / value - 1) > 0.25:
            raise NSTError(f"{key}={value:g}: outside the studio's control ({numbers[0]:g} to {numbers[-1]:g}).")
        return nearest
    return value


def _layers(key: str, raw: Any, weights: str) -> list[str]:
    names = raw.split(",") if isinstance(raw, str) else list(raw) if isinstance(raw, (list, tuple)) else [raw]
    names = [str(n).strip() for n in names if str(n).strip()]
    known = server.line().layer_names(weights)
    bad = [n for n in names if not (n in known if known else LAYER.fullmatch(n))]
    if not names or bad:
        raise NSTError(f"{key}={_short(raw)}: not layers of this network (e.g. block5_conv2).")
    if key == "content_layers" and len(names) > 1:
        raise NSTError(f"{key}={_short(raw)}: the studio uses one content layer.")
    return list(dict.fromkeys(names))


def _short(value: Any, limit: int = 40) -> str:
    text = "".join(ch for ch in str(value) if ch.isprintable())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"'{text}'"


def parse_settings_file(data: bytes) -> dict[str, Any]:
    """The settings by name in a settings file's bytes; raises NSTError with a sentence otherwise."""
    if len(data) > MAX_JSON_MB << 20:
        raise NSTError(f"The settings file is larger than {MAX_JSON_MB} MB; a run's file is under 2 KB.")
    try:
        values = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):  # bad UTF-8 or JSON, or a number too long to convert
        raise NSTError("That is not a settings file: it is not valid JSON.") from None
    if not isinstance(values, dict):
        raise NSTError("That is not a settings file: it holds no settings by name.")
    return values


def load_settings_file() -> None:
    """The settings file's uploader's callback: apply it before the widgets are drawn."""
    upload = st.session_state.get("share_json_upload")
    if upload is None:
        return
    try:
        values = parse_settings_file(upload.getvalue())
    except NSTError as exc:
        st.session_state["share_messages"] = ("settings file", [str(exc)])
        return
    st.session_state["share_messages"] = ("settings file", apply(values))


def link_query(settings: Settings, content: str | None, style: str | None) -> str:
    """The query string that reopens these settings: the fields that differ from the studio's
    defaults, and the samples by name (an uploaded image cannot travel in a link)."""
    params: dict[str, Any] = {}
    for name in controls.FIELD_WIDGETS:
        value = getattr(settings, name)
        if value != controls.DEFAULTS.get(name, getattr(controls.STUDIO, name)):
            params[name] = "none" if value is None else f"{value:g}" if isinstance(value, float) else value
    if settings.content_layers != controls.STUDIO.content_layers:
        params["content_layers"] = ",".join(settings.content_layers)
    if settings.style_layers != controls.STUDIO.style_layers:
        params["style_layers"] = ",".join(settings.style_layers)
    if settings.weights != controls.STUDIO.weights:
        params["weights"] = settings.weights
    if settings.region_map is not None:
        params["region_map"] = settings.region_map
    if settings.segmenter != "colours":
        params["segmenter"] = settings.segmenter
    if settings.segment_styles and (settings.region_map is not None or settings.segmenter != "colours"):
        params["segment_styles"] = ",".join(str(n) for n in settings.segment_styles)
    for key, name in (("content", content), ("style", style)):
        if name is not None:
            params[key] = name.replace(" ", "_")
    return urlencode(params)


def share_box(settings: Settings | None) -> None:
    """A link that reopens this demo (with a copy button), and a settings file to restore from."""
    with st.expander("Share or restore settings", icon=":material/share:"):
        if settings is not None:
            s = st.session_state
            content = s.get("content_sample") if s.get("content_mode") == "Samples" else None
            style = s.get("styles_sample") if s.get("styles_mode") == "Samples" and len(s.get("style_slots", [0])) == 1 else None
            base = (st.context.url or "").rstrip("/")
            st.code(f"{base}/?{link_query(settings, content, style)}", language=None, wrap_lines=False)
            st.caption("Copy this link (the icon at its right) to reopen these settings and samples. "
                       + ("Uploaded images are not part of a link." if content is None or style is None else ""))
        st.file_uploader("Restore from a run's settings (JSON)", type=["json"], key="share_json_upload",
                         on_change=load_settings_file, max_upload_size=MAX_JSON_MB,
                         help="The 'Settings (JSON)' file that every run in the gallery offers.")
