"""Video (nst/clips.py, nst/flow.py, nst/video.py): files in and out behind limits, and clips painted
without flicker."""

from fractions import Fraction

import numpy as np
import pytest

from nst import NSTError, Settings, load_backbone
from nst.clips import ClipLimits, read_clip, write_clip
from nst.events import ClipFinished, FrameDone
from nst.flow import optical_flow, reliable, warp
from nst.video import stylise_video
from tests.harness.clips import moving_square


@pytest.fixture(scope="module")
def offline():
    return load_backbone("offline")


def test_the_flow_follows_the_square_and_finds_what_it_uncovers():
    a, b = moving_square(2)
    backward, forward = optical_flow(b, a), optical_flow(a, b)
    assert np.median(backward[24:36, 16:26, 0]) == pytest.approx(-3, abs=0.7)  # inside the moved square
    mask = reliable(backward, forward)
    assert mask[45:, :].mean() > 0.8  # the still background is trusted
    square = (slice(22, 38), slice(14, 28))
    assert np.abs(warp(a, backward) - b)[square].mean() < 0.5 * np.abs(a - b)[square].mean()  # a warped onto b


@pytest.mark.slow
def test_the_temporal_term_removes_the_flicker(offline, assets):
    """Frames painted on their own fall into different minima; started from the warped last frame and
    kept there, they do not (warping error 0.089 against 0.012 when this test was written)."""
    clip = moving_square(6)
    settings = Settings(size=64, steps=30, scales=1, weights="offline", precision="float32")
    errors = {}
    for mode in ("independent", "temporal"):
        events = list(stylise_video(clip, 10, assets / "styles/starry_night.jpg", settings, mode=mode, frame_steps=15,
                                    backbone=offline))
        done = [e for e in events if isinstance(e, FrameDone)]
        assert [e.frame for e in done] == list(range(6)) and isinstance(events[-1], ClipFinished)
        errors[mode] = events[-1].warping_error
    assert errors["temporal"] < 0.5 * errors["independent"], errors


def test_the_instant_mode_paints_every_frame_and_measures_its_flicker(assets):
    clip = moving_square()
    (*_, smoothed) = stylise_video(clip, 10, assets / "styles/starry_night.jpg", Settings(size=64), mode="instant")
    assert len(smoothed.frames) == 10 and smoothed.warping_error is not None


def test_stop_keeps_the_frames_so_far(assets):
    clip = moving_square()
    done = []
    events = stylise_video(clip, 10, assets / "styles/starry_night.jpg", Settings(size=64), mode="instant",
                           should_stop=lambda: len(done) >= 3)
    for event in events:
        if isinstance(event, FrameDone):
            done.append(event)
    assert event.reason == "cancelled" and len(event.frames) == 3 and "3 of 10" in event.message


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_a_written_clip_reads_back_with_its_frames_and_rate(tmp_path, suffix):
    clip = moving_square(12)
    path = write_clip(clip, Fraction(12), tmp_path / f"out{suffix}")
    again = read_clip(path, 64)
    assert len(again.frames) == 12 and again.frames[0].shape == (64, 64, 3)
    assert again.fps == 12 if suffix == ".mp4" else abs(1 / again.fps - 1 / 12) <= 0.01  # GIF counts 1/100 s
    assert np.abs(again.frames[5] - clip[5]).mean() < 0.06  # lossy, but the picture
    assert [p.name for p in tmp_path.iterdir()] == [f"out{suffix}"]  # no temporary file left


def test_bad_files_get_a_sentence(tmp_path, assets):
    good = write_clip(moving_square(12), Fraction(12), tmp_path / "good.mp4").read_bytes()
    cases = {
        "not a video": (b"hello, this is text", "not a video this app reads"),
        "a picture": ((assets / "content/cat.jpg").read_bytes(), "not a video this app reads"),
        "truncated": (good[: len(good) // 3], "damaged or truncated"),
        "empty": (b"", "empty"),
    }
    for name, (data, words) in cases.items():
        with pytest.raises(NSTError, match=words):
            read_clip(data, 64, name=name)
    wide = write_clip([np.zeros((16, 4112, 3), np.float32)] * 2, Fraction(2), tmp_path / "wide.mp4")
    with pytest.raises(NSTError, match="at most 4096 px a side"):
        read_clip(wide, 64)
    with pytest.raises(NSTError, match="frames: at most 5|more than 5 frames"):
        read_clip(good, 64, ClipLimits(frames=5))
    with pytest.raises(NSTError, match="lasts 1.0 s: at most 0.4 s"):
        read_clip(good, 64, ClipLimits(seconds=0.4))
    gif = tmp_path / "none.gif"
    gif.write_bytes(b"GIF89a" + b"\x01\x00\x01\x00\x00\x00\x00;")  # a header and no frame
    with pytest.raises(NSTError):
        read_clip(gif, 64)


def test_chunks_cover_the_clip_and_overlap_by_the_given_frames():
    from nst.chunks import spans

    assert spans(10, 24, 6) == [(0, 10)]
    assert spans(50, 24, 6) == [(0, 24), (18, 42), (36, 50)]
    assert spans(42, 24, 6) == [(0, 24), (18, 42)]
    for count in range(1, 120):
        ranges = spans(count, 12, 4)
        assert ranges[0][0] == 0 and ranges[-1][1] == count
        assert all(b[0] == a[1] - 4 for a, b in zip(ranges, ranges[1:], strict=False))  # each shares 4 with the next
        assert all(4 < end - start <= 16 for start, end in ranges[1:])


def test_the_seam_is_a_cross_fade_not_a_cut():
    from nst.chunks import stitch

    ranges = [(0, 8), (5, 13)]
    dark, light = [np.zeros((4, 4, 3), np.float32)] * 8, [np.ones((4, 4, 3), np.float32)] * 8
    frames = stitch([dark, light], ranges)
    levels = [float(f.mean()) for f in frames]
    assert len(frames) == 13 and levels[:5] == [0.0] * 5 and levels[8:] == [1.0] * 5
    assert levels[5:8] == pytest.approx([0.25, 0.5, 0.75])  # the 3 shared frames move a quarter each
    # the second chunk stopped after 4 of its frames: the clip ends with them, faded in as before
    short = stitch([dark, light[:4]], ranges)
    assert [float(f.mean()) for f in short] == pytest.approx([0.0] * 5 + [0.25, 0.5, 0.75, 1.0])
