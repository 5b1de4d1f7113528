"""Links and settings files are anybody's text: every value of every type gets a sentence, never a
traceback (studio/share.py)."""

import re

import pytest
from streamlit.testing.v1 import AppTest

from nst import NSTError
from studio import controls, share
from tests.harness.paths import APP

KEYS = (*controls.FIELD_WIDGETS, *share.NOT_IN_STUDIO, "content", "style", "weights", "content_layers",
        "style_layers", "style_layer_weights", "no_such_setting")
HOSTILE = (None, True, False, 0, -1, 10**4000, 1e308, float("nan"), float("inf"), -0.0, "", "x", "1e999",
           "9" * 5000, "../../etc/passwd", [], ["offline"], [1, 2], [[1]], {}, {"a": 1}, {"size": 256},
           [None], "block5_conv2", ["block5_conv2", "block5_conv2"], "http://example.com")


@pytest.mark.parametrize("key", KEYS)
def test_every_value_of_every_type_gets_a_sentence_or_a_widget_value(key):
    for raw in HOSTILE:
        try:
            values = share._widget_values(key, raw, controls.STUDIO)
        except NSTError as exc:
            assert str(exc).strip(), (key, raw)
        else:
            assert isinstance(values, dict), (key, raw)


@pytest.mark.parametrize("data", [
    b'{"size": ' + b"9" * 5000 + b"}", b"\xff\xfe not utf-8", b"[" * 100_000 + b"]" * 100_000, b"[1, 2]",
    b'"size"', b"", b"{" + b" " * (2 << 20) + b"}",
])
def test_a_file_that_is_not_a_settings_file_gets_a_sentence(data):
    with pytest.raises(NSTError, match="settings file"):
        share.parse_settings_file(data)


@pytest.mark.parametrize("page", [None, "studio/pages/inside.py"])
def test_a_repeated_link_parameter_gets_a_sentence_and_the_page_is_drawn(page):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"weights": ["offline", "imagenet"], "size": "384", "steps": ["1", "2", "3"]})
    if page:
        at.switch_page(page)  # the link opens this page
    at.run()
    assert not at.exception, at.exception
    (warning,) = [w.value for w in at.warning]
    assert "weights" in warning and "given 2 times" in warning and "given 3 times" in warning
    assert at.slider(key="size").value == 384  # the rest still applies
    assert at.session_state["weights_source"] == next(iter(controls.weight_sources()))  # untouched


@pytest.mark.parametrize("text", ["http://evil.example/x", "see https://a.b", "www.evil.example", "mail@evil.example",
                                  "[x](javascript:alert(1))", "ftp://x.y"])
def test_visitor_text_has_nothing_markdown_could_turn_into_a_link(text):
    from studio.inputs import plain

    shown = plain(text, 200)
    unescaped = shown.replace("\\", "")
    assert unescaped.replace("\u2060", "") == text  # the same characters on screen
    assert not re.search(r"(https?|ftp)://|mailto:|www\.|[\w.+-]@", unescaped, re.IGNORECASE), shown  # no autolinks
    assert "](" not in shown and "[" not in shown.replace("\\[", "")  # no Markdown link


def test_a_restored_link_highlights_the_preset_its_weights_are():
    bold = controls.PRESETS["bold"]
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({name: f"{value:g}" for name, value in bold.items()})
    at.run()
    assert not at.exception and at.segmented_control(key="preset").value == "bold"
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"style_weight": "0.5"})
    at.run()
    assert at.segmented_control(key="preset").value is None  # no preset has these weights


@pytest.mark.parametrize("key", share.REGION_KEYS)
def test_every_region_value_of_every_type_gets_a_sentence_or_widget_values(key):
    for raw in HOSTILE:
        try:
            values = share._region_values({key: raw})
        except NSTError as exc:
            assert str(exc).strip(), (key, raw)
        else:
            assert values == {} or values["region_mode"] in ("Paint", "Person", "Face"), (key, raw)


def _painted_link(start: str, **picks: str) -> dict[str, str]:
    """The share link's parameters after choosing Paint over the astronaut, starting from `start`,
    with the paintings `picks` gives by region-style key."""
    from urllib.parse import parse_qs

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.selectbox(key="content_sample").set_value("astronaut").run()
    at.segmented_control(key="region_mode").set_value("Paint").run()
    at.segmented_control(key="paint_start").set_value(start).run()
    assert not at.exception and not at.error and not at.warning
    for key, value in picks.items():
        at.selectbox(key=key).set_value(value).run()
    link = next(c.value for c in at.code if "region_map=" in c.value)
    return {k: v[0] for k, v in parse_qs(link.split("?", 1)[1]).items()}


def test_painted_regions_travel_in_a_link_and_come_back_with_their_paintings():
    from nst.maps import decode_map

    query = _painted_link("Person", region_style_1="Keep the photo")
    labels = decode_map(query["region_map"])
    assert labels.max() == 1 and 0.3 < labels.mean() < 0.7  # the person and the background, as painted on
    assert query["segment_styles"] == "1,0"
    # the link reopens the painted map with a painting per region
    again = AppTest.from_file(APP, default_timeout=60)
    again.query_params.update(query)
    again.run()
    assert not again.exception and not [w.value for w in again.warning if "left out" in w.value]
    assert again.segmented_control(key="region_mode").value == "Paint"
    assert again.segmented_control(key="paint_start").value == "Saved map"
    assert again.selectbox(key="region_style_0").value.startswith("1. ")
    assert again.selectbox(key="region_style_1").value == "Keep the photo"
    assert again.session_state["painted_map"] == query["region_map"]


def test_painting_starts_from_the_face_regions_too():
    from nst.maps import decode_map

    labels = decode_map(_painted_link("Face")["region_map"])
    assert labels.max() == 2 and 0.01 < (labels == 0).mean() < 0.1  # her face, a few percent of the picture
