"""The backend parity set: small runs that together use every loss term, optimiser, start image and
precision, run on whichever Keras backend this process has (KERAS_BACKEND).

    KERAS_BACKEND=jax python -m tests.harness.parity OUT.npz

writes, per case, the loss history (total and every term) and the final image, and the backend's
description; tests/engine/test_backends.py runs it under each backend and compares.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import numpy as np

from .paths import ASSETS

SIZE = 64


@dataclass(frozen=True)
class Case:
    name: str
    settings: dict
    styles: int = 1  # how many paintings (blended, or by region with `segments`)
    previous: bool = False  # a video frame: the temporal term against a warped previous frame
    extra: dict = field(default_factory=dict)


CASES = (
    Case("adam, noise start, tutorial objective, L1 TV, edges",
         dict(optimizer="adam", init="noise", objective="tutorial", tv_smoothing=0.0, edge_weight=1e4, steps=6)),
    Case("sgd, content start, saliency, smooth TV",
         dict(optimizer="sgd", init="content", saliency=1.0, tv_smoothing=0.05, steps=6, learning_rate=1e-7)),
    Case("lbfgs, palette start, two paintings by region",
         dict(optimizer="lbfgs", init="palette", segments=2, steps=6), styles=2),
    Case("lbfgs-adam, instant start, bfloat16",
         dict(optimizer="lbfgs-adam", init="instant", precision="bfloat16", steps=8)),
    Case("adam, style start, two paintings blended, video frame",
         dict(optimizer="adam", init="style", temporal_weight=200.0, steps=5, style_blend=(0.7, 0.3)),
         styles=2, previous=True),
)


def run_case(case: Case) -> dict[str, np.ndarray]:
    """One case's losses (steps x [total, terms in name order]), term names and final image."""
    from nst import Finished, Settings, load_image, stylise

    content = load_image(ASSETS / "content" / "astronaut.jpg", SIZE)
    styles = [ASSETS / "styles" / name for name in ("great_wave.jpg", "cherry_tree.jpg")][: case.styles]
    previous = None
    if case.previous:  # as if the previous frame were the photo moved 3 px, reliable everywhere but a stripe
        mask = np.ones(content.shape[:2], np.float32)
        mask[:, :3] = 0.0
        previous = (np.roll(content, 3, axis=1), mask)
    # float32 unless the case says bfloat16 ('auto' would pick bfloat16 on a CPU that has it)
    settings = Settings(size=SIZE, weights="offline", scales=0, seed=3, **{"precision": "float32", **case.settings})
    result = next(e for e in stylise(content, styles if case.styles > 1 else styles[0], settings, previous=previous)
                  if isinstance(e, Finished))
    names = sorted(result.history[0].terms)
    losses = np.array([[h.total, *(h.terms[n] for n in names)] for h in result.history], np.float64)
    return {"losses": losses, "names": np.array(names), "image": result.image, "reason": np.array(result.reason),
            "network": np.array(result.network)}


def main(path: str) -> None:
    results = {}
    for index, case in enumerate(CASES):
        for key, value in run_case(case).items():
            results[f"{index}/{key}"] = value
    np.savez(path, **results)


if __name__ == "__main__":
    main(sys.argv[1])
