"""The engine: optimise an image so that VGG sees the content of one image and the style of another.

`stylise` is the one entry point. It is a generator of events that the app, the command line, the
tests and the benchmarks all consume:

    for event in stylise("photo.jpg", "painting.jpg", Settings(steps=200, preview_every=20)):
        if isinstance(event, Step): ...        # step, losses, elapsed seconds, preview image or None
        elif isinstance(event, Preview): ...   # the start image, before any step (once)
        elif isinstance(event, Notice): ...    # something the user should see (a weights fallback)
        elif isinstance(event, Finished): ...  # the image, why it stopped, loss history, snapshots

Stopping early: pass `should_stop` (checked between steps) or simply stop iterating; a cancelled run
still ends with a `Finished` event holding the image so far. If the loss or the image stops being
finite the run ends with reason "diverged" and the last finite image.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from . import backends, precision
from .colour import match_palette
from .divergence import DivergenceGuard, divergence_advice
from .events import Event, Finished, Losses, Notice, Preview, Step
from .images import MIN_SIDE, ImageSource, load_image, resize_array
from .regions import resize_mask, style_masks
from .saliency import saliency_map
from .schedules import painterly, phase_plan, step_cost
from .settings import Settings, snapshot_schedule
from .starts import StartInputs, first_image

if TYPE_CHECKING:
    from .backbone import Backbone, DownloadProgress


def stylise(
    content: ImageSource,
    style: ImageSource | Sequence[ImageSource],
    settings: Settings | None = None,
    *,
    masks: Sequence[ImageSource] | None = None,
    backbone: Backbone | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_download: DownloadProgress | None = None,
    start: np.ndarray | None = None,
    previous: tuple[np.ndarray, np.ndarray] | None = None,
) -> Iterator[Event]:
    """Stream the optimisation of `content` towards `style` (one image or several to blend).

    With more than one scale (`settings.scale_count`) the run is coarse-to-fine: it optimises a small
    version first, then upsamples the result and refines it at each larger size (see `scale_plan`).
    Step numbers count across all scales; the losses of a step are those of the scale it ran at.

    Regions: `masks` (one greyscale image or (H, W) array per style, white where that style paints) or
    `settings.segments` (automatic regions, nst/regions.py) confine each style to its part of the photo;
    where no style applies the photo is kept. `settings.saliency` weights the content term by the
    photo's saliency map (nst/saliency.py).

    Video frames (nst/video.py): `start` (at the output's size) replaces the settings' start image, and
    `previous` (the previous stylised frame warped onto this one, and the (H, W) mask where that warp
    is reliable, at the output's size) brings in the temporal term.
    """
    settings = settings or Settings()
    started = time.perf_counter()
    content_full = load_image(content, settings.size, "content image")
    style_size = round(settings.size * settings.style_scale)
    styles = [style] if not isinstance(style, (list, tuple)) else list(style)
    styles_full = [load_image(s, style_size, "style image", narrow_ok=True) for s in styles]
    if settings.style_colours == "content":  # learn the texture, not the palette (Gatys et al. 2016)
        styles_full = [match_palette(s, content_full) for s in styles_full]
    region_masks = style_masks(content_full, len(styles_full), masks, settings.segments, settings.segment_styles, settings.seed,
                               settings.segmenter, settings.region_map)
    salience = saliency_map(content_full) if settings.saliency > 0 else None
    keep_photo = photo_keeper(content_full, region_masks)
    plan = phase_plan(settings, content_full.shape[:2])
    if start is not None:  # made at the output's size; each phase resizes it to its own
        current, fallback = resize_array(start, content_full.shape[:2]), None
    else:
        current, fallback = first_image(StartInputs(settings, content_full, styles_full, region_masks))
    if fallback:
        yield Notice(fallback)
    yield Preview(keep_photo(current), time.perf_counter() - started)
    if not plan:  # no steps: the start is the result, and no network is loaded
        final = keep_photo(resize_array(current, content_full.shape[:2]))
        network = "the instant network" if settings.init.startswith("instant") and not fallback else "no network"
        yield Finished(final, content_full, "completed", "The start image, with no optimisation steps.", 0,
                       time.perf_counter() - started, [], [(0, final)], [], network, "")
        return
    # Keras and its backend load here, once a run optimises (several seconds: --steps 0 never waits for them)
    backends.check()
    from .backbone import FeatureExtractor, load_backbone
    from .objective import Objective, objective_calibration
    from .optimizers import make_step

    if backbone is None:
        backbone = load_backbone(settings.weights, settings.resolved_weights_file, on_download)
    if backbone.warning:
        yield Notice(backbone.warning)
    dtype = precision.resolve(settings.precision)
    extractor = FeatureExtractor(backbone, settings.content_layers, settings.style_layers, dtype)

    history: list[Losses] = []
    snapshot_steps = snapshot_schedule(settings.steps, settings.outputs)
    snapshots: list[tuple[int, np.ndarray]] = []
    reason, message = "completed", f"Finished {settings.steps} steps."
    step = 0
    total_work, work = sum(step_cost(shape) * n for shape, _, n in plan), 0.0
    objective, current_shape = None, None
    sizes: list[tuple[int, tuple[int, int]]] = []
    for shape, optimizer, phase_steps in plan:
        if shape != current_shape:
            sizes.append((step + 1, shape))
            content_image = resize_array(content_full, shape)
            style_images = [resize_array(s, _scaled_shape(s.shape[:2], shape, settings.style_scale)) for s in styles_full]
            shape_masks = None if region_masks is None else [resize_mask(m, shape) for m in region_masks]
            objective = Objective(
                extractor, content_image, style_images, settings,
                *objective_calibration(settings, backbone, shape, content_full.shape[:2]),
                masks=shape_masks, salience=None if salience is None else resize_mask(salience, shape),
                previous=None if previous is None else (resize_array(previous[0], shape), resize_mask(previous[1], shape)),
            )
            if current_shape and painterly(settings):
                current = with_photo_detail(current, shape, content_image)
            else:
                current = resize_array(current, shape)
            current_shape = shape
        step_once = make_step(objective, settings, current, optimizer)
        guard = DivergenceGuard(current, step)
        for _ in range(phase_steps):
            if should_stop is not None and should_stop():
                reason, message = "cancelled", f"Stopped after {step} steps."
                break
            step += 1
            (total, terms), image_finite = step_once()
            losses = Losses(float(total), {name: float(value) for name, value in terms.items()})
            trouble = guard.check(losses.total, current, step)
            if not trouble and not bool(image_finite):
                trouble = "the image stopped being finite"
            if trouble:
                reason, current = "diverged", guard.best_image
                message = (
                    f"The optimisation diverged at step {step} ({trouble}); kept "
                    + (f"the image from step {guard.best_step}. " if guard.best_step else "the starting image. ")
                    + divergence_advice(settings, overflow=step == 1 and not np.isfinite(losses.total))
                )
                break
            history.append(losses)
            work += step_cost(shape)
            current = step_once.image()  # a copy: never hand out a view of the backend's buffer
            if step in snapshot_steps:  # at the output's size, even when taken on a coarse scale
                snapshots.append((step, keep_photo(resize_array(current, content_full.shape[:2]))))
            wants_preview = settings.preview_every and step % settings.preview_every == 0
            elapsed = time.perf_counter() - started
            preview = keep_photo(resize_array(current, content_full.shape[:2])) if wants_preview else None
            yield Step(step, settings.steps, losses, elapsed, preview, shape, work / total_work)
        # free this phase's tensors in the thread that ran them rather than leave them to the cyclic
        # collector in whatever thread it next runs (a UI's). A precaution: it did not cure the crash of
        # a compiled L-BFGS under Streamlit (BENCHMARKS.md), and no crash was traced to it
        del step_once
        gc.collect()
        if reason != "completed":
            break
    final = keep_photo(resize_array(current, content_full.shape[:2]))  # the image itself when already full size
    if reason != "completed" and history and (not snapshots or snapshots[-1][0] != len(history)):
        snapshots.append((len(history), final))
    yield Finished(final, content_full, reason, message, len(history), time.perf_counter() - started, history, snapshots,
                   sizes, f"{backbone.description} · {backends.describe()}", backbone.source)


def photo_keeper(content: np.ndarray, masks: list[np.ndarray] | None) -> Callable[[np.ndarray], np.ndarray]:
    """Where no painting paints (every region mask 0), the photo itself: there the objective has only
    its content and TV terms, which keep the layout but not the photo's detail, so the photo is put
    back, blended over the masks' soft borders. Without regions, the image as it is."""
    if masks is None:
        return lambda image: image
    kept = (1.0 - np.clip(np.sum(masks, axis=0), 0.0, 1.0))[..., None].astype(np.float32)
    if kept.max() == 0:
        return lambda image: image
    return lambda image: kept * content + (1.0 - kept) * image


LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def with_photo_detail(image: np.ndarray, shape: tuple[int, int], photo: np.ndarray) -> np.ndarray:
    """A working-size picture enlarged to the finish's `shape`, with the photo's luminance detail that
    the working size could not hold added back (the photo at `shape` less the photo enlarged from the
    working size): eyes, lettering and thin towers come back sharp, while flat regions, which have no
    detail in the photo, stay free of the instant picture's crosshatch. The finish's steps paint over it."""
    detail = photo @ LUMA - resize_array(resize_array(photo, image.shape[:2]), shape) @ LUMA
    return np.clip(resize_array(image, shape) + detail[..., None], 0.0, 1.0)


def _scaled_shape(style_shape: tuple[int, int], shape: tuple[int, int], style_scale: float) -> tuple[int, int]:
    """The style image's size for an output of `shape`: longer side = style_scale x the output's, but
    never a shorter side under MIN_SIDE, where the deepest style layers would have no locations left
    (a narrow painting at a coarse size)."""
    factor = max(max(shape) * style_scale / max(style_shape), MIN_SIDE / min(style_shape))
    return max(MIN_SIDE, round(style_shape[0] * factor)), max(MIN_SIDE, round(style_shape[1] * factor))
