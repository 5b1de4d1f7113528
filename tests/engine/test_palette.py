"""The palette term (nst/losses.py): the sliced histogram loss of Risser et al. 2017 in CIELAB, and the
colours it pulls a run to (nst/objective.py: the paintings', the photo's where it is kept)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from skimage.color import rgb2lab

from nst import Settings, load_image, stylise
from nst.events import Finished
from nst.losses import colour_quantiles, lab, palette_distance
from nst.objective import _palette_parts
from nst.quality import colour_distance
from tests.harness.paths import ASSETS

pytestmark = pytest.mark.engine


def _picture(name: str, folder: str = "styles", side: int = 96) -> np.ndarray:
    return load_image(ASSETS / folder / f"{name}.jpg", side)


def test_lab_is_cielab_as_scikit_image_has_it():
    rng = np.random.default_rng(1)
    colours = np.concatenate([rng.random((500, 3)), np.eye(3), np.zeros((1, 3)), np.ones((1, 3))]).astype(np.float32)
    assert np.abs(np.asarray(lab(tf.constant(colours))) * 100 - rgb2lab(colours)).max() < 0.01


def test_the_distance_sees_colours_not_where_they_are():
    painting, photo = _picture("great_wave"), _picture("cat", "content")
    quantiles = tf.constant(colour_quantiles([(painting, 1.0)]))
    shuffled = np.random.default_rng(0).permutation(painting.reshape(-1, 3)).reshape(painting.shape)
    own, moved, other = (float(palette_distance(tf.constant(p[None]), quantiles)) for p in (painting, shuffled, photo))
    assert own < 1e-5 and moved == pytest.approx(own, abs=1e-6) and other > 100 * max(own, 1e-7)


def test_descending_the_term_gives_a_photo_the_paintings_colours_to_the_darkest_and_brightest():
    """Every pixel is pulled to its rank's colour: the whole distribution arrives, tails included
    (measured by nst/quality.py's colour distance, which the term does not compute)."""
    painting, photo = _picture("starry_night"), _picture("coffee", "content")
    quantiles = tf.constant(colour_quantiles([(painting, 1.0)]))
    image = tf.Variable(photo[None])
    optimizer = tf.keras.optimizers.Adam(0.01)
    for _ in range(150):
        with tf.GradientTape() as tape:
            loss = palette_distance(image, quantiles)
        optimizer.apply_gradients([(tape.gradient(loss, image), image)])
    before, after = colour_distance(photo, painting), colour_distance(np.asarray(image[0]), painting)
    assert after < 0.15 * before, (before, after)


def test_blended_paintings_give_both_palettes_and_a_kept_region_gives_the_photos():
    photo, red, blue = (np.zeros((8, 8, 3), np.float32) for _ in range(3))
    red[..., 0], blue[..., 2], photo[...] = 1.0, 1.0, 0.5
    blended = _palette_parts(photo, [red, blue], np.array([0.75, 0.25]), None, None)
    assert [share for _, share in blended] == pytest.approx([0.75, 0.25])
    left = np.zeros((8, 8), np.float32)
    left[:, :4] = 1.0
    regions = _palette_parts(photo, [red, blue], np.array([1.0, 0.0]), [left, 1 - left], None)
    assert [share for _, share in regions] == pytest.approx([0.5, 0.0, 0.5])  # the blue region keeps the photo
    assert np.allclose(regions[-1][0], 0.5)
    subject = np.zeros((8, 8), np.float32)
    subject[2:6, 2:6] = 1.0  # saliency keeps the subject: its share of the palette is the photo's
    kept = _palette_parts(photo, [red], np.array([1.0]), None, 1.0 - 0.9 * subject)
    assert [share for _, share in kept] == pytest.approx([1 - 0.9 * 16 / 64, 0.9 * 16 / 64])
    # the mix holds the red painting's colours and the photo's grey, in their shares
    quantiles = colour_quantiles(kept)
    grey, pure_red = (np.asarray(lab(tf.constant(c))) for c in ([0.5, 0.5, 0.5], [1.0, 0.0, 0.0]))
    assert np.isclose(quantiles[0], grey[0], atol=1e-3).mean() == pytest.approx(0.225, abs=0.02)
    assert np.isclose(quantiles[0], pure_red[0], atol=1e-3).mean() == pytest.approx(0.775, abs=0.02)


@pytest.mark.slow
def test_a_default_run_takes_more_of_the_paintings_colours_with_the_term():
    photo, painting = _picture("astronaut", "content", 128), _picture("starry_night", side=128)
    distances = {}
    for weight in (0.0, Settings().palette_weight):
        settings = Settings(size=128, weights="offline", precision="float32", palette_weight=weight)
        result = next(e for e in stylise(photo, painting, settings) if isinstance(e, Finished))
        distances[weight] = colour_distance(result.image, painting)
    assert distances[Settings().palette_weight] < 0.8 * distances[0.0], distances
