"""The objective (Gatys et al. 2016), in the exact form of the TensorFlow tutorial "Neural style transfer".

With F_l(x) the activations of layer l for image x (shape H_l x W_l x C_l, image in [0, 1] fed
through VGG's Caffe preprocessing):

    G_l(x)       = F_l(x)^T F_l(x) / (H_l W_l)                     Gram matrix, C_l x C_l
    L_content(x) = (1 / |C|) sum_{l in C} mean((F_l(x) - F_l(c))^2)
    L_style(x)   = sum_{l in S} w_l mean((G_l(x) - G_l(s))^2),     w_l >= 0, sum w_l = 1
    L_tv(x)      = sum_{i,j} |x_{i+1,j} - x_{i,j}| + |x_{i,j+1} - x_{i,j}|   (tf.image.total_variation)
    L(x)         = a L_content(x) + b L_style(x) + t L_tv(x)

where c is the content image, s the style image (several styles: their Grams averaged with the blend
weights), and (a, b, t) the content, style and TV weights. With equal layer weights w_l = 1/|S| and
a = 1e4, b = 1e-2, t = 30 this is the tutorial's loss. Reported losses are the weighted terms.
For the offline VGG16 backbone b is multiplied by its calibration `Backbone.style_gain` (1 for VGG19).
"""

from __future__ import annotations

import tensorflow as tf

from .events import Losses  # noqa: F401  (the weighted terms; defined with the other events)


def gram_matrix(features: tf.Tensor) -> tf.Tensor:
    """(B, H, W, C) activations -> (B, C, C) Gram matrices divided by the number of locations H*W."""
    gram = tf.linalg.einsum("bijc,bijd->bcd", features, features)
    locations = tf.cast(tf.shape(features)[1] * tf.shape(features)[2], features.dtype)
    return gram / locations


def content_loss(features: list[tf.Tensor], targets: list[tf.Tensor]) -> tf.Tensor:
    """Mean over layers of the mean squared activation difference."""
    return tf.add_n([tf.reduce_mean(tf.square(f - t)) for f, t in zip(features, targets)]) / len(features)


def style_loss(features: list[tf.Tensor], target_grams: list[tf.Tensor], layer_weights: tuple[float, ...]) -> tf.Tensor:
    """Weighted sum over layers of the mean squared Gram difference (weights sum to 1)."""
    return tf.add_n(
        [w * tf.reduce_mean(tf.square(gram_matrix(f) - g)) for f, g, w in zip(features, target_grams, layer_weights)]
    )


def total_variation(image: tf.Tensor) -> tf.Tensor:
    """Sum of absolute differences between neighbouring pixels (as tf.image.total_variation)."""
    return tf.reduce_sum(tf.image.total_variation(image))
