"""How a run spends its steps: the sizes of a coarse-to-fine run, the optimiser of each phase, and
what a step costs (for progress bars and the time left)."""

from __future__ import annotations

from .images import MIN_SIDE
from .settings import Settings

# 'lbfgs-adam' (see phase_plan): shares of the steps spent on the coarse sizes and on the Adam finish
COARSE_SHARE, FINISH_SHARE = 1 / 3, 0.7
COARSE_MAX_STEPS, FULL_LBFGS_MAX_STEPS = 60, 40


# the instant start (see painterly_plan): halvings of the working size per stroke size, and the full-size finish
STROKE_HALVINGS = {"fine": 0, "medium": 1, "large": 2}
FINISH_FULL_SHARE, FINISH_FULL_MIN = 0.12, 3


def painterly(settings: Settings) -> bool:
    """Whether the run works at one size set by its stroke size and finishes at full size: an instant
    start with automatic scales (the instant picture lays out the whole picture at any size)."""
    return settings.scales == 0 and settings.init.startswith("instant")


def scale_sizes(settings: Settings, shape: tuple[int, int]) -> list[tuple[int, int]]:
    """(height, width) of each scale, coarsest first, each twice the previous, ending at `shape`; for
    a painterly run, the working size (if smaller than `shape` and not under MIN_SIDE) and `shape`."""
    if painterly(settings):
        for halvings in range(STROKE_HALVINGS[settings.strokes], 0, -1):
            work = (round(shape[0] / 2**halvings), round(shape[1] / 2**halvings))
            if min(work) >= MIN_SIDE:
                return [work, shape]
        return [shape]
    sizes = []
    for k in range(settings.scale_count):
        scaled = (round(shape[0] / 2**k), round(shape[1] / 2**k))
        if min(scaled) < MIN_SIDE:
            break
        sizes.append(scaled)
    return sizes[::-1]


def scale_plan(settings: Settings, shape: tuple[int, int]) -> list[tuple[tuple[int, int], int]]:
    """(height, width) and step count of each scale, coarsest first, ending at the full `shape`.

    Each finer scale gets half as many steps as the previous one, so a coarse step, 4x cheaper, carries
    more of the work: with 3 scales the whole run costs about a quarter of the same number of full-size
    steps.
    """
    sizes = scale_sizes(settings, shape)
    shares = [2.0 ** (len(sizes) - 1 - i) for i in range(len(sizes))]
    counts = [int(settings.steps * share / sum(shares)) for share in shares]
    counts[-1] += settings.steps - sum(counts)
    return [(size, count) for size, count in zip(sizes, counts) if count > 0]


def phase_plan(settings: Settings, shape: tuple[int, int]) -> list[tuple[tuple[int, int], str, int]]:
    """(size, optimiser, steps) of each phase of a run.

    Every optimiser but 'lbfgs-adam' runs the scales of `scale_plan`. 'lbfgs-adam' spends COARSE_SHARE
    of the steps (at most COARSE_MAX_STEPS per size) on the coarse sizes, in equal parts, all with
    L-BFGS, and the rest on the full size, where L-BFGS starts (FINISH_SHARE of the steps there go to
    Adam, and at most FULL_LBFGS_MAX_STEPS to L-BFGS) and Adam finishes. L-BFGS nears a minimum fast
    but stalls on the corners of the total-variation term (a sum of absolute values, not smooth),
    where Adam's nearly sign-sized steps keep making progress; on a coarse size L-BFGS plateaus within
    about 60 steps, so longer runs put their extra steps into the Adam finish (BENCHMARKS.md).
    """
    if painterly(settings) and len(sizes := scale_sizes(settings, shape)) == 2:
        return painterly_plan(settings, *sizes)
    if settings.optimizer != "lbfgs-adam":
        return [(size, settings.optimizer, count) for size, count in scale_plan(settings, shape)]
    *coarse, full = scale_sizes(settings, shape)
    per_size = min(round(settings.steps * COARSE_SHARE / len(coarse)), COARSE_MAX_STEPS) if coarse else 0
    coarse_steps = [per_size] * len(coarse)
    full_steps = settings.steps - sum(coarse_steps)
    finish = max(round(full_steps * FINISH_SHARE), full_steps - FULL_LBFGS_MAX_STEPS)
    phases = [(size, "lbfgs", count) for size, count in zip(coarse, coarse_steps)]
    phases += [(full, "lbfgs", full_steps - finish), (full, "adam", finish)]
    return [phase for phase in phases if phase[2] > 0]


def painterly_plan(settings: Settings, work: tuple[int, int], full: tuple[int, int]) -> list[tuple[tuple[int, int], str, int]]:
    """Most steps at the working size `work`, where a step costs about a third (half the side) or a
    tenth of a full-size one and VGG's receptive fields span twice or four times as much of the
    picture (the painting's big strokes), then FINISH_FULL_SHARE of them (at least FINISH_FULL_MIN)
    at full size, which lays the fine strokes over the big ones and sharpens the subject without
    laying the picture out again. 'lbfgs-adam' splits the working steps as it does at one size and
    finishes with L-BFGS (crisper marks and the palette nearer in as many steps as Adam: BENCHMARKS.md)."""
    finish = min(settings.steps, max(FINISH_FULL_MIN, round(settings.steps * FINISH_FULL_SHARE)))
    working = settings.steps - finish
    if settings.optimizer == "lbfgs-adam":
        adam = max(round(working * FINISH_SHARE), working - FULL_LBFGS_MAX_STEPS)
        phases = [(work, "lbfgs", working - adam), (work, "adam", adam), (full, "lbfgs", finish)]
    else:
        phases = [(work, settings.optimizer, working), (full, settings.optimizer, finish)]
    return [phase for phase in phases if phase[2] > 0]


# a step's cost grows with its pixels plus a fixed part (the network's calls, the optimiser's bookkeeping),
# measured at 2.2e-5 s per pixel + 0.33 s on 2 AVX2 cores and 6.4e-6 s + 0.035 s with AVX-512: about
# 15,000 and 5,500 pixels' worth; counting it keeps a coarse-to-fine run's time left steady across sizes
STEP_OVERHEAD_PIXELS = 10_000


def step_cost(shape: tuple[int, int]) -> float:
    """A step's share of a run's compute at (height, width) `shape`, in pixel-equivalents."""
    return float(shape[0] * shape[1] + STEP_OVERHEAD_PIXELS)
