"""The style paintings of a run: one or several, each with a blend weight."""

from __future__ import annotations

import streamlit as st

from .inputs import Picked, image_input, samples

MAX_STYLES = 4


def _add() -> None:
    st.session_state.style_slots.append(st.session_state.next_style_slot)
    st.session_state.next_style_slot += 1


def _remove(slot: int) -> None:
    st.session_state.style_slots.remove(slot)


def style_inputs() -> tuple[list[Picked], tuple[float, ...] | None]:
    """Draw a picker per style painting (remove and weight each when there are several; the button
    that adds one is `add_painting_button`); return the chosen paintings and their blend weights (None
    for a single painting), or no paintings while an upload is missing."""
    st.session_state.setdefault("style_slots", [0])
    st.session_state.setdefault("next_style_slot", 1)
    slots = st.session_state.style_slots
    names = list(samples("styles"))
    picked: list[Picked] = []
    weights: list[float] = []
    for number, slot in enumerate(slots, start=1):
        label = "Style painting" if len(slots) == 1 else f"Style painting {number}"
        # slot 0 is the classic first sample; added slots start from the next samples in turn
        first = names[slot % len(names)] if slot and names else None
        choice = image_input("styles", label, key=f"styles{slot}" if slot else "styles", first=first)
        if len(slots) > 1:
            weight_col, remove_col = st.columns([3, 1], vertical_alignment="bottom")
            st.session_state.setdefault(f"blend_{slot}", 1.0)
            weight = weight_col.slider(f"Weight of painting {number}", 0.0, 1.0, step=0.05, key=f"blend_{slot}",
                                       help="Blend: the paintings' weights are normalised to sum to 1. "
                                       "With regions, a weight scales that painting's strength in its region.")
            remove_col.button("", key=f"remove_style_{slot}", on_click=_remove, args=(slot,),
                              icon=":material/delete:", help=f"Remove painting {number}")
            weights.append(weight)
        if choice is not None:
            picked.append(choice)
    if len(picked) < len(slots):  # an upload slot is still empty: nothing to run yet
        return [], None
    return picked, tuple(weights) if len(slots) > 1 else None


def add_painting_button() -> None:
    """The button that adds a painting slot (up to MAX_STYLES)."""
    if len(st.session_state.style_slots) < MAX_STYLES:
        st.button("Add a painting", icon=":material/add:", on_click=_add, key="add_style",
                  help="Blend several paintings, or give each its own region of the photo.")
