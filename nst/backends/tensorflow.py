"""TensorFlow: the gradient by `tf.GradientTape`, steps compiled by `tf.function`."""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

from . import Device, LossFunction


class TensorFlow:
    name = "tensorflow"
    label = f"TensorFlow {tf.__version__}"

    def value_and_grad(self, loss: LossFunction) -> Callable:
        def run(image, *args):
            with tf.GradientTape() as tape:
                tape.watch(image)
                total, aux = loss(image, *args)
            return (total, aux), tape.gradient(total, image)

        return run

    def compile(self, function: Callable) -> Callable:
        return tf.function(function)

    def device(self) -> Device:
        gpus = tf.config.list_physical_devices("GPU")
        if not gpus:
            return Device("cpu")
        details = tf.config.experimental.get_device_details(gpus[0])
        capability = tuple(details.get("compute_capability", (0, 0)))
        return Device("gpu", details.get("device_name", ""), capability >= (8, 0))


BACKEND = TensorFlow()
