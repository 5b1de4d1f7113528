"""PyTorch: the gradient by `torch.autograd`, steps run eagerly (on CUDA or Apple's MPS when present)."""

from __future__ import annotations

from collections.abc import Callable

import keras
import torch

from . import Device, LossFunction


class PyTorch:
    name = "torch"
    label = f"PyTorch {torch.__version__.split('+')[0]}"

    def value_and_grad(self, loss: LossFunction) -> Callable:
        def run(image, *args):
            image = image.detach().requires_grad_(True)
            with torch.enable_grad():
                total, aux = loss(image, *args)
                (gradient,) = torch.autograd.grad(total, image)
            return (total.detach(), _detached(aux)), gradient

        return run

    def compile(self, function: Callable) -> Callable:
        def run(*args):
            with torch.no_grad():
                return function(*args)

        return run

    def device(self) -> Device:
        where = str(keras.src.backend.torch.core.get_device())
        if where.startswith("cuda"):
            major, _ = torch.cuda.get_device_capability()
            return Device("gpu", torch.cuda.get_device_name(), major >= 8)
        if where.startswith("mps"):
            return Device("mps", "Apple")
        return Device("cpu")


def _detached(tree):
    if isinstance(tree, dict):
        return {k: _detached(v) for k, v in tree.items()}
    return tree.detach() if isinstance(tree, torch.Tensor) else tree


BACKEND = PyTorch()
