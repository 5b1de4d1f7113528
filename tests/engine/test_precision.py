"""bfloat16 runs: the choice of format, and that a bfloat16 network gives nearly the float32 loss and gradient."""

import numpy as np
import pytest
import tensorflow as tf

from nst import NSTError, Settings, load_backbone, load_image, precision
from nst.backbone import FeatureExtractor, cast_network
from nst.objective import Objective


def test_cpu_flags_decide_auto():
    assert precision.cpu_has_bfloat16({"fpu", "avx2", "avx512_bf16"})
    assert precision.cpu_has_bfloat16({"amx_bf16", "amx_tile"})
    assert not precision.cpu_has_bfloat16({"fpu", "avx2", "avx512f", "fma"})


def test_explicit_precision_is_kept_and_auto_resolves_to_a_format():
    assert precision.resolve("float32") == "float32"
    assert precision.resolve("bfloat16") == "bfloat16"
    assert precision.resolve("auto") in ("float32", "bfloat16")


def test_unknown_precision_is_refused():
    with pytest.raises(NSTError, match="precision must be one of auto, float32, bfloat16"):
        Settings(precision="half")


def test_bfloat16_network_is_cast_once_and_keeps_the_weights():
    backbone = load_backbone("offline")
    cast = cast_network(backbone.network, "bfloat16")
    assert cast is cast_network(backbone.network, "bfloat16")
    assert cast_network(backbone.network, "float32") is backbone.network
    layer = cast.get_layer("block3_conv2")
    assert layer.compute_dtype == "bfloat16"
    original = backbone.network.get_layer("block3_conv2").get_weights()[0]
    np.testing.assert_allclose(np.asarray(layer.kernel, dtype=np.float32), original, rtol=1e-2, atol=1e-3)


def test_bfloat16_loss_and_gradient_match_float32(assets):
    """Same loss within 2% and a gradient pointing the same way (cosine > 0.99) on real pretrained features."""
    backbone = load_backbone("offline")
    settings = Settings(size=96, weights="offline")
    content = load_image(assets / "content" / "cat.jpg", 96)
    style = load_image(assets / "styles" / "swirls.jpg", 96)
    image = tf.Variable(np.clip(content * 0.8 + 0.1, 0, 1)[None])
    results = {}
    for dtype in ("float32", "bfloat16"):
        extractor = FeatureExtractor(backbone, settings.content_layers, settings.style_layers, dtype)
        objective = Objective(extractor, content, [style], settings, backbone.calibration)
        with tf.GradientTape() as tape:
            total, _ = objective(image)
        features = extractor(image).style[0]
        assert features.dtype == tf.float32
        results[dtype] = (float(total), tape.gradient(total, image).numpy().ravel())
    (loss32, grad32), (loss16, grad16) = results["float32"], results["bfloat16"]
    assert abs(loss16 - loss32) / loss32 < 0.02
    assert np.dot(grad16, grad32) / np.linalg.norm(grad16) / np.linalg.norm(grad32) > 0.99
