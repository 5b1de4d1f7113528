"""The objective of a run at one size: the registered loss terms (nst/losses.py) with their targets
(the photo's features, the paintings' Gram matrices, per region and saliency) computed once."""

from __future__ import annotations

from typing import Any

import numpy as np
from keras import ops

from .backbone import Backbone, FeatureExtractor
from .losses import TERMS, StyleTarget, Targets, Tensor, colour_quantiles, gram_matrix, size_factors, total
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

    Calling it evaluates the loss eagerly; a run's compiled steps (nst/optimizers.py) call `loss` with
    `arguments()`, so that one compiled step serves every run with the same `layout`.
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
        content_image = ops.convert_to_tensor(content[None], "float32")
        content_features = extractor(content_image)
        grams = [[gram_matrix(f) for f in extractor(ops.convert_to_tensor(s[None], "float32")).style] for s in styles]
        content_masks, presence = None, None
        if salience is not None and settings.saliency > 0:
            # the subject weighs more in the content term and less in the style statistics
            weight = extractor.margin(1.0 + settings.saliency * salience)
            content_masks = [_resized_mask(weight / weight.mean(), f.shape[1:3]) for f in content_features.content]
            presence = 1.0 - settings.saliency / (1.0 + settings.saliency) * salience
        layer_shapes = [f.shape[1:3] for f in content_features.style]

        def target(layer_grams: list[Tensor], mask: np.ndarray | None, gain: float = 1.0) -> StyleTarget:
            if presence is not None:
                mask = presence if mask is None else mask * presence
            if mask is None:
                return StyleTarget(layer_grams, None, _scalar(1.0))
            return StyleTarget(layer_grams, [_resized_mask(extractor.margin(mask), shape) for shape in layer_shapes],
                               _scalar(float(mask.mean()) * gain))

        if masks is None:  # every style everywhere: one target, the blend of their Gram matrices
            blend = blend / blend.sum()
            targets = [target([total([float(w) * g[i] for w, g in zip(blend, grams)]) for i in range(len(grams[0]))], None)]
        else:  # each style in its own region
            targets = [target(g, m, float(w / blend.max())) for g, m, w in zip(grams, masks, blend) if m.max() > 0 and w > 0]
        palette = None
        if "palette" in self.terms:  # the colours the picture should have: the paintings', the photo's where kept
            palette = ops.convert_to_tensor(colour_quantiles(_palette_parts(content, styles, blend, masks, presence)))
        self.targets = Targets(
            content_image, content_features.content, targets, settings.normalised_style_layer_weights, content_masks,
            tv_smoothing,
            None if previous is None else ops.convert_to_tensor(previous[0][None], "float32"),
            None if previous is None else ops.convert_to_tensor(previous[1][None, :, :, None], "float32"),
            palette,
        )
        self.terms = {name: term for name, term in self.terms.items()
                      if term[0].needs is None or getattr(self.targets, term[0].needs) is not None}
        self.weights = {name: _scalar(weight) for name, (_, weight) in self.terms.items()}
        # what a compiled step is specialised on; the rest (`arguments`) it takes as tensors
        self.layout = (extractor.key, tuple(self.terms), self.targets.layer_weights, self.targets.tv_smoothing)

    def arguments(self) -> tuple[Targets, dict[str, Tensor], list[Any]]:
        """The tensors `loss` takes after the image: the targets (less the layout), weights, network state."""
        return self.targets._replace(layer_weights=None, tv_smoothing=None), self.weights, self.extractor.state

    def loss(
        self, image: Tensor, targets: Targets, weights: dict[str, Tensor], state: list[Any]
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """The total loss and each weighted term, by name, for a (1, H, W, 3) image in [0, 1], given
        `arguments()`: a pure function of its inputs, for the backend to differentiate and compile."""
        targets = targets._replace(layer_weights=self.targets.layer_weights, tv_smoothing=self.targets.tv_smoothing)
        features = self.extractor(image, state)
        terms = {name: weights[name] * term.function(targets, image, features) for name, (term, _) in self.terms.items()}
        return total(list(terms.values())), terms

    def __call__(self, image: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """The total loss and each weighted term, by name, for a (1, H, W, 3) image in [0, 1]."""
        return self.loss(ops.convert_to_tensor(image, "float32"), *self.arguments())


def _palette_parts(
    content: np.ndarray, styles: list[np.ndarray], blend: np.ndarray, masks: list[np.ndarray] | None,
    presence: np.ndarray | None,
) -> list[tuple[np.ndarray, float]]:
    """The pictures whose colours the result should have, with their shares: each painting by where it
    paints (its blend share, or its region; less the subject where saliency keeps it), and the photo's
    colours where no painting does."""
    if masks is None:
        painted = [np.full(content.shape[:2], w / blend.sum(), np.float32) for w in blend]
    else:
        painted = [m * (w > 0) for m, w in zip(masks, blend)]
    if presence is not None:
        painted = [p * presence for p in painted]
    kept = np.clip(1.0 - sum(painted), 0.0, 1.0)
    parts = [(s, float(p.mean())) for s, p in zip(styles, painted)]
    if (kept > 0.5).any():
        parts.append((content[kept > 0.5], float(kept.mean())))
    return parts


def _scalar(value: float) -> Tensor:
    return ops.convert_to_tensor(np.float32(value))


def _resized_mask(mask: np.ndarray, shape: tuple[int, int]) -> Tensor:
    """An (H, W) mask averaged down (or resized) to a layer's (h, w), as a (1, h, w, 1) tensor."""
    import cv2  # here: runs without regions or saliency need no OpenCV (bench/gpu_check.sh carries none)

    resized = cv2.resize(np.asarray(mask, np.float32), (int(shape[1]), int(shape[0])), interpolation=cv2.INTER_AREA)
    return ops.convert_to_tensor(resized[None, :, :, None], "float32")
