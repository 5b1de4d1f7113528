"""The objective of a run at one size: the registered loss terms (nst/losses.py) with their targets
(the photo's features, the paintings' Gram matrices, per region and saliency) computed once."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from .backbone import Backbone, FeatureExtractor
from .losses import TERMS, StyleTarget, Targets, gram_matrix, size_factors
from .settings import Settings, blend_weights


def objective_calibration(
    settings: Settings, backbone: Backbone, shape: tuple[int, int], output_shape: tuple[int, int]
) -> tuple[dict[str, float], float]:
    """The gains of the terms' weights and the TV smoothing of a run's objective at `shape`: the
    backbone's calibration times the size factors of `settings.objective`, and the settings' TV
    smoothing or, when they leave it empty, the backbone's."""
    gains = dict(backbone.calibration)
    for name, factor in size_factors(settings.objective, shape, output_shape).items():
        gains[name] = gains.get(name, 1.0) * factor
    return gains, backbone.tv_smoothing if settings.tv_smoothing is None else settings.tv_smoothing


class Objective:
    """The registered loss terms (nst/losses.py) with their targets precomputed for one size of a run.

    `masks` (one (H, W) array per style, at this size) confine each style to its region. With
    settings.saliency = S > 0, `salience` ((H, W) in [0, 1]) weights the content term per location by
    1 + S x salience (normalised to mean 1) and the style statistics by 1 - S / (1 + S) x salience, so
    the subject keeps its structure and the background takes the style. `gains` multiply the terms'
    weights, by name: the backbone's calibration times the size factors of nst/losses.py;
    `tv_smoothing` is the TV term's Huber threshold (0: the tutorial's L1 TV). `previous` (a video
    frame: the previous stylised frame warped onto this one, and where that warp is reliable, at this
    size) is what the temporal term keeps the image close to.
    """

    def __init__(
        self,
        extractor: FeatureExtractor,
        content: np.ndarray,
        styles: list[np.ndarray],
        settings: Settings,
        gains: dict[str, float] | None = None,
        tv_smoothing: float = 0.0,
        masks: list[np.ndarray] | None = None,
        salience: np.ndarray | None = None,
        previous: tuple[np.ndarray, np.ndarray] | None = None,
    ):
        self.extractor = extractor
        gains = gains or {}
        weights = {name: getattr(settings, term.weight) * gains.get(name, 1.0) for name, term in TERMS.items()}
        self.terms = {name: (TERMS[name], w) for name, w in weights.items() if w > 0 or not TERMS[name].optional}
        blend = blend_weights(settings, len(styles))
        content_image = tf.constant(content[None])
        content_features = extractor(content_image)
        grams = [[gram_matrix(f) for f in extractor(tf.constant(s[None])).style] for s in styles]
        content_masks, presence = None, None
        if salience is not None and settings.saliency > 0:
            # the subject weighs more in the content term and less in the style statistics
            weight = 1.0 + settings.saliency * salience
            content_masks = [_resized_mask(weight / weight.mean(), f.shape[1:3]) for f in content_features.content]
            presence = 1.0 - settings.saliency / (1.0 + settings.saliency) * salience
        layer_shapes = [f.shape[1:3] for f in content_features.style]

        def target(layer_grams: list[tf.Tensor], mask: np.ndarray | None, gain: float = 1.0) -> StyleTarget:
            if presence is not None:
                mask = presence if mask is None else mask * presence
            if mask is None:
                return StyleTarget(layer_grams)
            return StyleTarget(layer_grams, [_resized_mask(mask, shape) for shape in layer_shapes], float(mask.mean()) * gain)

        if masks is None:  # every style everywhere: one target, the blend of their Gram matrices
            blend = blend / blend.sum()
            targets = [target([tf.add_n([w * g[i] for w, g in zip(blend, grams)]) for i in range(len(grams[0]))], None)]
        else:  # each style in its own region
            targets = [target(g, m, float(w / blend.max())) for g, m, w in zip(grams, masks, blend) if m.max() > 0 and w > 0]
        self.targets = Targets(
            content_image, content_features.content, targets, settings.normalised_style_layer_weights, content_masks,
            tv_smoothing,
            None if previous is None else tf.constant(previous[0][None]),
            None if previous is None else tf.constant(previous[1][None, :, :, None]),
        )
        self.terms = {name: term for name, term in self.terms.items()
                      if term[0].needs is None or getattr(self.targets, term[0].needs) is not None}

    def __call__(self, image: tf.Tensor) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
        """The total loss and each weighted term, by name, for a (1, H, W, 3) image in [0, 1]."""
        features = self.extractor(image)
        terms = {name: weight * term.function(self.targets, image, features) for name, (term, weight) in self.terms.items()}
        return tf.add_n(list(terms.values())), terms


def _resized_mask(mask: np.ndarray, shape: tuple[int, int]) -> tf.Tensor:
    """An (H, W) mask averaged down (or resized) to a layer's (h, w), as a (1, h, w, 1) tensor."""
    return tf.image.resize(tf.constant(mask[None, :, :, None], tf.float32), shape, method="area")
