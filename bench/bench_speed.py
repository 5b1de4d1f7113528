"""Speed against the TF tutorial's loop: time to quality, time to first preview, GFLOP/s, memory.

    python -m bench.bench_speed --size 256 --reference-steps 1000      # about 10 min on 2 cores
    python -m bench.bench_speed --size 512 --reference-steps 1000      # about 30 min on 2 cores

1. Reference: the tutorial loop (bench/tutorial_reference.py) for --reference-steps steps at --size.
   Its loss after the last step is the quality target; its time to an image after 100 steps is the
   preview yardstick. Its wall time is its own measured time.
2. Engine, fast mode (the default optimiser and sizes, `FAST` below; --fast-steps steps), at
   --precision (default auto: bfloat16 where native) and at float32: every step's image is kept, and
   after the run each is scored with the same full-resolution float32 tutorial objective (coarse images
   upsampled). Time to quality = elapsed time of the first step whose image scores at or below the
   target. If the run ends above the target, the script prints instead how much sooner it got to its
   final loss than the reference did.
3. Time to first preview: from calling `stylise` (network already loaded and cast to the fast mode's
   format, as the app does) to the first step event that carries an image.
4. Seconds per step and achieved GFLOP/s of a single-scale Adam step at 256 and 512 px, in float32 and
   bfloat16, against the machine's measured matmul peak in the same format. A step's FLOPs are
   estimated as twice the forward convolutions up to the deepest layer used (forward + gradient with
   respect to the input; no weight gradients).
5. Peak memory (max RSS) of `python -m nst` running 12 single-size L-BFGS steps (its memory of 10
   step pairs full) at 512 and 1024 px, default precision, in child processes.

Both sides use the same network weights (--weights, default offline), images and size.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from bench.bench_step import engine_seconds_per_step
from bench.tutorial_reference import TutorialLoop
from nst import Settings, Step, load_backbone, load_image, stylise
from nst.backbone import cast_network
from nst.images import resize_array
from nst.precision import resolve

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# the default fast mode, on the tutorial's loss (the TutorialLoop's): bench_time_to_quality.py measures
# the default objective
FAST = dict(optimizer=Settings().optimizer, scales=Settings().scales, objective="tutorial", tv_smoothing=0.0)


def reference_run(backbone, content, style, steps):
    started = time.perf_counter()
    # the same objective as the engine: the backbone's style calibration (none for VGG19) applies to both
    loop = TutorialLoop(backbone.network, content, style, style_weight=1e-2 * backbone.calibration.get("style", 1.0))
    losses, stamps = [], []
    for _ in range(steps):
        losses.append(float(tf.reduce_sum(loop.train_step())))  # the tutorial's loss has shape (1,)
        stamps.append(time.perf_counter() - started)
    final = float(tf.reduce_sum(loop.loss(loop.image)))
    return {"losses": losses, "stamps": stamps, "final_loss": final, "loop": loop}


def engine_run(content, style, settings, backbone):
    started = time.perf_counter()
    images, stamps, first_preview = [], [], None
    for event in stylise(content, style, settings, backbone=backbone):
        if isinstance(event, Step):
            stamps.append(event.elapsed)
            images.append(event.preview)
            if first_preview is None and event.preview is not None:
                first_preview = time.perf_counter() - started
    return images, stamps, first_preview


def score(loop: TutorialLoop, images, shape):
    """Full-resolution tutorial loss of each image (upsampled when it came from a coarse scale)."""
    return [float(tf.reduce_sum(loop.loss(tf.constant(resize_array(im, shape)[None])))) for im in images]


def conv_flops(network, shape, deepest="block5_conv2"):
    total, h, w = 0, shape[0], shape[1]
    for layer in network.layers:
        if "pool" in layer.name:
            h, w = h // 2, w // 2
        if "conv" in layer.name:
            kernel = layer.get_weights()[0]
            total += 2 * h * w * np.prod(kernel.shape)
        if layer.name == deepest:
            break
    return 2 * total  # forward + input gradient


def matmul_peak(dtype=tf.float32, n=2048, repeats=10):
    a = tf.cast(tf.random.normal((n, n)), dtype)
    b = tf.cast(tf.random.normal((n, n)), dtype)
    tf.matmul(a, b).numpy()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        tf.matmul(a, b).numpy()
        times.append(time.perf_counter() - t)
    return 2 * n**3 / min(times) / 1e9


def peak_memory_mb(size, weights):
    out = ROOT / "bench" / f".mem-{size}.png"
    script = (
        "import sys; from nst.cli.main import main; "
        f"code = main(['assets/content/cat.jpg', 'assets/styles/swirls.jpg', '-o', '{out}', '--size', '{size}', "
        f"'--steps', '12', '--scales', '1', '--optimizer', 'lbfgs', '--weights', '{weights}', '-q']); "
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from this (large) parent across exec
        "print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    out.unlink(missing_ok=True)
    return int(result.stdout.strip().splitlines()[-1]) / 1024


def time_to_quality(args, backbone, content, style, results) -> None:
    """Parts 1-3: the reference, then the fast mode runs scored against it."""
    ref = reference_run(backbone, content, style, args.reference_steps)
    target, ref_time = ref["final_loss"], ref["stamps"][-1]
    ref_preview = ref["stamps"][min(99, len(ref["stamps"]) - 1)]
    print(f"reference: {args.reference_steps} steps in {ref_time:.1f} s, final loss {target:.4g}; "
          f"image after 100 steps at {ref_preview:.1f} s")

    ref_losses = np.array(ref["losses"])
    runs = [(steps, precision) for steps in args.fast_steps for precision in dict.fromkeys([resolve(args.precision), "float32"])]
    for fast_steps, precision in runs:
        fast = Settings(size=args.size, steps=fast_steps, weights=backbone.source, preview_every=1,
                        precision=precision, **FAST)
        images, stamps, first_preview = engine_run(content, style, fast, backbone)
        scores = score(ref["loop"], images, content.shape[:2])
        reached = next((i for i, s in enumerate(scores) if s <= target), None)
        speedups = equal_loss_speedups(ref_losses, ref["stamps"], stamps, scores)
        entry = {"steps": fast.steps, "seconds": stamps[-1], "final_loss": scores[-1],
                 "first_preview_seconds": first_preview, "loss_curve": list(zip(stamps, scores))}
        print(f"fast mode ({fast.optimizer}, {fast.scales} sizes, {precision}): {fast.steps} steps in {stamps[-1]:.1f} s, "
              f"final full-res loss {scores[-1]:.4g} ({scores[-1] / target:.3f} x target)")
        if reached is None:
            print(f"  did NOT reach the target loss in {fast.steps} steps")
        else:
            entry["time_to_quality"] = stamps[reached]
            print(f"  time to quality: {stamps[reached]:.1f} s (step {reached + 1}) vs reference {ref_time:.1f} s "
                  f"-> {ref_time / stamps[reached]:.1f}x sooner")
        if speedups and speedups[-1][1] == fast.steps:
            entry["speedup_at_final_loss"] = speedups[-1][0]
            print(f"  at its final loss: {speedups[-1][0]:.1f}x sooner than the reference got there")
        if speedups:
            best = max(speedups)
            entry["best_speedup"] = best
            print(f"  largest speed-up at equal loss: {best[0]:.1f}x, at step {best[1]} ({best[2] / target:.3f} x target)")
        print(f"  first preview: {first_preview:.2f} s vs reference image after 100 steps {ref_preview:.1f} s "
              f"-> {ref_preview / first_preview:.1f}x sooner")
        results[f"fast_{fast_steps}_{precision}"] = entry
    results.update(reference_steps=args.reference_steps, reference_seconds=ref_time, target_loss=target,
                   reference_preview_seconds=ref_preview, reference_losses=ref["losses"], reference_stamps=ref["stamps"])


def equal_loss_speedups(ref_losses: np.ndarray, ref_stamps: list[float], stamps: list[float], scores: list[float]):
    """For each fast-mode step: (reference seconds to first reach its loss / its seconds, step, loss)."""
    speedups = []
    for step, (seconds, loss) in enumerate(zip(stamps, scores), start=1):
        better = np.nonzero(ref_losses <= loss)[0]
        if len(better) and better[0] > 0:  # losses are measured before each step: image of step k-1
            speedups.append((ref_stamps[better[0] - 1] / seconds, step, loss))
    return speedups


def efficiency(args, backbone, results) -> None:
    """Parts 4-5: seconds per step and GFLOP/s, peak memory."""
    peaks = {name: matmul_peak(getattr(tf, name)) for name in ("float32", "bfloat16")}
    results["matmul_peak_gflops"] = peaks
    print("measured matmul peak: " + ", ".join(f"{name} {gflops:.0f} GFLOP/s" for name, gflops in peaks.items()))
    for size in (256, 512):
        c, s = load_image(args.content, size), load_image(args.style, size)
        for precision in ("float32", "bfloat16"):
            step_settings = Settings(size=size, steps=9, scales=1, weights=backbone.source, optimizer="adam",
                                     precision=precision)
            seconds = engine_seconds_per_step(c, s, step_settings, backbone)
            gflops = conv_flops(backbone.network, c.shape[:2]) / seconds / 1e9
            results[f"seconds_per_step_{size}_{precision}"] = seconds
            results[f"gflops_{size}_{precision}"] = gflops
            print(f"{size} px {precision}: {seconds:.3f} s/step, {gflops:.0f} GFLOP/s "
                  f"({100 * gflops / peaks[precision]:.0f}% of the {precision} matmul peak)")
    for size in (512, 1024):
        mb = peak_memory_mb(size, args.weights)
        results[f"peak_rss_mb_{size}"] = mb
        print(f"peak memory, 12 L-BFGS steps at {size} px: {mb:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--reference-steps", type=int, default=1000)
    parser.add_argument("--weights", default="offline")
    parser.add_argument("--fast-steps", type=lambda text: [int(v) for v in text.split(",")], default=[Settings().steps],
                        help="comma-separated step counts of fast mode runs (default: the default step count)")
    parser.add_argument("--precision", default="auto", help="of the fast mode (float32 is always run too)")
    parser.add_argument("--content", default=str(ROOT / "assets/content/cat.jpg"))
    parser.add_argument("--style", default=str(ROOT / "assets/styles/swirls.jpg"))
    parser.add_argument("--skip-efficiency", action="store_true", help="only parts 1-3: time to quality and preview")
    parser.add_argument("--skip-quality", action="store_true", help="only parts 4-5: step efficiency and memory")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    backbone = load_backbone(args.weights)
    cast_network(backbone.network, resolve(args.precision))  # built with the network, as the app does
    content, style = load_image(args.content, args.size), load_image(args.style, args.size)
    results = {"size": args.size, "weights": backbone.description, "fast_mode": FAST}
    print(f"{backbone.description}; {content.shape[1]}x{content.shape[0]} px; TF {tf.__version__}; "
          f"{tf.config.list_physical_devices()}")

    if not args.skip_quality:
        time_to_quality(args, backbone, content, style, results)
    if not args.skip_efficiency:
        efficiency(args, backbone, results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
