import numpy as np
import pytest
import tensorflow as tf
from keras.applications import vgg19

from nst.images import from_network, to_network
from nst.losses import content_loss, gram_matrix, style_loss, total_variation


def test_gram_of_known_matrix():
    # 2 x 2 locations, 2 channels: rows are the locations' feature vectors
    features = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, 1.0], [2.0, 0.0]], dtype=np.float32)
    expected = features.T @ features / 4  # [[14, 14], [14, 21]] / 4
    gram = gram_matrix(tf.constant(features.reshape(1, 2, 2, 2)))
    np.testing.assert_allclose(gram[0].numpy(), [[3.5, 3.5], [3.5, 5.25]])
    np.testing.assert_allclose(gram[0].numpy(), expected)


def test_content_loss_is_mean_squared_difference_averaged_over_layers():
    a = [tf.constant([[1.0, 2.0]]), tf.constant([[0.0, 0.0, 3.0]])]
    b = [tf.constant([[1.0, 0.0]]), tf.constant([[0.0, 0.0, 0.0]])]
    # layer 1: (0 + 4) / 2 = 2; layer 2: 9 / 3 = 3; mean over layers = 2.5
    assert content_loss(a, b).numpy() == pytest.approx(2.5)


def test_style_loss_weights_layers():
    f1 = tf.constant(np.ones((1, 1, 1, 1), np.float32) * 2.0)  # gram = [[4]]
    f2 = tf.constant(np.ones((1, 1, 1, 1), np.float32))  # gram = [[1]]
    targets = [tf.constant([[[0.0]]]), tf.constant([[[0.0]]])]
    # squared gram differences 16 and 1, weights 0.25 / 0.75
    assert style_loss([f1, f2], targets, (0.25, 0.75)).numpy() == pytest.approx(0.25 * 16 + 0.75 * 1)


def test_total_variation_of_known_image():
    image = np.zeros((1, 2, 3, 1), np.float32)
    image[0, :, 1, 0] = 1.0  # a vertical bright line in the middle column
    # horizontal differences: |1-0| + |0-1| per row, 2 rows -> 4; vertical differences: 0
    assert total_variation(tf.constant(image)).numpy() == pytest.approx(4.0)


def test_network_preprocessing_matches_keras_and_round_trips():
    rgb = np.random.default_rng(0).uniform(0, 1, (1, 5, 7, 3)).astype(np.float32)
    keras_input = vgg19.preprocess_input(rgb * 255.0)
    np.testing.assert_allclose(to_network(rgb), keras_input, atol=1e-4)
    np.testing.assert_allclose(from_network(to_network(rgb)), rgb, atol=1e-6)


def test_masked_gram_is_the_gram_of_the_masked_locations():
    rng = np.random.default_rng(0)
    features = tf.constant(rng.normal(size=(1, 4, 6, 3)).astype(np.float32))
    everywhere = tf.ones((1, 4, 6, 1))
    np.testing.assert_allclose(gram_matrix(features, everywhere).numpy(), gram_matrix(features).numpy(), rtol=1e-5)
    left = np.zeros((1, 4, 6, 1), np.float32)
    left[:, :, :3] = 1.0
    np.testing.assert_allclose(
        gram_matrix(features, tf.constant(left)).numpy(), gram_matrix(features[:, :, :3]).numpy(), rtol=1e-5
    )


def test_content_loss_weights_locations():
    a, b = [tf.zeros((1, 2, 2, 1))], [tf.constant([[[[1.0], [1.0]], [[3.0], [3.0]]]])]
    weights = [tf.constant([[[[2.0], [2.0]], [[0.0], [0.0]]]])]
    assert content_loss(a, b, weights).numpy() == pytest.approx((2 * 1 + 2 * 1 + 0 + 0) / 4)


def test_laplacian_and_edge_distance():
    from nst.losses import edge_distance, laplacian

    image = np.zeros((1, 5, 5, 1), np.float32)
    image[0, 2, 2] = 1.0  # a single bright pixel: Laplacian 4 there, -1 at its four neighbours
    lap = laplacian(tf.constant(image)).numpy()[0, ..., 0]
    np.testing.assert_allclose(lap, [[0, -1, 0], [-1, 4, -1], [0, -1, 0]])
    flat = tf.zeros((1, 5, 5, 1))
    assert edge_distance(tf.constant(image), flat).numpy() == pytest.approx((16 + 4) / 9)
    assert edge_distance(flat + 0.3, flat).numpy() == pytest.approx(0.0)  # a brightness change has no edges


def _tutorial_loss(network, image, content, style, weights=(1e4, 1e-2, 30.0)):
    """The TF tutorial's loss, written from the tutorial: Keras' own VGG preprocessing, Grams over
    locations, mean over layers, tf.image.total_variation summed over pixels."""
    import keras

    style_layers = [f"block{i}_conv1" for i in range(1, 6)]
    model = keras.Model(network.inputs, [network.get_layer(n).output for n in [*style_layers, "block5_conv2"]])

    def extract(x):
        outputs = model(keras.applications.vgg19.preprocess_input(x * 255.0))
        grams = [tf.linalg.einsum("bijc,bijd->bcd", o, o) / tf.cast(o.shape[1] * o.shape[2], tf.float32) for o in outputs[:5]]
        return grams, outputs[5]

    (grams, features), (style_grams, _), (_, content_features) = extract(image), extract(style), extract(content)
    style_loss = tf.add_n([tf.reduce_mean((g - t) ** 2) for g, t in zip(grams, style_grams)]) / 5
    content_loss = tf.reduce_mean((features - content_features) ** 2)
    tv_loss = tf.reduce_sum(tf.image.total_variation(image))
    return float(weights[0] * content_loss + weights[1] * style_loss + weights[2] * tv_loss)


@pytest.mark.parametrize("objective, side", [("tutorial", 96), ("tutorial", 200), ("normalised", 512)])
def test_the_tutorial_objective_is_the_tutorial_loss_and_the_normalised_one_is_it_at_512_px(objective, side):
    """Pins the objective to the TF tutorial's loss: 'tutorial' at any size, 'normalised' at 512 px
    (the tutorial's size) whatever the aspect ratio; the normalised TV is per pixel elsewhere."""
    from nst import Settings, load_backbone
    from nst.backbone import FeatureExtractor
    from nst.losses import size_factors
    from nst.objective import Objective

    backbone = load_backbone("random")
    rng = np.random.default_rng(0)
    shape = (side * 3 // 4, side, 3)
    content, style, image = (rng.uniform(0, 1, shape).astype(np.float32) for _ in range(3))
    settings = Settings(size=side, weights="random", objective=objective, palette_weight=0.0)  # the tutorial's 3 terms
    extractor = FeatureExtractor(backbone, settings.content_layers, settings.style_layers)
    objective_now = Objective(extractor, content, [style], settings, size_factors(objective, shape[:2], shape[:2]))
    total, _ = objective_now(tf.constant(image[None]))
    expected = _tutorial_loss(backbone.network, tf.constant(image[None]), tf.constant(content[None]), tf.constant(style[None]))
    assert float(total) == pytest.approx(expected, rel=1e-4)



def test_smooth_total_variation_is_quadratic_below_its_threshold_and_does_not_favour_the_grid():
    from nst.losses import smooth_total_variation

    delta = 0.05
    y, x = np.mgrid[0:64, 0:64].astype(np.float32)
    ramp = np.repeat((0.01 * x)[None, :, :, None], 3, axis=-1)  # a step of 0.01 between neighbours
    expected = 4 / np.pi * 0.01**2 / (2 * delta) * 63 * 63 * 3
    assert float(smooth_total_variation(tf.constant(ramp), delta)) == pytest.approx(expected, rel=1e-3)
    # a sharp edge costs about what it costs in the tutorial's TV (times 4/pi, less delta / 2), at any angle
    straight = (x > 31.5).astype(np.float32)
    diagonal = (x + y > 63).astype(np.float32)
    edges = {name: tf.constant(np.repeat(e[None, :, :, None], 3, -1))
             for name, e in (("straight", straight), ("diagonal", diagonal))}
    l1 = {k: float(total_variation(v)) for k, v in edges.items()}
    smooth = {k: float(smooth_total_variation(v, delta)) for k, v in edges.items()}
    assert l1["diagonal"] / l1["straight"] > 1.9  # the L1 TV charges a diagonal staircase twice
    assert smooth["diagonal"] / smooth["straight"] < 1.5  # the isotropic one about its length (sqrt 2)
    assert smooth["straight"] == pytest.approx(4 / np.pi * (1 - delta / 2) * 63 * 3, rel=0.02)
