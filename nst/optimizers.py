"""The optimisers of the pixels: L-BFGS (Gatys et al.'s), Adam (the TF tutorial's, and the finish of
'lbfgs-adam', whose rate warms up) and SGD (the Keras example's), each as one step function over a
tf.Variable image."""

from __future__ import annotations

from collections.abc import Callable

import keras
import tensorflow as tf

from .objective import Objective
from .settings import DEFAULT_LEARNING_RATES, Settings


def make_optimizer(settings: Settings) -> keras.optimizers.Optimizer:
    """Adam as in the TF tutorial (lbfgs-adam's finish: less momentum), or SGD with momentum and decay
    as in the Keras example."""
    if settings.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=settings.lr, beta_1=0.99, epsilon=0.1)
    if settings.optimizer == "lbfgs-adam":  # after L-BFGS: warmed up, so as not to undo its work (schedules.py)
        return keras.optimizers.Adam(learning_rate=WarmUp(settings.lr), beta_1=0.9, epsilon=0.1)
    schedule = keras.optimizers.schedules.ExponentialDecay(settings.lr, decay_steps=100, decay_rate=0.96)
    return keras.optimizers.SGD(learning_rate=schedule, momentum=0.9)


def make_step(objective: Objective, settings: Settings, image: tf.Variable, optimizer: str) -> Callable:
    """One `optimizer` step on `image`: returns ((total, terms) before the step, whether the image is finite)."""
    if optimizer == "lbfgs":
        max_step = settings.lr if settings.optimizer == "lbfgs" else DEFAULT_LEARNING_RATES["lbfgs"]
        return LBFGS(objective, image, max_step=max_step)
    optimizer = make_optimizer(settings)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            total, terms = objective(image)
        gradient = tape.gradient(total, image)
        optimizer.apply_gradients([(gradient, image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
        return (total, terms), tf.reduce_all(tf.math.is_finite(image))

    return step


class LBFGS:
    """Limited-memory BFGS on the pixels, the optimiser of Gatys et al.

    Each step is the quasi-Newton direction from the last `memory` (step, gradient change) pairs,
    scaled down if any pixel would move more than `max_step`, then projected onto [0, 1]; pixels held
    at a bound drop out of the gradient (a projected L-BFGS). A step that raised the loss is undone,
    the memory cleared and `max_step` halved.
    """

    def __init__(self, objective: Objective, image: tf.Variable, max_step: float, memory: int = 10):
        self.image, self.max_step, self.memory = image, max_step, memory
        self.pairs: list[tuple[tf.Tensor, tf.Tensor, tf.Tensor]] = []  # (s, y, 1 / s.y)
        self.previous: tuple[tf.Tensor, tf.Tensor, float] | None = None  # (x, gradient, loss)

        @tf.function
        def evaluate():
            with tf.GradientTape() as tape:
                total, terms = objective(image)
            return (total, terms), tape.gradient(total, image)

        self.evaluate = evaluate

    def __call__(self):
        losses, gradient = self.evaluate()
        x, loss = tf.identity(self.image), float(losses[0])
        # pixels held at 0 or 1 by the projection: their outward gradient would only distort the curvature
        pinned = ((x <= 0.0) & (gradient > 0.0)) | ((x >= 1.0) & (gradient < 0.0))
        gradient = tf.where(pinned, tf.zeros_like(gradient), gradient)
        if self.previous is not None:
            x_prev, g_prev, loss_prev = self.previous
            if not loss <= loss_prev:  # overshot (or not finite): return to the last point, forget curvature
                x, gradient, loss = x_prev, g_prev, loss_prev
                self.pairs.clear()
                self.max_step /= 2
            else:
                s, y = x - x_prev, gradient - g_prev
                sy = tf.reduce_sum(s * y)
                if sy > 1e-10:
                    self.pairs = [*self.pairs[-(self.memory - 1):], (s, y, 1.0 / sy)]
        direction = self._direction(gradient)
        largest = tf.reduce_max(tf.abs(direction))
        direction *= tf.minimum(1.0, self.max_step / (largest + 1e-12))
        self.previous = (x, gradient, loss)
        self.image.assign(tf.clip_by_value(x + direction, 0.0, 1.0))
        return losses, tf.reduce_all(tf.math.is_finite(self.image))

    def _direction(self, gradient: tf.Tensor) -> tf.Tensor:
        """-H g by the two-loop recursion; plain steepest descent while the memory is empty."""
        if not self.pairs:
            return -gradient
        q, alphas = gradient, []
        for s, y, rho in reversed(self.pairs):
            alpha = rho * tf.reduce_sum(s * q)
            q -= alpha * y
            alphas.append(alpha)
        s, y, _ = self.pairs[-1]
        r = q * tf.reduce_sum(s * y) / tf.reduce_sum(y * y)
        for (s, y, rho), alpha in zip(self.pairs, reversed(alphas)):
            r += s * (alpha - rho * tf.reduce_sum(y * r))
        return -r


ADAM_WARM_UP_STEPS = 10


class WarmUp(keras.optimizers.schedules.LearningRateSchedule):
    """The learning rate rising linearly to `rate` over the first `steps` steps, then constant.

    Adam's first steps are nearly sign-sized (its moments are still empty): at the full rate every
    pixel would move by the rate at once, which throws the image that L-BFGS left near a minimum out
    of it (the style loss jumped 20x at the switch). Rising to the rate keeps the finish smooth.
    """

    def __init__(self, rate: float, steps: int = ADAM_WARM_UP_STEPS):
        self.rate, self.steps = float(rate), int(steps)

    def __call__(self, step):
        fraction = keras.ops.minimum(1.0, (keras.ops.cast(step, "float32") + 1.0) / self.steps)
        return self.rate * fraction

    def get_config(self) -> dict:
        return {"rate": self.rate, "steps": self.steps}
