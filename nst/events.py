"""What a run reports: plain data (NumPy arrays and floats), no TensorFlow.

The engine yields these events, the worker process pickles them to the studio, and the CLI, the
tests and the benchmarks read them, so this module imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Losses:
    """The objective at one step: its total and each weighted term by name (nst/losses.py), in the
    objective's order: 'content', 'style', 'tv', then any optional terms in use (e.g. 'edge')."""

    total: float
    terms: dict[str, float]

    def __getitem__(self, name: str) -> float:
        return self.terms[name]

    @staticmethod
    def names(history: Sequence[Losses]) -> list[str]:
        """The term names of a run's history (the same at every step)."""
        return list(history[0].terms) if history else []


@dataclass(frozen=True)
class Notice:
    """A message for the user, e.g. that the offline backbone replaced ImageNet weights."""

    text: str


@dataclass(frozen=True)
class Preview:
    """The image a run starts from (at the output's size), before its first step."""

    image: np.ndarray
    elapsed: float


@dataclass(frozen=True)
class Step:
    """Progress after one optimisation step; `losses` were measured on the image before the step."""

    step: int
    steps: int
    losses: Losses
    elapsed: float
    preview: np.ndarray | None = None
    shape: tuple[int, int] = (0, 0)  # (height, width) of the scale this step ran at
    work: float = 0.0  # fraction of the run's compute done (nst/schedules.py's step_cost), for progress and ETAs


@dataclass(frozen=True)
class Finished:
    """The end of a run. `reason` is 'completed', 'cancelled', 'diverged' or, from the run line
    (nst/line/), 'failed': its worker ended, and the last preview is the image. `content` is the
    photo at the output's size (for before/after views and colour tools, so nobody loads it again)."""

    image: np.ndarray
    content: np.ndarray
    reason: str
    message: str
    steps_done: int
    elapsed: float
    history: list[Losses] = field(default_factory=list)
    snapshots: list[tuple[int, np.ndarray]] = field(default_factory=list)
    sizes: list[tuple[int, tuple[int, int]]] = field(default_factory=list)  # (first step, (height, width)) per size
    network: str = ""  # the network that actually ran, e.g. after a fallback to the offline backbone
    weights: str = ""  # its weight source (Settings.weights): 'offline' after such a fallback


@dataclass(frozen=True)
class FrameDone:
    """A video frame painted (nst/video.py): its index (from 0), the clip's frame count, the image."""

    frame: int
    frames: int
    image: np.ndarray
    elapsed: float


@dataclass(frozen=True)
class ClipFinished:
    """The end of a clip: the painted frames (all, or those done before a stop), the frame rate,
    why it ended ('completed' or 'cancelled') and how much it flickers (nst/flow.py's warping error,
    the mean over frames; None for one frame)."""

    frames: list[np.ndarray]
    fps: float
    reason: str
    message: str
    elapsed: float
    warping_error: float | None = None


@dataclass(frozen=True)
class LayerView:
    """One layer's response to one image."""

    name: str
    shape: tuple[int, int, int]  # (height, width, channels) of its activations
    channels: tuple[int, ...]  # the strongest channels (largest mean activation), strongest first
    maps: np.ndarray  # (len(channels), height, width) uint8: each channel scaled to its own maximum
    # blockN_conv1 only: the Gram matrix (per location) over the reference image's strongest channels
    gram: np.ndarray | None = None  # (k, k) float32, rows and columns in `gram_channels` order
    gram_channels: tuple[int, ...] = ()
    gram_distance: float | None = None  # the whole matrix's distance to the reference's (nst/inside.py)


@dataclass(frozen=True)
class Inspection:
    """Every convolution's view of each image, by image name and then layer name, in network order."""

    network: str  # the network that actually ran (its description)
    views: dict[str, dict[str, LayerView]]


Event = Notice | Preview | Step | Finished
