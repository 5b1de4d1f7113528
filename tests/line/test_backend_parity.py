"""Every Keras backend paints the same picture: the parity set (tests/harness/parity.py) and the CLI
run under TensorFlow, JAX and, where it is installed, PyTorch, each in its own process (Keras picks
its backend once per process), and agree within the tolerances below.

Float32: the backends' convolutions sum in different orders, so losses differ in the sixth digit and
L-BFGS, which divides by curvature, carries that further; within 1e-4 of the step's total loss and
1/100 of the pixel range. bfloat16 (8-bit mantissa) rounds differently on each backend: within 10% of
the total and a mean pixel difference under 1/100.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from nst import backends, load_image
from tests.harness.parity import CASES
from tests.harness.paths import ASSETS, ROOT

FLOAT32 = {"losses": 1e-4, "pixels": 1e-2}
BFLOAT16 = {"losses": 0.1, "mean pixels": 1e-2}
PHOTO, PAINTING = ASSETS / "content" / "cat.jpg", ASSETS / "styles" / "great_wave.jpg"
OTHERS = ["jax", pytest.param("torch", marks=pytest.mark.skipif(
    importlib.util.find_spec("torch") is None,
    reason="PyTorch is not installed (its CPU build from the package index pulls CUDA libraries)"))]


def _environment(backend: str) -> dict[str, str]:
    """This process's environment for a child that runs on `backend` (Keras reads KERAS_BACKEND)."""
    return {**os.environ, "KERAS_BACKEND": backend}


@pytest.fixture(scope="module")
def painted(tmp_path_factory):
    """What a process on a backend made, each made once for the module (TensorFlow's is every other
    backend's reference): "parity" -> the parity set's results, "cli" -> the image `python -m nst`
    wrote and its last line."""
    made: dict[tuple[str, str], object] = {}

    def run(what: str, backend: str):
        if (what, backend) not in made:
            out = tmp_path_factory.mktemp(f"{what}-{backend}") / ("parity.npz" if what == "parity" else "out.png")
            argv = ["-m", "tests.harness.parity", str(out)] if what == "parity" else [
                "-m", "nst", str(PHOTO), str(PAINTING), "-o", str(out), "--size", "64", "--steps", "6",
                "--weights", "offline", "--optimizer", "adam", "--precision", "float32"]
            done = subprocess.run([sys.executable, *argv], cwd=ROOT, env=_environment(backend), capture_output=True,
                                  text=True, timeout=900)
            assert done.returncode == 0, done.stderr[-3000:]
            made[what, backend] = (dict(np.load(out)) if what == "parity"
                                   else (load_image(out, 64), done.stderr.strip().splitlines()[-1]))
        return made[what, backend]

    return run


@pytest.mark.parametrize("backend", OTHERS)
def test_each_backend_paints_what_tensorflow_paints(painted, backend):
    reference, other = painted("parity", "tensorflow"), painted("parity", backend)
    label = backends.SUPPORTED[backend][1]
    for index, case in enumerate(CASES):
        assert other[f"{index}/network"].item().endswith(" on CPU") and f"· {label} " in other[f"{index}/network"].item()
        assert other[f"{index}/reason"] == reference[f"{index}/reason"] == "completed", case.name
        assert list(other[f"{index}/names"]) == list(reference[f"{index}/names"]), case.name
        ours, theirs = reference[f"{index}/losses"], other[f"{index}/losses"]
        assert ours.shape == theirs.shape and ours.shape[0] == case.settings["steps"], case.name
        scale = np.abs(ours[:, :1])  # each step's total loss
        image_difference = np.abs(reference[f"{index}/image"] - other[f"{index}/image"])
        if case.settings.get("precision") == "bfloat16":
            assert (np.abs(ours - theirs) <= BFLOAT16["losses"] * scale).all(), case.name
            assert image_difference.mean() < BFLOAT16["mean pixels"], case.name
        else:
            assert (np.abs(ours - theirs) <= FLOAT32["losses"] * scale).all(), (case.name, ours, theirs)
            assert image_difference.max() < FLOAT32["pixels"], case.name
        assert ours[-1, 0] < 0.9 * ours[0, 0], case.name  # and the runs did optimise


@pytest.mark.parametrize("backend", OTHERS)
def test_the_command_line_paints_the_same_picture_on_each_backend(painted, backend):
    images = {}
    for name in ("tensorflow", backend):
        images[name], last_line = painted("cli", name)
        assert f"· {backends.SUPPORTED[name][1]} " in last_line
    assert np.abs(images["tensorflow"] - images[backend]).max() <= 2 / 255  # PNG rounding on top of float32


@pytest.mark.parametrize("name, sentence", [
    ("numpy", "KERAS_BACKEND=numpy is not one the engine runs on (it needs gradients): use one of tensorflow, jax, torch."),
    ("mxnet", "KERAS_BACKEND=mxnet is not one the engine runs on"),
])
def test_a_backend_that_cannot_run_gets_one_sentence(tmp_path, name, sentence):
    done = subprocess.run([sys.executable, "-m", "nst", str(PHOTO), str(PAINTING), "-o", str(tmp_path / "out.png"),
                           "--size", "64", "--steps", "2", "--weights", "offline"],
                          cwd=tmp_path, env=_environment(name), capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {sentence}") and "Traceback" not in done.stderr
    assert not (tmp_path / "out.png").exists()
