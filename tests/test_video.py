"""Video (nst/clips.py, nst/flow.py, nst/video.py): files in and out behind limits, and clips painted
without flicker."""

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from nst import NSTError, Settings, load_backbone
from nst.clips import ClipLimits, read_clip, write_clip
from nst.events import ClipFinished, FrameDone
from nst.flow import optical_flow, reliable, warp
from nst.video import stylise_video

ROOT = Path(__file__).resolve().parent.parent


def moving_square(frames: int = 10, size: int = 64, seed: int = 0) -> list[np.ndarray]:
    """A square of blotchy texture moving 3 px a frame over a noisy gradient."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / (size - 1)
    background = np.clip(np.stack([0.3 + 0.4 * x, 0.4 + 0.3 * y, 0.6 - 0.2 * x], -1)
                         + 0.08 * rng.standard_normal((size, size, 3)), 0, 1)
    from scipy.ndimage import gaussian_filter

    texture = gaussian_filter(rng.uniform(0, 1, (20, 20, 3)), (1.5, 1.5, 0)) * 1.5 + np.array([-0.1, 0.0, 0.1])
    clip = []
    for k in range(frames):
        frame = background.copy()
        frame[20:40, 8 + 3 * k : 28 + 3 * k] = texture
        clip.append(frame.astype(np.float32))
    return clip


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


def test_the_temporal_term_removes_the_flicker(offline, assets):
    """Frames painted on their own fall into different minima; started from the warped last frame and
    kept there, they do not (warping error 0.050 against 0.013 when this test was written)."""
    clip = moving_square()
    settings = Settings(size=64, steps=30, scales=1, weights="offline", precision="float32")
    errors = {}
    for mode in ("independent", "temporal"):
        events = list(stylise_video(clip, 10, assets / "styles/starry_night.jpg", settings, mode=mode, frame_steps=15,
                                    backbone=offline))
        done = [e for e in events if isinstance(e, FrameDone)]
        assert [e.frame for e in done] == list(range(10)) and isinstance(events[-1], ClipFinished)
        errors[mode] = events[-1].warping_error
    assert errors["temporal"] < 0.5 * errors["independent"], errors


def test_the_instant_mode_is_fast_and_smoother_than_its_frames(assets):
    clip = moving_square()
    (*_, smoothed) = stylise_video(clip, 10, assets / "styles/starry_night.jpg", Settings(size=64), mode="instant")
    assert len(smoothed.frames) == 10 and smoothed.warping_error is not None and smoothed.elapsed < 30


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


def test_the_command_line_paints_a_clip_and_refuses_bad_ones(tmp_path, assets):
    clip = write_clip(moving_square(8), Fraction(8), tmp_path / "clip.mp4")
    out = tmp_path / "painted.gif"
    run = subprocess.run([sys.executable, "-m", "nst", "video", str(clip), str(assets / "styles/starry_night.jpg"),
                          "-o", str(out), "--size", "64", "--mode", "instant"], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    painted = read_clip(out, 64)
    assert len(painted.frames) == 8 and abs(1 / painted.fps - 1 / 8) <= 0.01  # a GIF's delays are in 1/100 s
    (tmp_path / "notes.txt").write_text("not a clip")
    bad = subprocess.run([sys.executable, "-m", "nst", "video", str(tmp_path / "notes.txt"),
                          str(assets / "styles/starry_night.jpg"), "-o", str(tmp_path / "x.mp4")],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert bad.returncode == 2 and bad.stderr.startswith("error: The clip is not a video") and "Traceback" not in bad.stderr
    assert not (tmp_path / "x.mp4").exists()


def test_the_video_page_paints_a_sample_clip_in_the_run_line():
    """The page's clip runs in a worker (where the decoder runs too): progress, then the clip plays
    with a download."""
    from streamlit.testing.v1 import AppTest

    from nst.line.job import wait_for

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.run()
    at.radio(key="weights_source").set_value("Offline VGG16").run()
    at.switch_page("studio/pages/video.py").run()
    assert not at.exception and any("Clips of up to 4 s" in c.value for c in at.caption)
    at.radio(key="clip_paint_mode").set_value("instant").run()
    next(b for b in at.button if b.label == "Paint the clip").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    status = wait_for(at.session_state["video_job"], timeout=300)
    assert status.result is not None and len(status.result.frames) == 36, status.error
    at.run()
    assert not at.exception
    assert "Download the clip (MP4)" in [d.label for d in at.get("download_button")]
    assert any("Painted 36 frames" in m.value and "Warping error" in m.value for m in at.markdown)


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


@pytest.fixture(params=["local", "ray"])
def executor(request):
    """Local worker processes, and Ray actors (one CPU each) on the tests' Ray head."""
    if request.param == "local":
        from nst.line.process import LocalExecutor

        return LocalExecutor()
    from nst.line.actors import Placement, RayExecutor

    return RayExecutor(request.getfixturevalue("ray_cluster").address, Placement(cpus=1))


def test_a_clip_in_chunks_on_two_workers_is_whole_and_its_seams_do_not_jump(tmp_path, assets, executor):
    """Two chunks in parallel, on local worker processes and on Ray actors: every frame comes back, in
    order, and the frames around the seam change no more than the chunks' own frames do."""
    from nst.chunks import paint_in_chunks

    clip = moving_square(12)
    data = write_clip(clip, Fraction(12), tmp_path / "clip.mp4").read_bytes()
    photos = read_clip(data, 64).frames
    finished = paint_in_chunks(data, photos, assets / "styles/starry_night.jpg",
                               Settings(size=64, steps=12, scales=1, weights="random", precision="float32"),
                               "temporal", ClipLimits(), 2, executor, chunk=8, overlap=4)
    assert finished.reason == "completed" and len(finished.frames) == 12 and finished.fps == 12
    steps = [float(np.abs(b - a).mean()) for a, b in zip(finished.frames, finished.frames[1:], strict=False)]
    inside = steps[:3] + steps[8:]  # within one chunk only
    assert max(steps[3:8]) < 2 * max(inside), steps
    assert finished.warping_error is not None
