"""A mutation probe: break each key behaviour of the engine, the loader, the run line and the CLI on
purpose, one at a time, and check that a test fails.

    python -m tests.mutation_probe [--only NAME]

Each mutation is a one-line edit of a copy of the repository (the working tree is never touched),
followed by the tests that should catch it. A mutation no test catches is a behaviour no test pins.
Prints one line per mutation and the score; exits 1 if any mutation survives.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (name, file, the exact text to change, what it becomes, the tests that must catch it); several edits
# of one file are given as tuples
MUTATIONS = [
    # hostile clips, paintings and folders (nst/clips.py, nst/cli/video.py, nst/cli/batch.py)
    ("a rotated clip reads sideways", "nst/clips.py", "k=round(frame.rotation / 90) % 4", "k=0",
     "tests/engine/test_hostile_clips.py -k rotated"),
    ("a clip cut short is painted without a word", "nst/clips.py", "elif promised - len(frames) > SHORT_BY:",
     "elif False:", "tests/engine/test_hostile_clips.py -k every_hostile"),
    ("the video command may overwrite the painting", "nst/cli/video.py", "[source, *paintings])", "[source])",
     "tests/engine/test_hostile_clips.py -k bad_paintings"),
    ("two paintings of one name write one file", "nst/cli/batch.py", "label if counts[label] == 1 else", "label if True else",
     "tests/line/test_batch.py -k hostile_folders"),
    ("a batch paints its own outputs", "nst/cli/batch.py", "and not (ours and (p.name == SUMMARY or p.name.endswith(made_here)))",
     "", "tests/line/test_batch.py -k photos_folder"),
    ("a worker grows without end", "nst/line/process.py", "return mb - self._first_mb > GROWTH_MB", "return False",
     "tests/line/test_workers.py -k memory_grew"),
    ("a worker let go that hangs keeps its memory", "nst/line/process.py", "        process.kill()\n\n\nclass LocalExecutor",
     "        pass\n\n\nclass LocalExecutor", "tests/line/test_workers.py -k let_go"),
    ("the instant picture's top edge gets its light strip back", "nst/instant.py", "MARGIN = 16", "MARGIN = 0",
     "tests/engine/test_instant.py -k strip"),
    ("the network sees the image's border as an edge", "nst/backbone.py",
     "[m, m], [0, 0]], mode=\"reflect\")", "[m, m], [0, 0]], mode=\"constant\")",
     "tests/engine/test_engine.py -k no_edge"),
    ("a cat's face is taken for a person", "nst/people.py", "for points, presence in outlines if presence >= FACE_SCORE]",
     "for points, presence in outlines]", "tests/engine/test_people.py -k without_a_person"),
    ("regions by person are blurred like colour regions", "nst/regions.py",
     "maps = region_probabilities(content, segmenter)", "maps = soften(region_probabilities(content, segmenter))",
     "tests/engine/test_people.py -k soft_maps"),
    ("a replaced person model is run", "nst/people.py", "if hashlib.sha256(data).hexdigest() != MODELS[name]:", "if not data:",
     "tests/engine/test_people.py -k damaged"),
    ("a painted map unpacks without a limit", "nst/maps.py", "height * width + 1)", ")",
     "tests/unit/test_maps.py -k bomb"),
    ("a link forgets the painted map", "studio/share.py", "        params[\"region_map\"] = settings.region_map\n",
     "        pass\n", "tests/app/test_share.py -k painted_regions_travel"),
    ("the eraser paints a region", "studio/painting.py", "& (nearest < BRUSHES)", "& (nearest <= BRUSHES)",
     "tests/unit/test_painting.py"),
    ("the border measure blames the run for the photo's own edge", "nst/quality.py",
     "np.abs(steps(result) - steps(reference)).max()", "np.abs(steps(result)).max()",
     "tests/unit/test_quality_metrics.py -k border"),
    ("the live camera takes the CPU from a run", "nst/live.py", "if (self.yielding and self._last is not None",
     "if (False and self._last is not None", "tests/unit/test_live.py -k while_runs_work"),
    ("one browser opens ten live streams", "nst/live.py", "if any(v == visitor for v, _ in self._seen.values()):",
     "if False:", "tests/unit/test_live.py -k one_stream_per_visitor"),
    ("the palette term compares RGB with the painting's CIELAB", "nst/losses.py",
     "ops.matmul(lab(ops.reshape(image, (-1, 3))), ops.convert_to_tensor(directions))",
     "ops.matmul(ops.reshape(image, (-1, 3)), ops.convert_to_tensor(directions))",
     "tests/engine/test_palette.py -k descending"),
    ("the palette forgets the photo where saliency keeps it", "nst/objective.py",
     "painted = [p * presence for p in painted]", "painted = list(painted)",
     "tests/engine/test_palette.py -k blended"),
    ("the palette term is off by default", "nst/settings.py", "default=3e7,", "default=0.0,",
     "tests/engine/test_palette.py -k default_run"),
    ("the full-size finish starts from the enlarged blur", "nst/engine.py",
     "return np.clip(resize_array(image, shape) + detail[..., None], 0.0, 1.0)", "return resize_array(image, shape)",
     "tests/engine/test_engine.py -k photos_detail"),
    ("the instant start runs every step at full size", "nst/schedules.py", "        return painterly_plan(settings, *sizes)\n",
     "        pass\n", "tests/engine/test_engine.py -k painterly"),
    ("stroke sizes all work at one size", "nst/schedules.py", "STROKE_HALVINGS = {\"fine\": 0, \"medium\": 1, \"large\": 2}",
     "STROKE_HALVINGS = {\"fine\": 0, \"medium\": 1, \"large\": 1}", "tests/engine/test_engine.py -k automatic_scales"),
    ("the stroke scale ignores the coarse bands", "nst/quality.py", "2.0 ** np.dot(band_energies(image), np.arange(BANDS))",
     "2.0 ** np.dot(band_energies(image)[:2], np.arange(2))", "tests/unit/test_quality_metrics.py -k stroke_scale"),
    ("hatching is measured everywhere", "nst/quality.py", "fine[quiet] ** 2", "fine ** 2",
     "tests/unit/test_quality_metrics.py -k flat_hatching"),
    ("a killed batch's scratch folder stays", "nst/line/process.py", "    def __init__(self) -> None:\n        sweep_scratch()\n",
     "    def __init__(self) -> None:\n        pass\n", "tests/line/test_batch.py -k killed_batch"),
    ("Ray actors counted from what others hold", "nst/line/actors.py", "ray.available_resources()", "ray.cluster_resources()",
     "tests/unit/test_line_rules.py -k free"),
    # the run line (nst/line/): its rules against fake workers, its workers for real
    ("stop never reaches the engine", "nst/line/serve.py", "for event in _events(request, network, lambda: stopped(job_id)):",
     "for event in _events(request, network, lambda: False):", "tests/line/test_workers.py -k stop_reaches"),
    ("the time left ignores a step's fixed cost", "nst/schedules.py", "STEP_OVERHEAD_PIXELS = 10_000",
     "STEP_OVERHEAD_PIXELS = 0", "tests/unit/test_line_rules.py -k time_left"),
    ("one visitor may fill the line", "nst/line/queue.py", "if job.visitor is not None and self.visitor_runs(job.visitor)",
     "if False and self.visitor_runs(job.visitor)", "tests/unit/test_line_rules.py -k crowd_out"),
    ("a crashed worker's last step image is lost", "nst/line/job.py", "s.result = self._kept(error) if kept",
     "s.result = None if kept", "tests/unit/test_line_rules.py -k crashed"),
    ("a worker's scratch folder is left behind", "nst/line/process.py",
     "        code = process.wait()\n        shutil.rmtree(scratch, ignore_errors=True)\n", "        code = process.wait()\n",
     "tests/line/test_workers.py -k killed_worker_keeps"),
    ("shutdown does not stop the running runs", "nst/line/queue.py", "                    self.stop(worker.job, message)\n",
     "                    pass\n", "tests/unit/test_line_rules.py -k draining"),
    ("last come, first served", "nst/line/queue.py", "worker.run(self._waiting.popleft())",
     "worker.run(self._waiting.pop())", "tests/unit/test_line_rules.py -k first_come"),
    ("no place in line", "nst/line/queue.py", "return self._waiting.index(job) + 1", "return 0",
     "tests/unit/test_line_rules.py -k first_come"),
    ("orphans never stopped", "nst/line/queue.py",
     "    if now - job.last_poll > limits.orphan_seconds:\n        return False\n", "",
     "tests/unit/test_line_rules.py -k nobody"),
    ("no time limit", "nst/line/queue.py",
     "elif job.started_at is not None and now - job.started_at > limits.max_run_seconds:", "elif False:",
     "tests/unit/test_line_rules.py -k time_limit"),
    ("the time limit counts the wait in line", "nst/line/job.py", "        self.started_at = self.clock()\n",
     "        self.started_at = self.last_poll\n", "tests/unit/test_line_rules.py -k time_limit"),
    ("a frozen worker is never killed", "nst/line/queue.py", "                    worker.kill()\n",
     "                    pass\n", "tests/unit/test_line_rules.py -k does_not_stop"),
    ("a crashed worker is not replaced", "nst/line/process.py",
     "if self.process is None or self.process.poll() is not None:", "if self.process is None and self.pid is None:",
     "tests/line/test_workers.py -k killed_worker"),
    ("cancelling a queued run is an error", "nst/line/queue.py", "                job.end(cancelled=True)\n",
     '                job.end(error="Cancelled before it started.")\n', "tests/unit/test_line_rules.py -k quietly"),
    ("a late reply ends the next run", "nst/line/worker.py", "case _ if job is None or reply.job_id != job.id:",
     "case _ if job is None:", "tests/unit/test_line_rules.py -k late_reply"),
    ("style_colours ignored", "nst/engine.py", 'if settings.style_colours == "content":', "if False:",
     "tests/unit/test_colour.py -k palette"),
    ("L-BFGS without its two-loop recursion", "nst/optimizers.py", "        if not self.pairs:\n", "        if True:\n",
     "tests/engine/test_engine.py -k lbfgs"),
    ("the Adam finish starts at its full rate", "nst/optimizers.py", "        if self.warm_up:\n",
     "        if False:\n", "tests/engine/test_engine.py -k adam_finish"),
    # every Keras backend (nst/backends, nst/optimizers.py)
    ("Adam without its bias correction", "nst/optimizers.py",
     "alpha = rate * ops.sqrt(1.0 - ops.power(ADAM_BETA_2, t)) / (1.0 - ops.power(self.beta_1, t))", "alpha = rate",
     "tests/engine/test_backends.py -k keras_optimizers"),
    ("SGD's rate never decays", "nst/optimizers.py", "rate * ops.power(SGD_DECAY, done / SGD_DECAY_STEPS)", "rate",
     "tests/engine/test_backends.py -k keras_optimizers"),
    ("a step compiled again for every run", "nst/optimizers.py", "    if key not in _programs:\n", "    if True:\n",
     "tests/engine/test_backends.py -k reuses"),
    ("a missing backend fails inside Keras", "nst/backends/__init__.py", "if importlib.util.find_spec(module) is None:",
     "if False:", "tests/engine/test_backends.py -k not_installed"),
    ("deep reconstructions keep the start's noise", "nst/lessons.py", 'style_weight=0.0, init="noise"))',
     'style_weight=0.0, tv_weight=0.0, init="noise"))', "tests/engine/test_inside.py -k deep_layers"),
    ("a repeated link parameter is not reported", "studio/share.py", "for key, found in params.items() if len(found) > 1]",
     "for key, found in params.items() if len(found) > 9]", "tests/app/test_share.py -k repeated"),
    ("the weights check assumes a string", "studio/share.py", "if not isinstance(raw, str) or raw not in labels:",
     "if raw not in labels:", "tests/app/test_share.py -k every_value"),
    ("an over-long JSON number escapes the reader", "studio/share.py", "except (ValueError, RecursionError):",
     "except (json.JSONDecodeError, RecursionError):", "tests/app/test_share.py -k not_a_settings_file"),
    ("colour adjustments carried to the next result", "studio/gallery.py", "        _reset_look()\n", "",
     "tests/app/test_app.py -k outputs_and_downloads"),
    ("divergence guard off", "nst/divergence.py", "if self.above >= BLOWUP_STEPS:", "if False:",
     "tests/engine/test_engine.py -k absurd"),
    ("saturation not watched", "nst/divergence.py", "saturated = loss > 2 * self.best_loss and", "saturated = False and",
     "tests/engine/test_engine.py -k absurd"),
    ("diverged run keeps its last image", "nst/engine.py", 'reason, current = "diverged", guard.best_image',
     'reason = "diverged"', "tests/engine/test_engine.py -k absurd"),
    ("overflow blamed on the learning rate", "nst/engine.py", "overflow=step == 1 and", "overflow=False and",
     "tests/engine/test_engine.py -k overflow"),
    ("narrow style shrinks below the network's minimum", "nst/engine.py",
     ("MIN_SIDE / min(style_shape))", "return max(MIN_SIDE, round(style_shape[0] * factor)), max(MIN_SIDE, round("),
     ("0.0)", "return max(1, round(style_shape[0] * factor)), max(1, round("), "tests/engine/test_engine.py -k narrow"),
    ("any format Pillow knows is decoded", "nst/images.py", "formats=FORMATS", "formats=None",
     "tests/unit/test_images.py -k outside"),
    ("no structure check", "nst/images.py", "    check_structure(data, name)\n", "",
     "tests/unit/test_images.py -k fragmented"),
    ("the decode budget ignores the mode", "nst/images.py", "per_pixel.get(mode, default)", "1",
     "tests/unit/test_images.py -k bytes_per_pixel"),
    ("converted before shrinking", "nst/images.py", "        if image.mode == \"1\":\n",
     "        image = image.convert(\"RGBA\")\n        if image.mode == \"1\":\n", "tests/unit/test_images.py -k memory_bound"),
    ("JPEGs decoded at full size", "nst/images.py", 'if image.format in ("JPEG", "MPO") and target != image.size:',
     "if False:", "tests/unit/test_images.py -k jpeg_decodes"),
    ("outputs checked after the run", "nst/cli/paint.py", "        check_outputs(args, settings)\n", "",
     "tests/line/test_cli.py -k before_the_run"),
    ("an input can be overwritten", "nst/cli/options.py",
     "        if path.exists() and source.exists() and path.samefile(source):", "        if False:",
     "tests/line/test_cli.py -k before_the_run"),
    ("NaN colour options accepted", "nst/colour.py", "not math.isfinite(value)", "False",
     "tests/unit/test_colour.py -k bad_look"),
    ("file names rendered as Markdown", "studio/inputs.py", "    return re.sub(", "    return text or re.sub(",
     "tests/app/test_app.py -k shown_not_rendered"),
    ("a failed download is retried every run", "nst/backbone.py", "        raise NSTError(_failed_download[\"message\"])\n",
     "        pass\n", "tests/engine/test_backbone.py -k retried"),
    # semantic style transfer (issue 10)
    ("masked Gram ignores its mask", "nst/losses.py", "features * mask, features", "features, features",
     "tests/engine/test_losses.py -k masked"),
    ("region masks never reach the objective", "nst/engine.py",
     "masks=shape_masks, salience=", "masks=None, salience=",
     "tests/engine/test_semantic.py -k region"),
    ("saliency ignored", "nst/objective.py", "if salience is not None and settings.saliency > 0:", "if False:",
     "tests/engine/test_semantic.py -k saliency_keeps"),
    ("edge term compares the wrong images", "nst/losses.py", "return edge_distance(image, targets.content_image)",
     "return edge_distance(image, image)", "tests/engine/test_semantic.py -k edge"),
    ("blend weights not normalised", "nst/objective.py", "            blend = blend / blend.sum()\n", "",
     "tests/engine/test_semantic.py -k blend"),
    ("regions numbered in k-means order", "nst/regions.py", "lookup[order] = np.arange(len(order))",
     "lookup[present] = np.arange(len(order))", "tests/engine/test_semantic.py -k automatic"),
    ("optional terms always on", "nst/objective.py", "if w > 0 or not TERMS[name].optional}", "}",
     "tests/engine/test_semantic.py -k named"),
    ("TV a sum at every size", "nst/losses.py", 'return {"tv": (REFERENCE_SIDE / max(shape)) ** 2}', 'return {"tv": 1.0}',
     "tests/engine/test_any_size.py"),
    ("normalised TV per image length, not per pixel", "nst/losses.py", "(REFERENCE_SIDE / max(shape)) ** 2}",
     "(REFERENCE_SIDE / max(shape))}", "tests/engine/test_engine.py -k tv_balance"),
    ("smooth TV favours the grid", "nst/losses.py", "length = ops.sqrt(dx * dx + dy * dy + 1e-12)",
     "length = ops.abs(dx) + ops.abs(dy)", "tests/engine/test_losses.py -k smooth"),
    ("the settings' TV smoothing ignored", "nst/objective.py",
     "return gains, backbone.tv_smoothing if settings.tv_smoothing is None else settings.tv_smoothing",
     "return gains, backbone.tv_smoothing", "tests/engine/test_quality.py -k staircase"),
    ("blockiness on the whole image, not its detail", "nst/quality.py",
     "detail = picture - ndimage.gaussian_filter(", "detail = picture + 0 * ndimage.gaussian_filter(",
     "tests/unit/test_quality_metrics.py"),
    ("colour distance in RGB", "nst/quality.py", "lab = rgb2lab(np.clip(picture, 0.0, 1.0)).reshape(-1, 3)",
     "lab = np.clip(picture, 0.0, 1.0).reshape(-1, 3)", "tests/unit/test_quality_metrics.py"),
    ("feature maps of the weakest channels", "nst/inside.py", "np.argsort(-values.mean(axis=(0, 1)), kind=\"stable\")",
     "np.argsort(values.mean(axis=(0, 1)), kind=\"stable\")", "tests/engine/test_inside.py -k strongest"),
    ("TensorFlow's start-up lines reach stderr", "nst/startup.py", 'if not STARTUP_NOISE.match(line.rstrip("\\n"))]',
     "if True]", "tests/unit/test_startup.py"),
    ("--ray ignored for $NST_RAY_ADDRESS", "nst/cli/options.py", 'executor_for(ray or os.environ.get("NST_RAY_ADDRESS")',
     'executor_for(os.environ.get("NST_RAY_ADDRESS")', "tests/line/test_cli.py -k ray_address"),
    ("the cluster recipe starts the head before its token exists", "README.md",
     "ray get-auth-token --generate             # once", "true                                      # once",
     "tests/line/test_workers.py -k ray"),
    ("feature maps not scaled to their own maximum", "nst/inside.py", "channel / peak", "channel / 255",
     "tests/engine/test_inside.py -k strongest"),
    ("every reconstruction from block5", "nst/lessons.py", 'content_layers=(f"block{n}_conv2",)',
     'content_layers=("block5_conv2",)', "tests/engine/test_inside.py -k shallow"),
    ("the seed ignored", "nst/starts.py", "np.random.default_rng(inputs.settings.seed)", "np.random.default_rng()",
     "tests/engine/test_inside.py -k seed"),
    ("a link's values not applied", "studio/share.py", "    st.session_state.update(updates)\n", "",
     "tests/app/test_classroom.py -k link_sets"),
    ("a bad link value drops the rest", "studio/share.py",
     "        except NSTError as exc:\n            problems.append(str(exc))\n        except Exception:",
     "        except NSTError as exc:\n            problems.append(str(exc))\n            break\n"
     "        except Exception:",
     "tests/app/test_classroom.py -k bad_link"),
    ("the temporal term never sees the previous frame", "nst/video.py", 'previous if mode == "temporal" else None',
     "None", "tests/engine/test_video.py -k removes_the_flicker"),
    ("the instant start still runs coarse-to-fine", "nst/settings.py", 'if self.init.startswith("instant"):',
     "if False:", "tests/engine/test_engine.py -k automatic_scales"),
    ("a chunk seam is a hard cut", "nst/chunks.py", "share = (offset + 1) / (before + 1)", "share = 1.0",
     "tests/engine/test_video.py -k seam_is"),
    ("a batch's items are re-made on a second run", "nst/cli/batch.py", "if _made(item.output):", "if False:",
     "tests/line/test_batch.py -k second_run"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="run the mutations whose name contains this text")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if not args.only or args.only in m[0]]
    caught = 0
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "repo"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "test-artifacts", "__pycache__"))
        for name, file, old, new, tests in chosen:
            path = copy / file
            original = mutated = path.read_text()
            for before, after in zip(*((old, new) if isinstance(old, tuple) else ((old,), (new,)))):
                assert mutated.count(before) == 1, f"{name}: the text to mutate is not found exactly once in {file}"
                mutated = mutated.replace(before, after)
            path.write_text(mutated)
            started = time.monotonic()
            result = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests.split()],
                                    cwd=copy, capture_output=True, text=True)
            path.write_text(original)
            killed = result.returncode not in (0, 5)
            caught += killed
            print(f"{'caught  ' if killed else 'SURVIVED'} {name} ({tests}, {time.monotonic() - started:.0f} s)", flush=True)
    print(f"mutation score: {caught} of {len(chosen)} caught")
    return 0 if caught == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main())
