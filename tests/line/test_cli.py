import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst.cli.main import main
from nst.cli.options import EXIT_BAD_INPUT, EXIT_OK
from tests.harness.paths import ROOT


@pytest.fixture
def pair_files(tmp_path, tiny_pair):
    paths = []
    for name, image in zip(("content.png", "style.png"), tiny_pair):
        Image.fromarray((image * 255).astype(np.uint8)).save(tmp_path / name)
        paths.append(str(tmp_path / name))
    return paths


def test_cli_end_to_end(tmp_path, pair_files, capsys):
    out, log, plot = tmp_path / "out.png", tmp_path / "losses.csv", tmp_path / "losses.png"
    code = main([*pair_files, "-o", str(out), "--size", "64", "--steps", "12", "--weights", "random",
                 "--tv-weight", "0", "--outputs", "3", "--log", str(log), "--plot", str(plot)])
    assert code == EXIT_OK
    assert Image.open(out).size == (64, 64)
    assert Image.open(tmp_path / "out-step4.png").size == (64, 64)
    rows = list(csv.DictReader(log.open()))
    assert [int(r["step"]) for r in rows] == list(range(1, 13))
    assert float(rows[-1]["style"]) < float(rows[0]["style"])
    assert Image.open(plot).format == "PNG"
    err = capsys.readouterr().err
    assert "12/12" in err and "total" in err and "wrote" in err


def test_cli_colour_options(tmp_path, pair_files):
    out = tmp_path / "photo.png"
    code = main([*pair_files, "-o", str(out), "--size", "64", "--steps", "5", "--weights", "random",
                 "--keep-colours", "--strength", "0", "-q"])
    assert code == EXIT_OK
    # strength 0 gives the photo back, whatever the run did
    np.testing.assert_allclose(np.asarray(Image.open(out), dtype=float), np.asarray(Image.open(pair_files[0]), dtype=float),
                               atol=1)
    grey = tmp_path / "grey.png"
    assert main([*pair_files, "-o", str(grey), "--size", "64", "--steps", "2", "--weights", "random",
                 "--saturation", "0", "-q"]) == EXIT_OK
    pixels = np.asarray(Image.open(grey), dtype=int)
    assert np.abs(pixels[..., 0] - pixels[..., 1]).max() <= 1 and np.abs(pixels[..., 1] - pixels[..., 2]).max() <= 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.png", "STYLE"], "does not exist"),
        (["NOTIMAGE", "STYLE"], "not an image"),
        (["CONTENT", "STYLE", "--lr", "-1"], "learning_rate"),
        (["CONTENT", "STYLE", "--style-layers", "block1_conv1,nope"], "Unknown layer"),
        (["CONTENT", "STYLE", "--strength", "2"], "strength"),
    ],
)
def test_cli_bad_input_gives_one_line_and_exit_code(tmp_path, pair_files, capsys, args, message):
    (tmp_path / "notimage.png").write_text("hello")
    names = {"CONTENT": pair_files[0], "STYLE": pair_files[1], "NOTIMAGE": str(tmp_path / "notimage.png")}
    argv = [names.get(a, a) for a in args] + ["-o", str(tmp_path / "o.png"), "--size", "64", "--steps", "2",
                                               "--weights", "random"]
    assert main(argv) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and message in err[0]
    assert not (tmp_path / "o.png").exists()


def test_python_dash_m_reports_bad_input_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "nst", str(tmp_path / "nope.jpg"), str(tmp_path / "nope2.jpg"), "-o", "x.png"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == EXIT_BAD_INPUT
    assert "Traceback" not in result.stderr and "error: The content image file" in result.stderr


def test_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for option in ("--optimizer", "--precision", "--scales", "--weights-file", "--keep-colours", "--masks",
                   "--save-segments", "--lr"):
        assert option in text
    from dataclasses import fields

    from nst.cli.options import NOT_ON_COMMAND_LINE
    from nst.settings import Settings

    for field in fields(Settings):  # every setting has an option, built from the field
        if field.name not in NOT_ON_COMMAND_LINE:
            flag = field.metadata.get("flag") or "--" + field.name.replace("_", "-")
            assert flag in text, flag
    assert "lbfgs-adam" in text and "under 1%" in text  # help texts come from Settings, % intact


@pytest.mark.parametrize(
    "output, extra, message",
    [
        ("out.xyz", [], "use one of .png"),
        ("DIR", [], "it is a folder"),
        ("missing/out.png", [], "does not exist"),
        ("CONTENT", [], "one of the input images"),
        ("out.png", ["--log", "missing/losses.csv"], "loss log (--log)"),
        ("out.png", ["--plot", "losses.xyz"], "loss plot (--plot)"),
        ("out.png", ["--plot", "out.png"], "same file"),
        ("out.png", ["--outputs", "3", "--log", "out-step2.png"], "same file"),
        ("x" * 5000 + ".png", [], "too long"),
        ("out.png", ["--brightness", "nan"], "brightness must be a finite number"),
        ("out.png", ["--gamma", "inf"], "gamma must be a finite number"),
        ("out.png", ["--weights-file", "vgg.h5", "--weights", "offline"], "--weights-file is only used with --weights file"),
    ],
)
def test_outputs_and_options_are_checked_before_the_run(tmp_path, pair_files, capsys, monkeypatch, output, extra, message):
    from nst import engine

    def no_run(*args, **kwargs):
        raise AssertionError("the run started although an output or option was bad")

    monkeypatch.setattr(engine, "stylise", no_run)
    (tmp_path / "DIR").mkdir()
    monkeypatch.chdir(tmp_path)
    before = pair_files and [open(p, "rb").read() for p in pair_files]
    output = pair_files[0] if output == "CONTENT" else output
    argv = [*pair_files, "-o", output, "--size", "64", "--steps", "6", *extra]
    argv += [] if "--weights" in extra else ["--weights", "random"]
    assert main(argv) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and message in err[0], err
    assert [open(p, "rb").read() for p in pair_files] == before  # inputs untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["DIR", "content.png", "style.png"])  # nothing written


def test_read_only_folder_is_refused_before_the_run(tmp_path, pair_files, capsys, monkeypatch):
    from nst.cli import options as cli

    # the tests run as root in CI, where chmod cannot lock a folder: refuse to create files there instead
    create = cli.tempfile.NamedTemporaryFile

    def locked(*args, dir=None, **kwargs):
        if Path(dir) == tmp_path / "locked":
            raise PermissionError(13, "Permission denied")
        return create(*args, dir=dir, **kwargs)

    monkeypatch.setattr(cli.tempfile, "NamedTemporaryFile", locked)
    (tmp_path / "locked").mkdir()
    argv = [*pair_files, "-o", str(tmp_path / "locked" / "out.png"), "--weights", "random", "--size", "64"]
    assert main(argv) == EXIT_BAD_INPUT
    assert "permission denied" in capsys.readouterr().err.lower()
    assert not any((tmp_path / "locked").iterdir())


def test_weights_file_alone_selects_the_file_source(tmp_path, pair_files, capsys):
    code = main([*pair_files, "-o", str(tmp_path / "o.png"), "--size", "64", "--steps", "2",
                 "--weights-file", str(tmp_path / "vgg.h5")])
    assert code == EXIT_BAD_INPUT  # not silently ignored: the file source was used, and the file is missing
    err = capsys.readouterr().err
    assert "The weights file" in err and "vgg.h5 does not exist" in err


def test_cli_regions_from_masks_and_automatic_segments(tmp_path, pair_files, capsys):
    left, right = tmp_path / "left.png", tmp_path / "right.png"
    mask = np.zeros((64, 64), np.uint8)
    mask[:, :32] = 255
    Image.fromarray(mask).save(left)
    Image.fromarray(255 - mask).save(right)
    content, style = pair_files
    out = tmp_path / "out.png"
    common = ["--size", "64", "--steps", "4", "--weights", "random", "--tv-weight", "0"]
    assert main([content, style, style, "-o", str(out), "--masks", str(left), str(right), *common]) == EXIT_OK
    assert Image.open(out).size == (64, 64)
    regions = tmp_path / "regions.png"
    code = main([content, style, "-o", str(out), "--segments", "2", "--segment-styles", "1,0",
                 "--save-segments", str(regions), *common])
    assert code == EXIT_OK
    assert Image.open(regions).size == (64, 64)
    assert "2 regions" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--masks", "MASK"], "one mask per style image: 2 style images, 1 masks"),
        (["--segment-styles", "1,2"], "segment_styles needs regions: segments"),
        (["--save-segments", "map.png"], "--save-segments needs automatic regions: --segments K"),
        (["--segments", "2", "--segment-styles", "1,5"], "Region style numbers go from 0 (keep the photo) to 2"),
    ],
)
def test_cli_bad_region_options(tmp_path, pair_files, capsys, extra, message):
    mask = tmp_path / "mask.png"
    Image.fromarray(np.full((64, 64), 255, np.uint8)).save(mask)
    extra = [str(mask) if e == "MASK" else str(tmp_path / e) if e.endswith(".png") else e for e in extra]
    content, style = pair_files
    code = main([content, style, style, "-o", str(tmp_path / "out.png"), "--size", "64", "--steps", "2",
                 "--weights", "random", *extra])
    assert code == EXIT_BAD_INPUT
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out.png").exists()


def test_every_refusal_comes_before_tensorflow_loads(tmp_path, pair_files):
    """--help and bad input answer at once: TensorFlow (seconds to import) is not loaded for them."""
    (tmp_path / "weights").mkdir()
    cases = [["--help"], [*pair_files, "-o", "/proc/out.png"], [*pair_files, "-o", "o.png", "--size", "5"],
             [*pair_files, "-o", "o.png", "--weights-file", str(tmp_path / "weights")],
             [pair_files[0], str(tmp_path), "-o", "o.png"]]
    code = (
        "import sys, contextlib, io\n"
        "from nst.cli.main import main\n"
        f"for argv in {cases!r}:\n"
        "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "        main(argv)\n"
        "print('tensorflow' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.stdout.strip() == "False", result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 4 and all(line.startswith("error:") for line in lines), lines
    assert "/proc/out.png" in lines[0] and "size must be" in lines[1] and "is a folder; give the .h5" in lines[2]
    assert "style image" in lines[3] and "folder" in lines[3]


def test_a_weights_file_of_another_network_gets_one_sentence(tmp_path, pair_files):
    import keras

    weights = tmp_path / "vgg16.weights.h5"
    keras.applications.VGG16(include_top=False, weights=None).save_weights(str(weights))
    result = subprocess.run([sys.executable, "-m", "nst", *pair_files, "-o", str(tmp_path / "o.png"), "--size", "64",
                             "--steps", "2", "--weights-file", str(weights)],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == EXIT_BAD_INPUT
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "must be a Keras VGG19 'notop' weights file" in lines[0], lines[:5]


def test_the_ray_address_comes_from_the_flag_then_the_environment(monkeypatch):
    """--ray wins over $NST_RAY_ADDRESS, which wins over local workers; nothing is written back to
    the environment for code below to read."""
    from nst.cli.options import executor_from
    from nst.line.actors import RayExecutor
    from nst.line.process import LocalExecutor

    monkeypatch.delenv("NST_RAY_ADDRESS", raising=False)
    assert isinstance(executor_from(None), LocalExecutor)
    monkeypatch.setenv("NST_RAY_ADDRESS", "head:6379")
    monkeypatch.setenv("NST_RAY_CPUS", "3")
    chosen = executor_from(None)
    assert isinstance(chosen, RayExecutor) and chosen.address == "head:6379" and chosen.placement.cpus == 3
    chosen = executor_from("other:6379")
    assert isinstance(chosen, RayExecutor) and chosen.address == "other:6379"
    assert os.environ["NST_RAY_ADDRESS"] == "head:6379"
