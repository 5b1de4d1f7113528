"""Inside the network: what each layer sees in an image, and the Gram matrices that stand for style.

The studio's "Inside the network" page shows these with the same network a run uses. `look_inside`
runs one image through every convolution of the backbone and keeps, per layer, its strongest channels
as small greyscale maps and, for the style layers' kind (the first convolution of each block), the
Gram matrix that the style loss compares (nst/losses.py), next to the painting's. It returns plain data (nst/events.py), so
the worker process can send it to the server without TensorFlow there.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from keras import ops

from . import backends
from .backbone import Backbone, FeatureExtractor
from .events import Inspection, LayerView
from .losses import Tensor, gram_matrix

CHANNELS_SHOWN = 8  # strongest channels kept per layer
GRAM_CHANNELS = 32  # a Gram matrix is kept over the reference image's strongest channels


def look_inside(
    backbone: Backbone, images: dict[str, np.ndarray], count: int = CHANNELS_SHOWN, reference: str = "painting"
) -> Inspection:
    """Run each [0, 1] RGB image through the backbone and describe every convolution's activations.

    Gram matrices are kept over the `reference` image's GRAM_CHANNELS strongest channels (the first
    image's if there is no such name), each with its distance to the reference's whole matrix: tens
    of kilobytes per image instead of megabytes, for a server that holds one inspection per visitor.
    """
    layers = tuple(backbone.layer_names())
    extractor = FeatureExtractor(backbone, (), layers, mirror=0)  # maps aligned with the image
    first = reference if reference in images else next(iter(images))
    references: dict[str, np.ndarray] = {}
    views = {}
    for name in sorted(images, key=lambda n: n != first):  # the reference first: the others need its matrices
        activations = extractor(ops.convert_to_tensor(images[name][None], "float32")).style
        views[name] = {}
        for layer, values in zip(layers, activations):
            gram = ops.convert_to_numpy(gram_matrix(values))[0] if layer.endswith("_conv1") else None
            if gram is not None and name == first:
                references[layer] = gram
            views[name][layer] = layer_view(layer, values, count, gram, references.get(layer))
    return Inspection(f"{backbone.description} · {backends.describe()}", {name: views[name] for name in images})


def layer_view(
    name: str, activations: Tensor, count: int = CHANNELS_SHOWN, gram: np.ndarray | None = None,
    reference: np.ndarray | None = None,
) -> LayerView:
    """The strongest `count` channels of one layer's (1, H, W, C) activations and, given its Gram
    matrix and the reference's, the part of it over the reference's strongest channels."""
    values = np.asarray(ops.convert_to_numpy(activations))[0]
    strongest = np.argsort(-values.mean(axis=(0, 1)), kind="stable")[:count]
    maps = np.stack([_to_grey(values[..., c]) for c in strongest])
    view = LayerView(name, values.shape, tuple(int(c) for c in strongest), maps)
    if gram is None or reference is None:
        return view
    _, part, channels = gram_pair(reference, gram, GRAM_CHANNELS)
    return dataclasses.replace(view, gram=part.astype(np.float32), gram_channels=channels,
                               gram_distance=gram_distance(reference, gram))


def gram_pair(
    painting: np.ndarray, other: np.ndarray, count: int = GRAM_CHANNELS
) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
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
