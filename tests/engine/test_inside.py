"""Inside the network (nst/inside.py) and the classroom's series (nst/lessons.py): the pictures say
what the page claims, on real pretrained features (the offline VGG16)."""

import numpy as np
import pytest

from nst import Settings, backends, load_backbone, load_image, stylise
from nst.events import Finished
from nst.inside import gram_distance, gram_pair, look_inside
from nst.lessons import content_reconstructions, lesson_settings, style_reconstructions, tradeoff_grid
from nst.losses import gram_matrix


@pytest.fixture(scope="module")
def offline():
    return load_backbone("offline")


@pytest.fixture(scope="module")
def pair(assets):
    return load_image(assets / "content" / "cat.jpg", 128), load_image(assets / "styles" / "starry_night.jpg", 128)


@pytest.fixture(scope="module")
def seen(offline, pair):
    photo, painting = pair
    return look_inside(offline, {"photo": photo, "painting": painting})


def test_every_convolution_is_shown_with_its_strongest_channels(offline, seen, pair):
    import tensorflow as tf

    assert list(seen.views["photo"]) == offline.layer_names()
    assert seen.network == f"{offline.description} · {backends.describe()}"
    view = seen.views["photo"]["block3_conv1"]
    height, width, channels = view.shape
    assert view.maps.shape == (8, height, width) and view.maps.dtype == np.uint8 and channels == 256
    assert view.maps.reshape(8, -1).max(axis=1).tolist() == [255] * 8  # each scaled to its own maximum
    # the listed channels are the strongest, strongest first
    model = tf.keras.Model(offline.network.inputs, offline.network.get_layer("block3_conv1").output)
    from nst.images import to_network

    means = model([to_network(pair[0][None])]).numpy()[0].mean(axis=(0, 1))
    assert list(view.channels) == list(np.argsort(-means)[:8])


def test_gram_matrices_are_the_style_losses_own(seen, offline, pair):
    """Each image's Gram matrix over the painting's 32 strongest channels, and its distance to the
    painting's whole matrix, are those of the style loss's own Gram matrices."""
    import tensorflow as tf

    from nst.images import to_network

    painting = seen.views["painting"]
    assert [name for name, v in painting.items() if v.gram is not None] == [f"block{n}_conv1" for n in range(1, 6)]
    model = tf.keras.Model(offline.network.inputs, offline.network.get_layer("block2_conv1").output)
    full = {name: gram_matrix(model([to_network(image[None])])).numpy()[0] for name, image in zip(("photo", "painting"), pair)}
    channels = painting["block2_conv1"].gram_channels
    assert list(channels) == list(np.argsort(-np.diag(full["painting"]))[:32])  # the painting's strongest
    for name in ("photo", "painting"):
        view = seen.views[name]["block2_conv1"]
        assert view.gram.shape == (32, 32) and view.gram_channels == channels
        np.testing.assert_allclose(view.gram, full[name][np.ix_(channels, channels)], rtol=1e-4, atol=1e-3)
        assert view.gram_distance == pytest.approx(gram_distance(full["painting"], full[name]), rel=1e-4, abs=1e-6)
    assert painting["block2_conv1"].gram_distance == 0.0 < seen.views["photo"]["block2_conv1"].gram_distance


def test_style_is_statistics_a_shuffled_painting_keeps_its_gram_matrices(offline, pair):
    """The page's claim: where things are does not count. The painting cut in 16 tiles and shuffled
    is several times closer to the painting's Gram matrices than the photo is."""
    photo, painting = pair
    h, w = (painting.shape[0] // 4) * 4, (painting.shape[1] // 4) * 4
    tiles = [painting[i : i + h // 4, j : j + w // 4] for i in range(0, h, h // 4) for j in range(0, w, w // 4)]
    order = np.random.default_rng(0).permutation(16)
    shuffled = np.concatenate([np.concatenate([tiles[k] for k in order[r * 4 : r * 4 + 4]], axis=1) for r in range(4)])
    seen = look_inside(offline, {"shuffled": shuffled, "photo": photo, "painting": painting[:h, :w]})
    assert list(seen.views) == ["shuffled", "photo", "painting"]  # in the order given
    for layer in ("block1_conv1", "block3_conv1"):
        to_shuffled = seen.views["shuffled"][layer].gram_distance
        to_photo = seen.views["photo"][layer].gram_distance
        assert to_shuffled < 0.4 * to_photo, (layer, to_shuffled, to_photo)  # measured 0.30 at block3


def test_gram_pair_keeps_the_paintings_strongest_channels():
    painting = np.diag([1.0, 5.0, 3.0, 0.5])
    other = np.arange(16.0).reshape(4, 4)
    a, b, channels = gram_pair(painting, other, 2)
    assert channels == (1, 2)
    np.testing.assert_array_equal(a, [[5.0, 0.0], [0.0, 3.0]])
    np.testing.assert_array_equal(b, [[5.0, 6.0], [9.0, 10.0]])


def test_lessons_are_the_classic_series():
    base = lesson_settings(Settings(weights="random"))
    assert (base.size, base.scales, base.optimizer) == (128, 1, "lbfgs")
    content = content_reconstructions(base)
    assert [s.content_layers for _, s in content] == [(f"block{n}_conv2",) for n in range(1, 6)]
    assert all(s.style_weight == 0 and s.init == "noise" for _, s in content)
    style = style_reconstructions(base)
    assert [len(s.style_layers) for _, s in style] == [1, 2, 3, 4, 5]
    assert style[-1][1].style_layers == tuple(f"block{n}_conv1" for n in range(1, 6))
    assert all(s.content_weight == 0 and s.init == "noise" for _, s in style)
    grid = tradeoff_grid(base, (0.1, 1, 10), (1, 0.1))
    assert len(grid) == 6
    assert [s.style_weight / base.style_weight for _, s in grid[:3]] == pytest.approx([0.1, 1, 10])
    assert [s.tv_weight for _, s in grid[3:]] == pytest.approx([base.tv_weight * 0.1] * 3)


@pytest.mark.slow
def test_shallow_layers_keep_the_pixels_deep_layers_let_them_go(offline, assets):
    """Figure 1 of Gatys et al., as the page says: rebuilt from noise, block1's content is close to
    the photo, block5's is not; and block5's is not the start's coloured noise either (its pixel-to-
    pixel change was 0.32 without the smoothness prior, 0.01 with it, at 128 px after 60 steps)."""
    photo = load_image(assets / "content" / "cat.jpg", 64)
    base = lesson_settings(Settings(weights="offline", precision="float32"), size=64, steps=40)
    errors, noise = {}, {}
    for label, settings in content_reconstructions(base, blocks=(1, 5)):
        result = [e for e in stylise(photo, photo, settings, backbone=offline) if isinstance(e, Finished)][0]
        errors[label] = float(np.abs(result.image - photo).mean())
        noise[label] = float(np.abs(np.diff(result.image, axis=0)).mean())
    assert errors["content of block1_conv2"] < 0.6 * errors["content of block5_conv2"], errors
    assert noise["content of block5_conv2"] < 0.1, noise


def test_the_same_seed_gives_the_same_image(tiny_pair):
    """Reproducible demos: the same settings and seed give identical arrays (CPU, random weights)."""
    content, style = tiny_pair
    backbone = load_backbone("random")

    def run(seed):
        settings = Settings(size=64, steps=5, init="noise", seed=seed, weights="random", optimizer="adam")
        return [e for e in stylise(content, style, settings, backbone=backbone) if isinstance(e, Finished)][0].image

    first, again, other = run(7), run(7), run(8)
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).mean() > 1e-3
