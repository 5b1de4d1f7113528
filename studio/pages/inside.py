"""Inside the network: what a layer sees, why a Gram matrix is style, and how the weights decide the look."""

import streamlit as st

from nst import NSTError
from nst.lessons import (
    BLOCKS,
    LESSON_SIZE,
    LESSON_STEPS,
    content_reconstructions,
    lesson_settings,
    style_reconstructions,
    tradeoff_grid,
)
from studio import controls, runs, series
from studio.inputs import image_input, plain
from studio.network_views import feature_grid, gram_figure, image_names, inspection, layer_note

settings, problem = controls.settings_from_state()

st.markdown("#### :material/neurology: Inside the network")
st.caption(
    "A walk for a class: what a convolutional layer sees, why a Gram matrix is style, and how the weight "
    "ratio decides the look. Everything here uses the same network as the studio, chosen in the sidebar."
)
inputs_col, main_col = st.columns([1, 2.7], gap="medium")
with inputs_col:
    content = image_input("content", "Content photo")
    style = image_input("styles", "Style painting")
with main_col:
    if problem:
        st.error(problem)
    ready = settings is not None and content is not None and style is not None
    if not ready:
        st.info("Pick a photo and a painting on the left (samples or your own).")
        st.stop()
    layers_tab, gram_tab, rebuild_tab, tradeoff_tab = st.tabs(
        ["What a layer sees", "Style is statistics", "Reconstructions", "Trade-offs"]
    )
    with layers_tab:
        seen = inspection(content, style, settings)
        if seen is not None:
            images = list(seen.views)
            names = image_names()
            image_name = st.radio("Image", images, format_func=lambda name: names.get(name, name), horizontal=True,
                                  key="inside_image")
            layers = list(seen.views[image_name])
            st.session_state.setdefault("inside_layer", layers[0])
            layer = st.select_slider("Layer", layers, key="inside_layer",
                                     help="From the first convolution (block1_conv1) to the deepest (block5).")
            st.markdown(layer_note(layer))
            view = seen.views[image_name][layer]
            st.image(feature_grid(view), width="stretch",
                     caption=f"{layer}: the {len(view.channels)} strongest of its {view.shape[2]} channels "
                     f"(channels {', '.join(map(str, view.channels))}), each {view.shape[1]}×{view.shape[0]} "
                     f"locations; bright = strong response. Ran on {seen.network}.")
    with gram_tab:
        if seen is not None:
            gram_layers = [name for name, view in seen.views["painting"].items() if view.gram is not None]
            st.session_state.setdefault("inside_gram_layer", gram_layers[0])
            layer = st.select_slider("Style layer", gram_layers, key="inside_gram_layer")
            others = [name for name in seen.views if name != "painting"]
            other = st.radio("Compare the painting with", others, horizontal=True, key="inside_gram_other",
                             format_func=lambda name: image_names().get(name, name))
            figure, distance = gram_figure(seen, layer, other)
            st.pyplot(figure, width="stretch")
            st.markdown(
                f"Entry *(i, j)* of a Gram matrix is how strongly channels *i* and *j* fire **together**, summed "
                f"over every location: *where* they fire is thrown away. So two pictures with the same Gram "
                f"matrices share textures and colours, not layout. That is what the style loss compares: "
                f"here {plain(image_names()[other], 120)} differs from the painting at {layer} by **{distance:.0%}** "
                f"(the distance between the two matrices, as a share of the size of the painting's)."
            )
    with rebuild_tab:
        st.markdown(
            "Gatys et al.'s figure 1: start from noise and ask for one thing only. **Content** of one layer: "
            "shallow layers rebuild the exact pixels; deeper ones keep the parts of things (eyes, a nose, "
            "outlines) in their places and let the colours and the exact pixels go. A little smoothing (the "
            "sidebar's TV weight) clears the noise that deep layers do not care about. "
            "**Style** up to a layer: the texture grows in scale as deeper layers join."
        )
        size_col, steps_col = st.columns(2)
        st.session_state.setdefault("inside_size", LESSON_SIZE)
        st.session_state.setdefault("inside_steps", LESSON_STEPS)
        size = size_col.slider("Size (px)", LESSON_SIZE, 256, step=32, key="inside_size",
                               help="From 128 px: below it the deepest layers have too few locations to keep anything.")
        steps = steps_col.slider("Iterations per image", 10, 200, step=10, key="inside_steps")
        base = lesson_settings(settings, size, steps)
        content_col, style_col = st.columns(2)
        lessons = {"content": content_reconstructions(base, BLOCKS), "style": style_reconstructions(base, BLOCKS)}
        go = {
            "content": content_col.button("Rebuild the content, block1 to block5", icon=":material/image:",
                                          disabled=runs.busy(), key="go_content_lesson"),
            "style": style_col.button("Rebuild the style, block1 up to block5", icon=":material/texture:",
                                      disabled=runs.busy(), key="go_style_lesson"),
        }
        for kind, pressed in go.items():
            if pressed:
                try:
                    series.start(kind, lessons[kind], content.source, style.source, columns=len(BLOCKS))
                except NSTError as exc:
                    st.error(str(exc))
                else:
                    st.rerun()
        for kind in ("content", "style"):
            series.series_stage(kind)
    with tradeoff_tab:
        st.markdown(
            "The same photo and painting with the style weight multiplied by a few factors: the **ratio** of "
            "style to content weight decides the look, not either number alone. Add TV factors for a second row."
        )
        factor_col, tv_col = st.columns(2)
        st.session_state.setdefault("inside_factors", [0.1, 1.0, 10.0])
        st.session_state.setdefault("inside_tv_factors", [1.0])
        factors = factor_col.multiselect("Style weight ×", [0.01, 0.1, 1.0, 10.0, 100.0], key="inside_factors",
                                         max_selections=5, format_func=lambda f: f"{f:g}")
        tv_factors = tv_col.multiselect("TV weight ×", [0.1, 1.0, 10.0], key="inside_tv_factors",
                                        max_selections=3, format_func=lambda f: f"{f:g}")
        grid = tradeoff_grid(base, sorted(factors), sorted(tv_factors)) if factors and tv_factors else []
        st.caption(f"{len(grid)} runs of {base.steps} iterations at {base.size} px (set on the Reconstructions "
                   "tab), from the sidebar's weights and start image (the photo in the painting's colours shows the "
                   "painting's palette even at a small style weight: start from the photo to see the weights alone).")
        if st.button("Run the grid", icon=":material/grid_view:", disabled=runs.busy() or not grid, key="go_tradeoff"):
            try:
                series.start("tradeoff", grid, content.source, style.source, columns=len(factors))
            except NSTError as exc:
                st.error(str(exc))
            else:
                st.rerun()
        series.series_stage("tradeoff")
