"""`python -m nst video` end to end, a clip painted in chunks on several workers (nst/chunks.py), and
hostile clips through the run line as the Video page sends them."""

import re
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from nst import Settings
from nst.clips import ClipLimits, read_clip, write_clip
from tests.harness.clips import moving_square
from tests.harness.paths import ROOT


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


def test_a_clip_in_chunks_on_two_workers_is_whole_and_its_seams_do_not_jump(tmp_path, assets):
    """Two chunks in parallel on two workers (local processes here; Ray actors are the same `Executor`
    behind the line, tested with a batch): every frame comes back, in order, and the frames around the
    seam change no more than the chunks' own frames do."""
    from nst.chunks import paint_in_chunks
    from nst.line.process import LocalExecutor

    clip = moving_square(12)
    data = write_clip(clip, Fraction(12), tmp_path / "clip.mp4").read_bytes()
    photos = read_clip(data, 64).frames
    finished = paint_in_chunks(data, photos, assets / "styles/starry_night.jpg",
                               Settings(size=64, steps=12, scales=1, weights="random", precision="float32"),
                               "temporal", ClipLimits(), 2, LocalExecutor(), chunk=8, overlap=4)
    assert finished.reason == "completed" and len(finished.frames) == 12 and finished.fps == 12
    steps = [float(np.abs(b - a).mean()) for a, b in zip(finished.frames, finished.frames[1:], strict=False)]
    inside = steps[:3] + steps[8:]  # within one chunk only
    assert max(steps[3:8]) < 2 * max(inside), steps
    assert finished.warping_error is not None


def test_the_video_pages_runs_paint_or_refuse_every_hostile_clip(tmp_path, assets):
    """The Video page's path: the clip's bytes go to a worker in the run line (Job.video), which
    decodes them: each hostile clip ends as a result or as the reader's sentence, and a clip cut
    short says so in the run's notices (the page shows them with the clip)."""
    from nst.errors import NSTError
    from nst.line.job import Job, wait_for
    from nst.line.limits import Limits
    from nst.line.process import LocalExecutor
    from nst.line.queue import RunQueue
    from tests.harness.clips import hostile_clips

    line = RunQueue(Limits(slots=1), LocalExecutor())
    settings = Settings(size=64, weights="random")
    try:
        for case in hostile_clips(tmp_path):
            status = wait_for(Job.video(case.data, assets / "styles/starry_night.jpg", settings, "instant",
                                        ClipLimits()).start(line), 300)
            if case.refusal:
                assert status.result is None and status.error and re.search(case.refusal, status.error), (case.name, status)
                with pytest.raises(NSTError, match=re.escape(status.error)):  # the reader's own sentence
                    read_clip(case.data, 64)
            else:
                assert status.error is None and len(status.result.frames) == len(read_clip(case.data, 64).frames)
                assert (case.note is not None) == bool(status.notices), (case.name, status.notices)
                assert all(case.note in notice for notice in status.notices)
    finally:
        line.close()
