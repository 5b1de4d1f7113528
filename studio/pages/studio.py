"""The studio page: pick a photo and a painting, press Stylise, watch it repaint, keep the results."""

import streamlit as st

from nst.errors import NSTError
from studio import controls, live, runs
from studio.gallery import gallery, result_stage
from studio.inputs import image_input
from studio.regions import region_controls, saliency_view
from studio.share import share_box
from studio.styles import add_painting_button, style_inputs

settings, problem = controls.settings_from_state()
finished = st.session_state.setdefault("runs", [])

st.markdown("#### :material/palette: NST Studio", help="Repaint a photo in the style of a painting.")
inputs_col, stage_col = st.columns([1, 2.7], gap="medium")
with inputs_col:
    content = image_input("content", "Content photo")
    styles, blend = style_inputs()
    if settings is not None and blend is not None:
        try:
            settings = settings.replace(style_blend=blend)
        except NSTError as exc:
            settings, problem = None, str(exc)
    stylise_slot = st.container()  # right after the pickers, so that on a phone (one column) it is on the first
    add_painting_button()           # screen; filled below, once the regions (which it needs) are drawn
    masks = None
    if content is not None and styles:
        open_ = st.session_state.get("region_mode", "Everywhere") != "Everywhere" or (settings and settings.saliency > 0)
        with st.expander("Regions and subject", expanded=bool(open_)):
            masks, region_settings = region_controls(content, styles)
            if settings is not None and region_settings:
                settings = settings.replace(**region_settings)
            if settings is not None and settings.saliency > 0:
                saliency_view(content)
    with stylise_slot:
        waiting_for = ("the settings to be fixed (see the message)" if settings is None else "a content photo"
                       if content is None else "a painting in every slot (upload one or remove the slot)" if not styles
                       else None)
        go_col, instant_col = st.columns([3, 2], gap="small")
        # started in the click's callback, before this script runs again: that one run draws the button
        # disabled and the live stage with the instant picture (a rerun after it cost a second script run)
        go_col.button("Stylise", type="primary", icon=":material/brush:", width="stretch",
                      disabled=runs.busy() or waiting_for is not None, on_click=runs.start_from_page,
                      args=(content, styles, settings, masks),
                      help=f"Waiting for {waiting_for}." if waiting_for else
                      "Start a run with the settings in the sidebar: it waits its turn in the server's line.")
        if instant_col.button("Instant", icon=":material/bolt:", width="stretch",
                              disabled=runs.running() or waiting_for is not None,
                              help="The feed-forward picture alone, in under a second: no optimisation, no "
                              "waiting in the line (for a busy server or a class)."):
            try:
                runs.add_instant_result(content, styles, settings, masks)
            except NSTError as exc:
                st.session_state["last_error"] = str(exc)
            st.rerun()
        if waiting_for and not runs.busy():
            st.caption(f"Stylise waits for {waiting_for}.")
        elif settings is not None:
            st.caption(
                f"{settings.size} px · {settings.steps} iterations · {controls.OPTIMIZER_LABELS[settings.optimizer]} · "
                f"style weight {settings.style_weight:g} · {controls.source_label(settings)}"
            )
    share_box(settings)

with stage_col:
    if problem:
        st.error(problem)
    error = st.session_state.pop("last_error", None)
    if error:
        st.error(error)
    info = st.session_state.pop("last_info", None)
    if info:
        st.info(info)
    if runs.running():
        live.live_stage()
    elif finished:
        result_stage(finished[-1])
    else:
        st.info(
            "Pick a photo and a painting (samples or your own), tune the settings if you like (the sidebar; "
            "the **>** at the top left opens it on a phone), then press **Stylise**. The image repaints itself "
            "here while the loss curves fall. **Inside the network**, in the sidebar's menu, shows what the "
            "network sees."
        )

if finished:
    gallery(finished)
