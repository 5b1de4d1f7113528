"""Batches (nst/cli/batch.py): many photos x paintings into a folder, resumable, atomic, per-item errors,
on local worker processes (a batch on Ray actors: tests/line/test_workers.py)."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst.line.serve import SCRATCH_PREFIX
from tests.harness.paths import ROOT

QUICK = ["--size", "64", "--steps", "6", "--weights", "random", "--optimizer", "adam", "--scales", "1"]


def _batch(*args, env=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "nst", "batch", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, env={**os.environ, **(env or {})})


def _outputs(out: Path) -> list[Path]:
    """The images written under their own names (not the hidden temporary files they are written to)."""
    return [p for p in out.glob("*.png") if not p.name.startswith(".")]


def _summary(out: Path) -> dict:
    return json.loads((out / "batch-summary.json").read_text())


def test_a_batch_makes_every_item_and_a_second_run_skips_them(photos, tmp_path, assets):
    out = tmp_path / "out"
    styles = [assets / "styles/starry_night.jpg", assets / "styles/great_wave.jpg"]
    result = _batch(photos, "--style", *styles, "-o", out, "--workers", "2", *QUICK)
    assert result.returncode == 0, result.stderr
    made = sorted(p.name for p in out.glob("*.png"))
    assert made == ["cat__great_wave.png", "cat__starry_night.png", "coffee__great_wave.png", "coffee__starry_night.png"]
    for path in out.glob("*.png"):
        assert max(Image.open(path).size) == 64 and Image.open(path).mode == "RGB"
    summary = _summary(out)
    assert summary["done"] == 4 and summary["failed"] == 0 and all(i["status"] == "done" for i in summary["items"])
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left
    again = _batch(photos, "--style", *styles, "-o", out, *QUICK)
    assert again.returncode == 0 and _summary(out)["skipped"] == 4 and _summary(out)["done"] == 0
    blended = _batch(photos, "--style", *styles, "--blend", "-o", out, *QUICK)
    assert blended.returncode == 0 and (out / "cat__blend.png").exists() and (out / "coffee__blend.png").exists()


def test_bad_input_is_reported_per_item_and_the_rest_is_made(photos, tmp_path, assets):
    (photos / "notes.txt").write_text("not a photo")
    good = (assets / "content/rocket.jpg").read_bytes()
    (photos / "broken.jpg").write_bytes(good[: len(good) // 3])  # truncated
    out = tmp_path / "out"
    result = _batch(photos, "--style", assets / "styles/starry_night.jpg", tmp_path / "missing.jpg", "-o", out, *QUICK)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    items = {item["output"].rsplit("/", 1)[1]: item for item in _summary(out)["items"]}
    assert items["cat__starry_night.png"]["status"] == "done" and items["coffee__starry_night.png"]["status"] == "done"
    assert "not an image" in items["notes__starry_night.png"]["reason"]
    assert items["broken__starry_night.png"]["status"] == "failed" and items["broken__starry_night.png"]["reason"]
    assert "does not exist" in items["cat__missing.png"]["reason"]
    assert sorted(p.name for p in out.glob("*.png")) == ["cat__starry_night.png", "coffee__starry_night.png"]


def test_bad_arguments_get_one_line(tmp_path, assets):
    (tmp_path / "empty").mkdir()
    result = _batch(tmp_path / "empty", "--style", assets / "styles/starry_night.jpg", "-o", tmp_path / "out")
    assert result.returncode == 2 and result.stderr.strip() == "error: No photos: the folders given are empty."
    result = _batch(assets / "content/cat.jpg", "--style", assets / "styles/starry_night.jpg", "-o", "/proc/out")
    assert result.returncode == 2 and result.stderr.startswith("error: cannot write into /proc/out")


def test_a_killed_batch_leaves_whole_images_and_resumes(photos, tmp_path, assets):
    out = tmp_path / "out"
    args = [sys.executable, "-m", "nst", "batch", photos, "--style", assets / "styles/starry_night.jpg", "-o", out,
            "--size", "96", "--steps", "40", "--weights", "random", "--scales", "1", "-q"]
    process = subprocess.Popen(list(map(str, args)), cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 300
    while not _outputs(out):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the batch and its workers, as a power cut would
    process.wait()
    scratch = list(Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}{process.pid}-*"))
    assert scratch  # its worker's, which nobody was left to remove
    for path in _outputs(out):  # what is there under an output's name is whole
        assert np.asarray(Image.open(path).convert("RGB")).shape[2] == 3
    done = {p.name for p in _outputs(out)}
    result = _batch(photos, "--style", assets / "styles/starry_night.jpg", "-o", out, *QUICK)
    assert result.returncode == 0
    statuses = {i["output"].rsplit("/", 1)[1]: i["status"] for i in _summary(out)["items"]}
    assert all(statuses[name] == "skipped" for name in done) and set(statuses.values()) <= {"skipped", "done"}
    assert len(_outputs(out)) == 2 and not list(out.glob(".*.png"))  # a half-written temporary file is gone too
    assert not any(folder.exists() for folder in scratch)  # the next batch removed it


def test_hostile_folders_lose_nothing(tmp_path, assets):
    """Names that collide (a.png and a.jpg; two paintings called the same from two folders), a name too
    long for an output name, a pipe, a link loop and a device link: every item gets a file of its own
    or a sentence in the summary, and a second run skips what was made and makes nothing twice."""
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    Image.open(assets / "content/cat.jpg").save(photos / "a.png")
    (photos / "a.jpg").write_bytes((assets / "content/coffee.jpg").read_bytes())
    (photos / ("long" * 60 + ".jpg")).write_bytes((assets / "content/rocket.jpg").read_bytes())
    (photos / "sub").mkdir()  # folders inside are not photos
    os.mkfifo(photos / "pipe.jpg")
    (photos / "loop.jpg").symlink_to("loop.jpg")
    (photos / "zero.jpg").symlink_to("/dev/zero")
    styles = []
    for folder, painting in (("one", "starry_night"), ("two", "great_wave")):
        (tmp_path / folder).mkdir()
        styles.append(tmp_path / folder / "painting.jpg")
        styles[-1].write_bytes((assets / f"styles/{painting}.jpg").read_bytes())
    result = _batch(photos, "--style", *styles, "-o", out, *QUICK)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    summary = _summary(out)
    items = summary["items"]
    assert len(items) == 12 and len({item["output"] for item in items}) == 12  # 6 entries x 2 paintings
    assert summary["done"] == 6 and summary["failed"] == 6 and len(_outputs(out)) == 6
    reasons = {Path(item["photo"]).name: item["reason"] for item in items if item["status"] == "failed"}
    assert "not a regular file" in reasons["pipe.jpg"] and "not a regular file" in reasons["zero.jpg"]
    assert reasons["loop.jpg"]
    made = {Path(item["output"]).name: item for item in items if item["status"] == "done"}
    assert all(len(name.encode()) < 255 for name in made)
    pictures = [np.asarray(Image.open(out / name)) for name in sorted(made)]
    assert all(not np.array_equal(a, b) for i, a in enumerate(pictures) for b in pictures[i + 1:])  # six different
    again = _batch(photos, "--style", *styles, "-o", out, *QUICK)
    assert again.returncode == 1 and _summary(out)["skipped"] == 6 and _summary(out)["done"] == 0
    assert len(_outputs(out)) == 6


def test_the_output_folder_may_be_the_photos_folder(photos, tmp_path, assets):
    """Run twice into the photos' own folder: the second run does not paint the first run's outputs or
    read its summary as a photo; a link at an output's name is not taken for a made image."""
    style = assets / "styles/starry_night.jpg"
    assert _batch(photos, "--style", style, "-o", photos, *QUICK).returncode == 0
    (photos / "cat__starry_night.png").unlink()
    (photos / "cat__starry_night.png").symlink_to(photos / "coffee__starry_night.png")
    result = _batch(photos, "--style", style, "-o", photos, *QUICK)
    assert result.returncode == 0, result.stderr
    summary = _summary(photos)
    assert [item["status"] for item in summary["items"]] == ["done", "skipped"] and summary["failed"] == 0
    assert not (photos / "cat__starry_night.png").is_symlink()
    assert sorted(p.name for p in photos.iterdir()) == ["batch-summary.json", "cat.jpg", "cat__starry_night.png",
                                                        "coffee.jpg", "coffee__starry_night.png"]


def test_a_summary_in_the_way_and_no_workers_are_refused_before_any_work(photos, tmp_path, assets):
    out = tmp_path / "out"
    (out / "batch-summary.json").mkdir(parents=True)
    result = _batch(photos, "--style", assets / "styles/starry_night.jpg", "-o", out, *QUICK)
    assert result.returncode == 2 and "is in the way" in result.stderr and not _outputs(out)
    for workers in ("0", "-3"):
        result = _batch(photos, "--style", assets / "styles/starry_night.jpg", "-o", tmp_path / "o2", "--workers",
                        workers, *QUICK, timeout=120)
        assert result.returncode == 2 and result.stderr.strip() == f"error: --workers must be at least 1, not {workers}."


@pytest.mark.slow
def test_a_batchs_memory_does_not_grow_with_its_items(tmp_path):
    """Tiny items (32 px, one step): what grows is what each item leaves behind. 40 items peak within
    100 MB of 5 (bench/bench_batch_memory.py measures 10 against 200)."""
    from bench.bench_batch_memory import batch_peak

    few, _ = batch_peak(5, tmp_path)
    many, _ = batch_peak(40, tmp_path)
    assert many - few < 100, (few, many)
