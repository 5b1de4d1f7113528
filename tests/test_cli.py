import csv
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from nst.cli import EXIT_BAD_INPUT, EXIT_OK, main


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
    for option in ("--optimizer", "--precision", "--scales", "--weights-file", "--keep-colours"):
        assert option in text
    assert "lbfgs-adam" in text and "under 1%" in text  # help texts come from Settings, % intact
