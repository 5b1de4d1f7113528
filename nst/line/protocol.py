"""The messages between the line and its workers: small frozen dataclasses, matched by type.

    line -> worker   Warm(weights)              build that network now, not at the first run
                     Run(job_id, task, settings) a task: Paint, PaintClip or Inspect
                     Stop(job_id)               cancel between steps, keep the image so far
    worker -> line   Ready(pid), Network(weights, layers, description, compute), Warmed(weights),
                     Started(job_id), Emitted(job_id, event), Download(job_id, done, total),
                     Failed(job_id, message), Done(job_id, networks_built, memory_mb)

A local worker process (nst/line/process.py) receives them pickled on its stdin and answers on its
stdout; a Ray actor (nst/line/actors.py) takes a request and streams its replies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..images import ImageSource
from ..settings import Settings


@dataclass(frozen=True)
class Paint:
    """Paint `content` in the style of `style` (one painting or a blend), by regions if `masks`."""

    content: ImageSource
    style: ImageSource | Sequence[ImageSource]
    masks: Sequence[ImageSource] | None = None


@dataclass(frozen=True)
class PaintClip:
    """Paint a clip (its frames [start, end) if `span`: a chunk), decoded in the worker within `limits`."""

    clip: bytes
    style: ImageSource | Sequence[ImageSource]
    mode: str
    limits: Any  # nst/clips.py's ClipLimits
    span: tuple[int, int] | None = None


@dataclass(frozen=True)
class Inspect:
    """What every layer sees in each image (by name), for the Inside page."""

    images: dict[str, ImageSource]


Task = Paint | PaintClip | Inspect


@dataclass(frozen=True)
class Warm:
    weights: str


@dataclass(frozen=True)
class Run:
    job_id: int
    task: Task
    settings: Settings


@dataclass(frozen=True)
class Stop:
    job_id: int


Request = Warm | Run | Stop


@dataclass(frozen=True)
class Ready:
    pid: int


@dataclass(frozen=True)
class Network:
    """What a worker built for `weights`: its layers and a description (the offline VGG16, say)."""

    weights: str
    layers: tuple[str, ...]
    description: str
    compute: str = ""  # the Keras backend and device, e.g. "JAX 0.10.2 on GPU (NVIDIA H100)"


@dataclass(frozen=True)
class Warmed:
    weights: str


@dataclass(frozen=True)
class Started:
    job_id: int


@dataclass(frozen=True)
class Emitted:
    """One of the engine's events (nst/events.py) for the job."""

    job_id: int
    event: Any


@dataclass(frozen=True)
class Download:
    job_id: int
    done: int
    total: int


@dataclass(frozen=True)
class Failed:
    job_id: int
    message: str


@dataclass(frozen=True)
class Done:
    job_id: int
    networks_built: int
    memory_mb: float = 0.0  # the worker's resident memory after the run (0: not known)


Reply = Ready | Network | Warmed | Started | Emitted | Download | Failed | Done
