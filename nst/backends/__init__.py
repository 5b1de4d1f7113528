"""Which Keras backend computes the engine's gradients, and on which device.

The engine is written in `keras.ops`, so TensorFlow (the default, and what Streamlit Community Cloud
installs), JAX and PyTorch all run it. Keras picks its backend once per process, from the
`KERAS_BACKEND` environment variable or `~/.keras/keras.json`; `check` says in one sentence when the
one asked for cannot run here, before Keras is imported. The only per-backend piece is `Backend`:
the loss and its gradient with respect to the image, the compiler of a step, and the device.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..errors import NSTError

DEFAULT = "tensorflow"
# Keras's name -> (the module it needs, the name people know, how to install it)
SUPPORTED = {
    "tensorflow": ("tensorflow", "TensorFlow", "pip install -r requirements.txt"),
    "jax": ("jax", "JAX", 'pip install "jax[cpu]" (or "jax[cuda12]" for an NVIDIA GPU)'),
    "torch": ("torch", "PyTorch", "pip install torch (see pytorch.org for your GPU)"),
}

LossFunction = Callable[..., tuple[Any, Any]]  # (image, *arguments) -> (total, anything else)


@dataclass(frozen=True)
class Device:
    """Where a backend computes: 'cpu', 'gpu' (CUDA) or 'mps' (Apple), with the card's name."""

    kind: str
    name: str = ""
    bfloat16: bool = False  # native bfloat16 arithmetic on this accelerator (the CPU's is read from its flags)

    def __str__(self) -> str:
        return "CPU" if self.kind == "cpu" else f"{self.kind.upper()} ({self.name})" if self.name else self.kind.upper()


class Backend(Protocol):
    """What differs between Keras backends for the engine."""

    name: str  # Keras's name: tensorflow, jax or torch
    label: str  # with its version, e.g. "JAX 0.10.2"

    def value_and_grad(self, loss: LossFunction) -> Callable[..., tuple[tuple[Any, Any], Any]]:
        """`loss`(image, *args) -> (total, aux) turned into (image, *args) -> ((total, aux), d total / d image)."""

    def compile(self, function: Callable) -> Callable:
        """`function` compiled for repeated calls with tensors of the same shapes (or itself)."""

    def device(self) -> Device:
        """The device tensors are computed on."""


def requested() -> str:
    """The backend Keras will load: KERAS_BACKEND, else the one in Keras's config file, else TensorFlow."""
    name = os.environ.get("KERAS_BACKEND")
    if name:
        return name.strip().lower()
    config = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser() / "keras.json"
    try:
        return str(json.loads(config.read_text()).get("backend", DEFAULT)).lower()
    except (OSError, ValueError, AttributeError):
        return DEFAULT


def check() -> str:
    """The requested backend's name, or an NSTError saying why it cannot run here (before Keras loads)."""
    name = requested()
    if name not in SUPPORTED:
        names = ", ".join(SUPPORTED)
        raise NSTError(f"KERAS_BACKEND={name} is not one the engine runs on (it needs gradients): use one of {names}.")
    module, label, install = SUPPORTED[name]
    if importlib.util.find_spec(module) is None:
        raise NSTError(f"KERAS_BACKEND={name} but {label} is not installed: {install}.")
    return name


def current() -> Backend:
    """The backend Keras runs on in this process."""
    import keras

    return importlib.import_module(f".{keras.backend.backend()}", __name__).BACKEND


def describe() -> str:
    """The backend and device, e.g. 'TensorFlow 2.21.0 on CPU', for the studio, the CLI and the settings."""
    backend = current()
    return f"{backend.label} on {backend.device()}"
