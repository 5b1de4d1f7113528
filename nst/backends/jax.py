"""JAX: the gradient by `jax.value_and_grad`, steps compiled by `jax.jit` (XLA)."""

from __future__ import annotations

from collections.abc import Callable

import jax

from . import Device, LossFunction


class JAX:
    name = "jax"
    label = f"JAX {jax.__version__}"

    def value_and_grad(self, loss: LossFunction) -> Callable:
        return jax.value_and_grad(loss, has_aux=True)

    def compile(self, function: Callable) -> Callable:
        return jax.jit(function)

    def device(self) -> Device:
        device = jax.devices()[0]
        if device.platform == "cpu":
            return Device("cpu")
        capability = getattr(device, "compute_capability", "0.0")  # "9.0" on an H100
        major = int(str(capability).split(".")[0] or 0)
        return Device("gpu" if device.platform in ("gpu", "cuda", "rocm") else device.platform,
                      device.device_kind, major >= 8)


BACKEND = JAX()
