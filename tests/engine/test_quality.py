"""Real pretrained features (the offline VGG16): the run must move the style and keep the content.

Threshold for content: luminance SSIM against the content photo. The other images in assets/ score
0.02 to 0.14 against the cat photo at this size (the swirls style 0.02); a result above 0.2 keeps more
of the photo's structure than any unrelated image does (this run gives 0.49).
"""

import numpy as np
import pytest
import tensorflow as tf
from skimage.color import rgb2gray
from skimage.metrics import structural_similarity

from nst import Finished, Settings, load_backbone, load_image, stylise
from nst.backbone import FeatureExtractor
from nst.losses import gram_matrix

SIZE = 128


def _gram_distance(extractor, image, style_grams):
    _, features = extractor(tf.constant(image[None]))
    return sum(float(tf.reduce_mean((gram_matrix(f) - g) ** 2)) for f, g in zip(features, style_grams))


@pytest.mark.slow
def test_offline_backbone_transfers_style_and_keeps_content(assets):
    content = load_image(assets / "content" / "cat.jpg", SIZE)
    style = load_image(assets / "styles" / "swirls.jpg", SIZE)
    settings = Settings(size=SIZE, steps=80, weights="offline")
    backbone = load_backbone("offline")
    finished = [e for e in stylise(content, style, settings, backbone=backbone) if isinstance(e, Finished)][0]

    extractor = FeatureExtractor(backbone, settings.content_layers, settings.style_layers)
    style_grams = [gram_matrix(f) for f in extractor(tf.constant(style[None]))[1]]
    before = _gram_distance(extractor, content, style_grams)
    after = _gram_distance(extractor, finished.image, style_grams)
    assert after < 0.5 * before, (before, after)

    similarity = structural_similarity(rgb2gray(content), rgb2gray(finished.image), data_range=1.0)
    assert similarity > 0.2, similarity
    assert np.abs(finished.image - content).mean() > 0.03  # it really repainted the photo


@pytest.mark.slow
def test_a_short_offline_run_paints_without_the_staircase(assets):
    """The default objective against the same weights with the tutorial's L1 total variation, on a pair
    of the quality benchmark, judged by nst/quality.py (numbers the network does not grade).

    Colour threshold: on the quality benchmark (BENCHMARKS.md) the default 150-step run ends at 0.07 to
    0.15 of the photo's own colour distance to the painting at 128 px (0.11 on this pair), so a run that keeps
    more than half of that distance after 60 steps has not taken the painting's palette.
    Blockiness: the same balance with the tutorial's L1 TV scored 0.14-0.32 on the benchmark against
    0.03-0.16 with the smooth TV (0.09 against 0.25 on the cat x Great Wave); 0.05 apart is less than that.
    """
    from nst.quality import blockiness, colour_distance

    content = load_image(assets / "content" / "cat.jpg", SIZE)
    style = load_image(assets / "styles" / "great_wave.jpg", SIZE)
    backbone = load_backbone("offline")
    # every step at this size (fine strokes): the staircase is what L1 TV leaves at the output's size
    settings = Settings(size=SIZE, steps=60, weights="offline", precision="float32", strokes="fine")
    results = {
        smoothing: [e for e in stylise(content, style, settings.replace(tv_smoothing=smoothing), backbone=backbone)
                    if isinstance(e, Finished)][0].image
        for smoothing in (None, 0.0)  # the offline backbone's smooth TV, the tutorial's L1 TV
    }
    smooth, staircase = blockiness(results[None]), blockiness(results[0.0])
    assert smooth < staircase - 0.05, (smooth, staircase)
    start = colour_distance(content, style)
    assert colour_distance(results[None], style) < 0.5 * start
