"""The engine on any Keras backend (nst/backends, nst/optimizers.py): which backend runs, the update
rules against Keras's own optimizers, compiled steps reused across runs, and what the parity set
(tests/line/test_backend_parity.py) covers. These run on the backend of the test process."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from nst import NSTError, Settings, backends, load_image
from tests.harness.parity import CASES
from tests.harness.paths import ASSETS


def test_the_parity_set_covers_every_term_optimiser_start_and_precision():
    from nst.losses import TERMS
    from nst.settings import INITS, OPTIMIZERS

    used = [case.settings for case in CASES]
    assert {s["optimizer"] for s in used} == set(OPTIMIZERS)
    assert {s["init"] for s in used} == set(INITS) - {"instant-palette"}  # the instant start, then palette's colours
    assert {s.get("precision", "float32") for s in used} == {"float32", "bfloat16"}
    weighted = {"edge": any(s.get("edge_weight") for s in used), "temporal": any(c.previous for c in CASES),
                "palette": any(s.get("palette_weight", Settings().palette_weight) for s in used)}
    assert all(weighted.values()) and set(TERMS) == {"content", "style", "tv", *weighted}
    assert any(s.get("segments") for s in used) and any(s.get("saliency") for s in used)
    assert {s.get("tv_smoothing") for s in used} >= {0.0, 0.05}


def test_a_backend_not_installed_names_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "jax" else real(name, *a))
    with pytest.raises(NSTError, match=r'^KERAS_BACKEND=jax but JAX is not installed: pip install "jax\[cpu\]"'):
        backends.check()


def test_keras_config_file_names_the_backend_when_the_variable_is_unset(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert backends.requested() == "tensorflow"
    (tmp_path / "keras.json").write_text('{"backend": "jax", "floatx": "float32"}')
    assert backends.requested() == "jax"
    monkeypatch.setenv("KERAS_BACKEND", "Torch ")
    assert backends.requested() == "torch"


@pytest.mark.parametrize("name", ["adam", "lbfgs-adam", "sgd"])
def test_the_update_rules_are_keras_optimizers_step_for_step(name):
    """Adam (the tutorial's), lbfgs-adam's warmed-up Adam and the Keras example's decaying SGD, written
    in keras.ops for every backend, move a variable as the Keras optimizers they replace do."""
    import keras
    from keras import ops

    from nst.optimizers import RULES

    rng = np.random.default_rng(1)
    start = rng.uniform(0, 1, (1, 4, 5, 3)).astype(np.float32)
    gradients = [rng.normal(0, 1, start.shape).astype(np.float32) * 10 ** (i % 3) for i in range(150)]
    rate = {"adam": 0.02, "lbfgs-adam": 0.01, "sgd": 1e-3}[name]
    if name == "sgd":
        schedule = keras.optimizers.schedules.ExponentialDecay(rate, decay_steps=100, decay_rate=0.96)
        keras_optimizer = keras.optimizers.SGD(learning_rate=schedule, momentum=0.9)
    else:
        class WarmUp(keras.optimizers.schedules.LearningRateSchedule):  # the rate rising over 10 steps
            def __call__(self, step):
                return rate * ops.minimum(1.0, (ops.cast(step, "float32") + 1.0) / 10)

        warm = WarmUp() if name != "adam" else rate
        keras_optimizer = keras.optimizers.Adam(learning_rate=warm, beta_1=0.99 if name == "adam" else 0.9, epsilon=0.1)
    variable = keras.Variable(start)
    rule, image = RULES[name], ops.convert_to_tensor(start)
    state = rule.start(image)
    for gradient in gradients:
        keras_optimizer.apply_gradients([(ops.convert_to_tensor(gradient), variable)])
        image, state = rule.update(image, ops.convert_to_tensor(gradient), state, ops.convert_to_tensor(np.float32(rate)))
    ours, theirs = ops.convert_to_numpy(image), ops.convert_to_numpy(variable.value)
    assert np.abs(theirs - start).max() > 10 * rate  # it moved, far
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_a_later_run_of_the_same_layout_reuses_the_compiled_step():
    """The compiled step takes the run's targets as arguments: another photo, painting or weight at
    the same size and layout compiles nothing new (a step per run was traced again every run and
    kept its graph: ~9 MB and ~1.6 s a run)."""
    from nst import Finished, Settings, stylise
    from nst.optimizers import RULES, _programs

    photos = [load_image(ASSETS / "content" / name, 64) for name in ("cat.jpg", "coffee.jpg", "rocket.jpg")]
    paintings = [ASSETS / "styles" / name for name in ("great_wave.jpg", "cherry_tree.jpg", "deep_field.jpg")]
    seen = []
    for index, (photo, painting) in enumerate(zip(photos, paintings)):
        settings = Settings(size=64, steps=4, weights="offline", optimizer="lbfgs-adam", init="content", scales=0,
                            style_weight=1e-2 * (index + 1))
        result = [e for e in stylise(photo, painting, settings) if isinstance(e, Finished)][-1]
        assert result.reason == "completed" and len(result.history) == 4
        seen.append({key: id(program) for key, program in _programs.items()})
    assert seen[0] and seen[0] == seen[1] == seen[2]
    assert {key[-1] for key in seen[0]} >= {"lbfgs", RULES["lbfgs-adam"]}
