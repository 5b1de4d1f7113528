"""Inside the network: what each layer sees in an image, and the Gram matrices that stand for style.

The studio's "Inside the network" page shows these with the same network a run uses. `look_inside`
runs one image through every convolution of the backbone and keeps, per layer, its strongest channels
as small greyscale maps and, for the style layers' kind (the first convolution of each block), the
Gram matrix that the style loss compares (nst/losses.py). It returns plain data (nst/events.py), so
the worker process can send it to the server without TensorFlow there.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from .backbone import Backbone, FeatureExtractor
from .events import Inspection, LayerView
from .losses import gram_matrix

CHANNELS_SHOWN = 8  # strongest channels kept per layer


def look_inside(backbone: Backbone, images: dict[str, np.ndarray], count: int = CHANNELS_SHOWN) -> Inspection:
    """Run each [0, 1] RGB image through the backbone and describe every convolution's activations."""
    layers = tuple(backbone.layer_names())
    extractor = FeatureExtractor(backbone, (), layers)
    views = {}
    for name, image in images.items():
        activations = extractor(tf.constant(image[None], tf.float32)).style
        views[name] = {layer: layer_view(layer, a, count) for layer, a in zip(layers, activations)}
    return Inspection(backbone.description, views)


def layer_view(name: str, activations: tf.Tensor, count: int = CHANNELS_SHOWN) -> LayerView:
    """The strongest `count` channels of one layer's (1, H, W, C) activations, and its Gram matrix
    when it is a style layer of the usual kind (the first convolution of a block)."""
    values = activations.numpy()[0]
    strongest = np.argsort(-values.mean(axis=(0, 1)), kind="stable")[:count]
    maps = np.stack([_to_grey(values[..., c]) for c in strongest])
    gram = gram_matrix(activations).numpy()[0].astype(np.float32) if name.endswith("_conv1") else None
    return LayerView(name, values.shape, tuple(int(c) for c in strongest), maps, gram)


def gram_pair(painting: np.ndarray, other: np.ndarray, count: int = 32) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """The `count` x `count` corner of two Gram matrices that matters most to the painting: the
    channels with the painting's largest diagonal (its strongest responses), strongest first."""
    channels = tuple(int(c) for c in np.argsort(-np.diag(painting), kind="stable")[:count])
    index = np.ix_(channels, channels)
    return painting[index], other[index], channels


def gram_distance(painting: np.ndarray, other: np.ndarray) -> float:
    """How far `other`'s Gram matrix is from the painting's, relative to the painting's size
    (0: the same statistics); the style loss is the square of this, up to its weights."""
    return float(np.linalg.norm(other - painting) / max(np.linalg.norm(painting), 1e-12))


def _to_grey(channel: np.ndarray) -> np.ndarray:
    peak = float(channel.max())
    if peak <= 0:
        return np.zeros(channel.shape, np.uint8)
    return np.round(np.clip(channel / peak, 0.0, 1.0) * 255).astype(np.uint8)
