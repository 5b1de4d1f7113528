"""Regions painted by hand, kept as text (nst/maps.py): they round-trip, and any other text is refused
in words before it can cost memory."""

from __future__ import annotations

import base64
import json
import zlib

import numpy as np
import pytest

from nst import NSTError, Settings
from nst.maps import MAP_SIDE, decode_map, encode_map


def _painted(height: int = 90, width: int = 120) -> np.ndarray:
    labels = np.zeros((height, width), np.int32)
    labels[10:60, 20:70] = 1
    labels[50:, 80:] = 2
    return labels


def test_a_painted_map_round_trips_through_its_text_a_settings_file_and_a_link():
    from urllib.parse import parse_qs, urlencode

    labels = _painted()
    text = encode_map(labels)
    assert np.array_equal(decode_map(text), labels) and len(text) < 400
    settings = Settings(region_map=text, segment_styles=(0, 1, 2))
    assert settings.region_count == 3
    again = Settings.from_dict(json.loads(json.dumps(settings.to_dict())))
    assert again.region_map == text and again.segment_styles == (0, 1, 2)
    assert parse_qs(urlencode({"region_map": text}))["region_map"] == [text]  # nothing a link would mangle


def test_a_large_map_is_kept_at_most_map_side_with_its_regions_in_place():
    big = np.kron(_painted(), np.ones((8, 8), np.int32))  # 720 x 960
    small = decode_map(encode_map(big))
    assert max(small.shape) == MAP_SIDE and small.shape == (96, 128)
    assert small[40, 60] == 1 and small[90, 120] == 2 and small[0, 0] == 0


@pytest.mark.parametrize("text, words", [
    ("", "not a painted map"),
    ("../../etc/passwd", "not a painted map"),
    ("4x4.!!!!", "not a painted map"),
    ("300x300." + base64.urlsafe_b64encode(zlib.compress(bytes(90000))).decode(), "1 to 128 pixels"),
    ("4x4." + base64.urlsafe_b64encode(b"not zlib at all").decode(), "damaged"),
    ("4x4." + base64.urlsafe_b64encode(zlib.compress(bytes(15))).decode(), "does not hold 4x4"),
    ("4x4." + base64.urlsafe_b64encode(zlib.compress(bytes(10**6))).decode(), "does not hold 4x4"),  # a bomb
    ("2x2." + base64.urlsafe_b64encode(zlib.compress(bytes([0, 1, 9, 0]))).decode(), "at most 8 regions"),
    ("1x1." + "A" * 30000, "at most 24000"),
])
def test_a_hostile_map_is_refused_in_words(text, words):
    with pytest.raises(NSTError, match=words):
        Settings(region_map=text)


def test_a_painted_map_gives_the_regions_and_excludes_other_region_sources():
    text = encode_map(_painted())
    with pytest.raises(NSTError, match="segment_styles needs 3"):
        Settings(region_map=text, segment_styles=(1, 2))
    with pytest.raises(NSTError, match="leave segments at 0"):
        Settings(region_map=text, segments=3)


def test_the_run_s_masks_follow_the_painted_map():
    from nst.regions import style_masks

    photo = np.full((180, 240, 3), 0.5, np.float32)
    first, second = style_masks(photo, 2, None, 0, (0, 1, 2), region_map=encode_map(_painted()))
    assert first[70, 90] > 0.95 and first[150, 200] < 0.05 and first[5, 5] < 0.05  # region 2: the square
    assert second[150, 200] > 0.95 and second[70, 90] < 0.05  # region 3: the bottom right
    assert 0.05 < first[70, 38] < 0.95  # the borders blurred, as every region map's


def test_a_map_painted_all_over_or_not_at_all_still_gives_masks():
    from nst.regions import style_masks

    photo = np.full((60, 80, 3), 0.5, np.float32)
    everywhere = np.full((30, 40), 2, np.int32)  # the whole picture painted with region 3's brush
    settings = Settings(region_map=encode_map(everywhere), segment_styles=(1, 1, 2))
    assert settings.region_count == 3
    first, second = style_masks(photo, 2, None, 0, settings.segment_styles, region_map=settings.region_map)
    assert first.max() == 0 and second.min() > 0.99  # regions 1 and 2 are empty: painting 2 everywhere
    nothing = Settings(region_map=encode_map(np.zeros((30, 40), np.int32)), segment_styles=(0,))
    (kept,) = style_masks(photo, 1, None, 0, nothing.segment_styles, region_map=nothing.region_map)
    assert kept.max() == 0  # one region, keeping the photo: nothing painted


def test_a_packed_bomb_is_unpacked_only_as_far_as_the_pixels_it_claims():
    import tracemalloc

    from nst.maps import MAX_CHARS

    # nearly as many zeros as fit in a map's text: 16 MB once unpacked
    bomb = zlib.compress(bytes(16 << 20), 9)
    text = "4x4." + base64.urlsafe_b64encode(bomb).decode()
    assert len(text) <= MAX_CHARS
    tracemalloc.start()
    with pytest.raises(NSTError, match="does not hold 4x4"):
        decode_map(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1 << 20  # under a megabyte, not the bomb's 16
