"""The optimisers of the pixels: L-BFGS (Gatys et al.'s), Adam (the TF tutorial's, and the finish of
'lbfgs-adam', whose rate warms up) and SGD (the Keras example's), in `keras.ops` on any backend.

Adam and SGD are update rules inside one compiled step (loss, gradient, update, clip to [0, 1]);
L-BFGS compiles the loss and gradient and takes its quasi-Newton step outside. A compiled function is
kept per objective layout and rule (`Objective.layout`) and takes the run's targets as arguments, so
a later run of the same layout reuses it: no tracing or compiling per run, and no memory that grows
with every run (a step that closed over each run's targets was traced again each run).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from keras import ops

from . import backends
from .losses import Tensor
from .objective import Objective
from .settings import DEFAULT_LEARNING_RATES, Settings

ADAM_BETA_2, ADAM_EPSILON = 0.999, 0.1  # Keras' beta_2; the tutorial's epsilon
ADAM_WARM_UP_STEPS = 10
SGD_MOMENTUM, SGD_DECAY, SGD_DECAY_STEPS = 0.9, 0.96, 100  # the Keras example's schedule
PROGRAMS_KEPT = 8  # compiled functions kept per process (a few layouts and sizes in a studio)


@dataclass(frozen=True)
class Adam:
    """Adam as Keras computes it. `warm_up`: the rate rises linearly over the first ADAM_WARM_UP_STEPS
    steps; lbfgs-adam's finish, whose first near sign-sized steps at the full rate would throw the
    image that L-BFGS left near a minimum out of it (the style loss jumped 20x at the switch)."""

    beta_1: float
    warm_up: bool = False

    def start(self, image: Tensor) -> tuple[Tensor, ...]:
        return ops.zeros_like(image), ops.zeros_like(image), ops.convert_to_tensor(np.float32(0))

    def update(self, image: Tensor, gradient: Tensor, state: tuple, rate: Tensor) -> tuple[Tensor, tuple]:
        m, v, done = state
        if self.warm_up:
            rate = rate * ops.minimum(1.0, (done + 1.0) / ADAM_WARM_UP_STEPS)
        t = done + 1.0
        m = m + (gradient - m) * (1.0 - self.beta_1)
        v = v + (ops.square(gradient) - v) * (1.0 - ADAM_BETA_2)
        alpha = rate * ops.sqrt(1.0 - ops.power(ADAM_BETA_2, t)) / (1.0 - ops.power(self.beta_1, t))
        return image - m * alpha / (ops.sqrt(v) + ADAM_EPSILON), (m, v, t)


@dataclass(frozen=True)
class SGD:
    """SGD with momentum, the rate decaying by SGD_DECAY every SGD_DECAY_STEPS steps (smoothly)."""

    def start(self, image: Tensor) -> tuple[Tensor, ...]:
        return ops.zeros_like(image), ops.convert_to_tensor(np.float32(0))

    def update(self, image: Tensor, gradient: Tensor, state: tuple, rate: Tensor) -> tuple[Tensor, tuple]:
        velocity, done = state
        velocity = SGD_MOMENTUM * velocity - rate * ops.power(SGD_DECAY, done / SGD_DECAY_STEPS) * gradient
        return image + velocity, (velocity, done + 1.0)


RULES = {"adam": Adam(beta_1=0.99), "lbfgs-adam": Adam(beta_1=0.9, warm_up=True), "sgd": SGD()}
_programs: OrderedDict[tuple, Callable] = OrderedDict()


def _program(key: tuple, build: Callable[[], Callable]) -> Callable:
    """The compiled function for `key`, built on first use; the least recently used is dropped."""
    if key not in _programs:
        _programs[key] = build()
        while len(_programs) > PROGRAMS_KEPT:
            _programs.popitem(last=False)
    _programs.move_to_end(key)
    return _programs[key]


class Stepper:
    """Adam or SGD steps on an image: each call makes one and returns ((total, terms) before it,
    whether the image is still finite); `image()` is the image now, as a (H, W, 3) array."""

    def __init__(self, objective: Objective, rule: Adam | SGD, start: np.ndarray, rate: float):
        backend = backends.current()
        self.arguments = objective.arguments()
        self.rate = ops.convert_to_tensor(np.float32(rate))
        self.x = ops.convert_to_tensor(start[None], "float32")
        self.state = rule.start(self.x)

        def build() -> Callable:
            value_and_grad = backend.value_and_grad(objective.loss)

            def step(image, state, rate, targets, weights, network):
                (loss, terms), gradient = value_and_grad(image, targets, weights, network)
                image, state = rule.update(image, gradient, state, rate)
                image = ops.clip(image, 0.0, 1.0)
                return image, state, loss, terms, ops.all(ops.isfinite(image))

            return backend.compile(step)

        self.step = _program((backend.name, objective.layout, rule), build)

    def __call__(self) -> tuple[tuple[Tensor, dict[str, Tensor]], Any]:
        self.x, self.state, loss, terms, finite = self.step(self.x, self.state, self.rate, *self.arguments)
        return (loss, terms), finite

    def image(self) -> np.ndarray:
        return np.array(ops.convert_to_numpy(self.x)[0])


def make_step(objective: Objective, settings: Settings, start: np.ndarray, optimizer: str) -> Stepper | LBFGS:
    """`optimizer`'s steps on `start` ((H, W, 3) in [0, 1]): Adam as in the TF tutorial (lbfgs-adam's
    finish: less momentum, a warm-up), SGD with momentum and decay as in the Keras example, or L-BFGS."""
    if optimizer == "lbfgs":
        max_step = settings.lr if settings.optimizer == "lbfgs" else DEFAULT_LEARNING_RATES["lbfgs"]
        return LBFGS(objective, start, max_step=max_step)
    return Stepper(objective, RULES[settings.optimizer], start, settings.lr)


class LBFGS:
    """Limited-memory BFGS on the pixels, the optimiser of Gatys et al.

    Each step is the quasi-Newton direction from the last `memory` (step, gradient change) pairs,
    scaled down if any pixel would move more than `max_step`, then projected onto [0, 1]; pixels held
    at a bound drop out of the gradient (a projected L-BFGS). A step that raised the loss is undone,
    the memory cleared and `max_step` halved.
    """

    def __init__(self, objective: Objective | Callable, start: np.ndarray, max_step: float, memory: int = 10):
        self.max_step, self.memory = max_step, memory
        self.x = ops.convert_to_tensor(start[None], "float32")
        self.pairs: list[tuple[Tensor, Tensor, Tensor]] = []  # (s, y, 1 / s.y)
        self.previous: tuple[Tensor, Tensor, float] | None = None  # (x, gradient, loss)
        backend = backends.current()
        if isinstance(objective, Objective):
            self.arguments = objective.arguments()
            self.evaluate = _program((backend.name, objective.layout, "lbfgs"),
                                     lambda: backend.compile(backend.value_and_grad(objective.loss)))
        else:  # any function of the image alone (tests), uncompiled
            self.arguments, self.evaluate = (), backend.value_and_grad(objective)

    def __call__(self):
        losses, gradient = self.evaluate(self.x, *self.arguments)
        x, loss = self.x, float(losses[0])
        # pixels held at 0 or 1 by the projection: their outward gradient would only distort the curvature
        pinned = ops.logical_or(ops.logical_and(x <= 0.0, gradient > 0.0), ops.logical_and(x >= 1.0, gradient < 0.0))
        gradient = ops.where(pinned, ops.zeros_like(gradient), gradient)
        if self.previous is not None:
            x_prev, g_prev, loss_prev = self.previous
            if not loss <= loss_prev:  # overshot (or not finite): return to the last point, forget curvature
                x, gradient, loss = x_prev, g_prev, loss_prev
                self.pairs.clear()
                self.max_step /= 2
            else:
                s, y = x - x_prev, gradient - g_prev
                sy = float(ops.sum(s * y))
                if sy > 1e-10:
                    self.pairs = [*self.pairs[-(self.memory - 1):], (s, y, 1.0 / sy)]
        direction = self._direction(gradient)
        largest = float(ops.max(ops.abs(direction)))
        direction = direction * min(1.0, self.max_step / (largest + 1e-12))
        self.previous = (x, gradient, loss)
        self.x = ops.clip(x + direction, 0.0, 1.0)
        return losses, ops.all(ops.isfinite(self.x))

    def image(self) -> np.ndarray:
        return np.array(ops.convert_to_numpy(self.x)[0])

    def _direction(self, gradient: Tensor) -> Tensor:
        """-H g by the two-loop recursion; plain steepest descent while the memory is empty."""
        if not self.pairs:
            return -gradient
        q, alphas = gradient, []
        for s, y, rho in reversed(self.pairs):
            alpha = rho * ops.sum(s * q)
            q = q - alpha * y
            alphas.append(alpha)
        s, y, _ = self.pairs[-1]
        r = q * ops.sum(s * y) / ops.sum(y * y)
        for (s, y, rho), alpha in zip(self.pairs, reversed(alphas)):
            r = r + s * (alpha - rho * ops.sum(y * r))
        return -r
