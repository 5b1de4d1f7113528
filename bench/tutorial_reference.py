"""A faithful re-implementation of the TensorFlow tutorial "Neural style transfer" training loop.

Written from the tutorial's description (not copied): a VGG model returning the style and content
layer outputs, the image fed as `preprocess_input(image * 255)`, Gram matrices divided by the number
of locations, loss = style_weight * mean-over-layers MSE(Grams) + content_weight * MSE(content)
+ tv_weight * tf.image.total_variation, Adam(0.02, beta_1=0.99, epsilon=0.1), clip to [0, 1].
It takes the network from our backbone so both sides run the same weights.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

STYLE_LAYERS = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"]
CONTENT_LAYERS = ["block5_conv2"]


class TutorialLoop:
    def __init__(self, network: keras.Model, content: np.ndarray, style: np.ndarray,
                 style_weight: float = 1e-2, content_weight: float = 1e4, tv_weight: float = 30.0):
        outputs = [network.get_layer(name).output for name in STYLE_LAYERS + CONTENT_LAYERS]
        self.vgg = keras.Model(network.inputs, outputs)
        self.vgg.trainable = False
        self.weights = (style_weight, content_weight, tv_weight)
        self.style_targets = self.extract(tf.constant(style[None]))[0]
        self.content_targets = self.extract(tf.constant(content[None]))[1]
        self.image = tf.Variable(content[None])
        self.opt = keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)
        self.train_step = tf.function(self._train_step)

    def extract(self, inputs):
        preprocessed = keras.applications.vgg19.preprocess_input(inputs * 255.0)
        outputs = self.vgg(preprocessed)
        style_outputs = [self.gram(o) for o in outputs[: len(STYLE_LAYERS)]]
        return style_outputs, outputs[len(STYLE_LAYERS):]

    @staticmethod
    def gram(x):
        result = tf.linalg.einsum("bijc,bijd->bcd", x, x)
        shape = tf.shape(x)
        return result / tf.cast(shape[1] * shape[2], tf.float32)

    def loss(self, image):
        style_weight, content_weight, tv_weight = self.weights
        style_outputs, content_outputs = self.extract(image)
        style_loss = tf.add_n([tf.reduce_mean((o - t) ** 2) for o, t in zip(style_outputs, self.style_targets)])
        content_loss = tf.add_n([tf.reduce_mean((o - t) ** 2) for o, t in zip(content_outputs, self.content_targets)])
        loss = style_loss * style_weight / len(STYLE_LAYERS) + content_loss * content_weight / len(CONTENT_LAYERS)
        return loss + tv_weight * tf.image.total_variation(image)

    def _train_step(self):
        with tf.GradientTape() as tape:
            loss = self.loss(self.image)
        grad = tape.gradient(loss, self.image)
        self.opt.apply_gradients([(grad, self.image)])
        self.image.assign(tf.clip_by_value(self.image, 0.0, 1.0))
        return loss
