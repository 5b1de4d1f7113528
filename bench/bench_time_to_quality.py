"""Speed that generalises: the fast mode against the tutorial's loop on every benchmark pair, at equal quality.

    python -m bench.bench_time_to_quality --size 128                 # 8 pairs (67 min here with two --fast modes)
    python -m bench.bench_time_to_quality --size 256 --pairs 4       # the first 4 pairs (85 min here, two --fast)
    python -m bench.bench_time_to_quality --size 128 --fast lbfgs-adam:150 --fast lbfgs:150
    python -m bench.bench_time_to_quality --size 128 --fast lbfgs-adam:150:init=content   # other settings

For each pair of bench/bench_quality.py (offline VGG16, the default objective, float32 unless
--precision says otherwise):

1. Reference: the TF tutorial's loop (the engine's 'adam' optimiser: Adam 0.02, beta_1 0.99, epsilon
   0.1, one size, from the photo) for --reference-steps steps. Its final loss and its final quality numbers
   (nst/quality.py) are the targets.
2. Each --fast OPTIMIZER:STEPS[:FIELD=VALUE,...] run (default: the default fast mode; the fields change
   other settings, e.g. init=content), an image kept at every step and
   scored afterwards (outside the timed run) with the full-size objective and the quality numbers.

Two times per run, each as "how many times sooner than the reference":
- to the reference's final loss (if the run gets there; else its final loss over the target);
- to quality within 5% of the reference's final numbers: colour distance at most 5% above it,
  blockiness at most 5% (+0.01) above it, SSIM and edge correlation within 5% either way (more of the
  photo is less of the painting). The reference's own time is the first of its kept images
  (every --reference-every steps) that is within 5% of its final numbers, not its whole run.
- to quality at least as good (a second, one-sided reading): colour and blockiness as above, SSIM and
  edges at least 95% of the reference's (a run that keeps more of the photo's structure while matching
  the painting's colours as closely is not worse). The reference's time is again the first of its
  kept images that meets this against its own final numbers.

It prints each pair and the median over pairs, and writes bench/time_to_quality_<size>.json with every
kept image's step, seconds, loss and quality numbers, so other readings can be computed from it.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import numpy as np
import tensorflow as tf

from bench.bench_quality import PAIRS, painting, parse_changes, photo
from nst import Settings, Step, load_backbone, stylise
from nst.backbone import FeatureExtractor
from nst.images import resize_array
from nst.objective import Objective, objective_calibration
from nst.precision import resolve
from nst.quality import Quality, measure

HERE = Path(__file__).resolve().parent

TOLERANCE = 0.05


def outside(quality: Quality, target: Quality, one_sided: bool = False) -> list[str]:
    """The quality numbers that miss the target's (see the module docstring): within TOLERANCE, or with
    `one_sided` at least as good (SSIM and edges may be higher)."""
    def near(value: float, aim: float) -> bool:
        return value >= (1 - TOLERANCE) * aim if one_sided else abs(value - aim) <= TOLERANCE * abs(aim)

    checks = {
        "colour": quality.colour <= (1 + TOLERANCE) * target.colour,
        "blockiness": quality.blockiness <= (1 + TOLERANCE) * target.blockiness + 0.01,
        "ssim": near(quality.ssim, target.ssim),
        "edges": near(quality.edges, target.edges),
    }
    return [name for name, ok in checks.items() if not ok]


READINGS = {"quality": False, "at_least_as_good": True}  # name: one_sided; JSON keys NAME_seconds, NAME_speedup


def first(track: list[dict], target: Quality, one_sided: bool) -> dict | None:
    """The first kept image whose numbers meet the target."""
    return next((k for k in track if not outside(Quality(**k["quality"]), target, one_sided)), None)


def fast_mode(text: str) -> tuple[str, dict]:
    """'OPTIMIZER:STEPS[:FIELD=VALUE,...]' as (that text, the settings it changes)."""
    optimizer, steps, *rest = text.split(":")
    return text, {"optimizer": optimizer, "steps": int(steps), **parse_changes(",".join(rest))}


def timed_run(content, style, settings, backbone, every: int) -> tuple[list[float], list[np.ndarray], list[int]]:
    """Seconds after each step, and the images (at the output's size) of every `every`-th step."""
    stamps, images, steps = [], [], []
    for event in stylise(content, style, settings.replace(preview_every=every), backbone=backbone):
        if isinstance(event, Step):
            stamps.append(event.elapsed)
            if event.preview is not None:
                images.append(event.preview)
                steps.append(event.step)
    return stamps, images, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--reference-steps", type=int, default=1000)
    parser.add_argument("--reference-every", type=int, default=10)
    parser.add_argument("--fast", action="append", default=[],
                        help="OPTIMIZER:STEPS[:FIELD=VALUE,...] (default: the default fast mode)")
    parser.add_argument("--precision", default="float32")
    parser.add_argument("--pairs", type=int, default=len(PAIRS), help="the first N pairs")
    args = parser.parse_args()
    defaults = Settings()
    fast_modes = dict(fast_mode(text) for text in args.fast or [f"{defaults.optimizer}:{defaults.steps}"])
    backbone = load_backbone("offline")
    base = Settings(size=args.size, weights="offline", precision=args.precision)
    print(f"{args.size} px, {base.precision} ({resolve(base.precision)}), reference: {args.reference_steps} tutorial "
          f"Adam steps; fast: {', '.join(fast_modes)}", flush=True)
    extractor = FeatureExtractor(backbone, base.content_layers, base.style_layers)  # scores every pair's images
    results: dict[str, dict] = {}
    for content_name, style_name in PAIRS[: args.pairs]:
        content, style = photo(content_name, args.size), painting(style_name, args.size)
        calibration = objective_calibration(base, backbone, content.shape[:2], content.shape[:2])
        objective = Objective(extractor, content, [style], base, *calibration)

        def loss(image: np.ndarray) -> float:
            return float(objective(tf.constant(resize_array(image, content.shape[:2])[None]))[0])

        def track(run: Settings, every: int) -> list[dict]:
            stamps, images, steps = timed_run(content, style, run, backbone, every)
            return [{"step": n, "seconds": stamps[n - 1], "loss": loss(im), "quality": measure(im, content, style).as_dict()}
                    for n, im in zip(steps, images)]

        reference = track(base.replace(optimizer="adam", scales=1, init="content", steps=args.reference_steps),
                          args.reference_every)
        final_ref = reference[-1]
        target_loss, target = final_ref["loss"], Quality(**final_ref["quality"])
        pair = f"{content_name}-{style_name}"
        results[pair] = {"reference": {"seconds": final_ref["seconds"], "loss": target_loss, "quality": target.as_dict(),
                                       "track": reference}}
        for name, one_sided in READINGS.items():
            kept = first(reference, target, one_sided)
            results[pair]["reference"][f"{name}_seconds"] = kept["seconds"]
        print(f"{pair}: reference {final_ref['seconds']:.1f} s, loss {target_loss:.4g}, quality within 5% after "
              f"{results[pair]['reference']['quality_seconds']:.1f} s, at least as good after "
              f"{results[pair]['reference']['at_least_as_good_seconds']:.1f} s", flush=True)
        for key, changes in fast_modes.items():
            run = track(base.replace(**changes), 1)
            final = Quality(**run[-1]["quality"])
            at_loss = next((k for k in run if k["loss"] <= target_loss), None)
            entry = {"seconds": run[-1]["seconds"], "final_loss_ratio": run[-1]["loss"] / target_loss,
                     "final_quality": final.as_dict(), "final_outside": outside(final, target),
                     "final_worse": outside(final, target, one_sided=True),
                     "loss_speedup": None if at_loss is None else final_ref["seconds"] / at_loss["seconds"], "track": run}
            for name, one_sided in READINGS.items():
                kept = first(run, target, one_sided)
                reference_seconds = results[pair]["reference"][f"{name}_seconds"]
                entry[f"{name}_speedup"] = None if kept is None else reference_seconds / kept["seconds"]
            results[pair][key] = entry
            print(f"  {key}: {entry['seconds']:.1f} s, final loss {entry['final_loss_ratio']:.3f}x target; "
                  f"to the target loss {_x(entry['loss_speedup'])}, to quality within 5% {_x(entry['quality_speedup'])}, "
                  f"at least as good {_x(entry['at_least_as_good_speedup'])}; at its end "
                  f"{', '.join(entry['final_outside']) or 'nothing'} outside 5% ({_vs(final, target)})", flush=True)
    print(f"\nmedian over {len(results)} pairs ({args.size} px, {base.precision}); a run that never got there counts as 0x:")
    for key in fast_modes:
        entries = [r[key] for r in results.values()]
        for what in ("loss_speedup", *(f"{name}_speedup" for name in READINGS)):
            values = [e[what] or 0.0 for e in entries]
            print(f"  {key} {what}: {statistics.median(values):.1f}x  (reached on {sum(v > 0 for v in values)} of {len(values)})")
        print(f"  {key} final loss / target: median {statistics.median(e['final_loss_ratio'] for e in entries):.3f}")
        off = [name for e in entries for name in e["final_outside"]]
        counts = ", ".join(f"{n} on {off.count(n)} pairs" for n in dict.fromkeys(off))
        print(f"  {key} outside 5% at the end: " + (counts or "none"))
    out = HERE / f"time_to_quality_{args.size}.json"
    out.write_text(json.dumps(results, indent=1))


def _vs(quality: Quality, target: Quality) -> str:
    return ", ".join(f"{name} {getattr(quality, name):.3g} vs {getattr(target, name):.3g}"
                     for name in ("colour", "ssim", "edges", "blockiness"))


def _x(value: float | None) -> str:
    return "not reached" if value is None else f"{value:.1f}x sooner"


if __name__ == "__main__":
    main()
