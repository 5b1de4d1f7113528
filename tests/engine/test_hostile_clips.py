"""Hostile clips, paintings and options through `python -m nst video` (in this process) and the
clip reader: each is painted or refused with one sentence; no traceback, no overwrite, no silent loss."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst.cli.main import main
from nst.clips import read_clip
from nst.errors import NSTError
from tests.harness.clips import hostile_clips


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    return hostile_clips(tmp_path_factory.mktemp("clips"))


def test_every_hostile_clip_is_read_or_refused_with_a_sentence(clips):
    for case in clips:
        if case.refusal:
            with pytest.raises(NSTError, match=case.refusal):
                read_clip(case.data, 64)
            continue
        clip = read_clip(case.data, 64)
        assert case.frames is None or len(clip.frames) == case.frames, case.name
        assert (case.note is None) == (not clip.notes), (case.name, clip.notes)
        assert case.note is None or case.note in clip.notes[0]
    assert {"VP9 in WebM", "HEVC in MP4"} <= {case.name for case in clips}  # this FFmpeg encodes both


def test_a_rotated_clip_reads_as_it_is_shown(tmp_path):
    """A phone's upright clip is stored sideways with a display matrix: it reads upright (the red
    corner, stored top left, is top right after a quarter turn clockwise)."""
    from tests.harness.clips import encode, marked, rotated

    upright = read_clip(rotated(encode(marked(), 6, tmp_path / "a.mp4")), 80).frames[0]
    assert upright.shape[0] > upright.shape[1]  # portrait
    red = upright[..., 0] - upright[..., 1] > 0.5
    rows, cols = np.nonzero(red)
    assert rows.max() < upright.shape[0] / 3 and cols.min() > upright.shape[1] / 2


def _video(capsys, *args) -> tuple[int, str]:
    code = main(["video", *map(str, args), "--size", "64", "--mode", "instant", "-q"])
    return code, capsys.readouterr().err


def test_the_command_line_paints_or_refuses_every_hostile_clip(clips, tmp_path, assets, capsys):
    painting = assets / "styles/starry_night.jpg"
    for number, case in enumerate(clips):
        source, out = tmp_path / f"clip{number}.mp4", tmp_path / f"out{number}.mp4"
        source.write_bytes(case.data)
        code, err = _video(capsys, source, painting, "-o", out)
        if case.refusal:
            assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, (case.name, err)
            assert not out.exists()
        else:
            assert code == 0 and len(read_clip(out, 64).frames) == len(read_clip(case.data, 64).frames), (case.name, err)
            assert (case.note is not None) == ("warning: " in err), (case.name, err)  # a shortened clip is told


def test_bad_paintings_and_options_get_one_sentence_before_the_clip_is_decoded(clips, tmp_path, assets, capsys):
    source = tmp_path / "clip.mp4"
    source.write_bytes(clips[0].data)
    painting = tmp_path / "painting.gif"
    shutil.copy(assets / "styles/starry_night.jpg", tmp_path / "starry.jpg")
    Image.open(tmp_path / "starry.jpg").save(painting)
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes((assets / "styles/starry_night.jpg").read_bytes()[:2000])
    (tmp_path / "empty.png").write_bytes(b"")
    Image.new("RGB", (1, 4000)).save(tmp_path / "thin.png")
    paintings = {truncated: "damaged or truncated", tmp_path / "empty.png": "empty", tmp_path / "missing.png": "does not exist",
                 tmp_path: "is a folder", Path("/dev/zero"): "not a regular file", source: "not an image this app reads",
                 tmp_path / "thin.png": "too narrow"}
    for bad, words in paintings.items():
        code, err = _video(capsys, source, bad, "-o", tmp_path / "out.mp4")
        assert code == 2 and err.startswith("error: ") and err.count("\n") == 1 and words in err, (bad, err)
    before = painting.read_bytes()
    code, err = _video(capsys, source, painting, "-o", painting)  # the painting is an input too
    assert code == 2 and "would be overwritten" in err and painting.read_bytes() == before
    options = {("--frame-steps", "-1"): "--frame-steps must be at least 1", ("--frame-steps", "1000000"): "--frame-steps: steps",
               ("--max-seconds", "nan"): "--max-seconds must be", ("--max-seconds", "inf"): "--max-seconds must be",
               ("--max-seconds", "0"): "--max-seconds must be", ("--workers", "0"): "--workers must be at least 1"}
    for option, words in options.items():
        code, err = _video(capsys, source, painting, "-o", tmp_path / "out.mp4", *option)
        assert code == 2 and err.startswith("error: ") and words in err, (option, err)
    assert not (tmp_path / "out.mp4").exists()
