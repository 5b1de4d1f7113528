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
