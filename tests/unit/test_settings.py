import pytest

from nst import NSTError, Settings
from nst.settings import WEIGHTS_FILE_ENV


def test_defaults_are_the_tutorial_objective_with_the_fast_mode(monkeypatch):
    monkeypatch.delenv(WEIGHTS_FILE_ENV, raising=False)
    s = Settings()
    assert (s.content_weight, s.style_weight, s.tv_weight) == (1e4, 1e-2, 30.0)
    # the tutorial's loss at its 512 px for VGG19 (test_losses.py pins it), per pixel at other sizes
    assert (s.objective, s.tv_smoothing) == ("normalised", None)
    assert s.content_layers == ("block5_conv2",)
    assert s.style_layers == tuple(f"block{i}_conv1" for i in range(1, 6))
    assert s.normalised_style_layer_weights == pytest.approx((0.2,) * 5)
    assert (s.optimizer, s.lr, s.scales, s.steps, s.weights) == ("lbfgs-adam", 0.01, 0, 40, "imagenet")
    assert s.replace(optimizer="adam").lr == 0.02  # the tutorial's Adam
    # the instant picture lays the painting out; medium strokes: most steps at half size, a full-size finish
    assert s.init == "instant-palette" and s.strokes == "medium" and s.scale_count == 2


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"size": 10}, "size"),
        ({"steps": -1}, "steps"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"style_weight": float("inf")}, "style_weight"),
        ({"optimizer": "lbfgs2"}, "optimizer"),
        ({"init": "zeros"}, "init"),
        ({"style_layer_weights": (1.0, 2.0)}, "style_layer_weights"),
        ({"content_weight": 0.0, "style_weight": 0.0}, "nothing to optimise"),
        ({"outputs": 11}, "outputs"),
        ({"scales": -1}, "scales"),
        ({"scales": 6}, "scales"),
        ({"tv_smoothing": 2.0}, "tv_smoothing"),
        ({"tv_smoothing": float("nan")}, "tv_smoothing"),
        ({"objective": "sum"}, "objective"),
        ({"style_layers": ("block1_conv1", "block1_conv1")}, "twice"),
    ],
)
def test_invalid_settings_raise_a_clear_error(changes, words):
    with pytest.raises(NSTError, match=words):
        Settings(**changes)


def test_dict_round_trip_and_unknown_keys():
    s = Settings(size=128, style_layer_weights=(1, 2, 3, 4, 5))
    assert Settings.from_dict(s.to_dict()) == s
    with pytest.raises(NSTError, match="Unknown setting"):
        Settings.from_dict({"colour": 3})


def test_weights_file_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(WEIGHTS_FILE_ENV, str(tmp_path / "vgg.h5"))
    s = Settings()
    assert s.weights == "file" and s.resolved_weights_file == str(tmp_path / "vgg.h5")
    monkeypatch.delenv(WEIGHTS_FILE_ENV)
    with pytest.raises(NSTError, match=WEIGHTS_FILE_ENV):
        Settings(weights="file")
