"""The engine: optimise an image so that VGG sees the content of one image and the style of another.

`stylise` is the one entry point. It is a generator of events that the app, the command line, the
tests and the benchmarks all consume:

    for event in stylise("photo.jpg", "painting.jpg", Settings(steps=200, preview_every=20)):
        if isinstance(event, Step): ...        # step, losses, elapsed seconds, preview image or None
        elif isinstance(event, Notice): ...    # something the user should see (a weights fallback)
        elif isinstance(event, Finished): ...  # the image, why it stopped, loss history, snapshots

Stopping early: pass `should_stop` (checked between steps) or simply stop iterating; a cancelled run
still ends with a `Finished` event holding the image so far. If the loss or the image stops being
finite the run ends with reason "diverged" and the last finite image.
"""

from __future__ import annotations

import gc
import math
import time
from typing import Callable, Iterator, Sequence

import keras
import numpy as np
import tensorflow as tf

from . import precision
from .colour import match_palette, palette_start
from .backbone import Backbone, DownloadProgress, FeatureExtractor, load_backbone
from .errors import NSTError
from .events import Event, Finished, Losses, Notice, Step
from .images import MIN_SIDE, ImageSource, load_image, resize_array
from .regions import resize_mask, style_masks
from .saliency import saliency_map
from .losses import TERMS, StyleTarget, Targets, gram_matrix, size_factors
from .settings import DEFAULT_LEARNING_RATES, Settings, snapshot_schedule

# 'lbfgs-adam' (see phase_plan): shares of the steps spent on the coarse sizes and on the Adam finish
COARSE_SHARE, FINISH_SHARE = 1 / 3, 0.7
COARSE_MAX_STEPS, FULL_LBFGS_MAX_STEPS = 60, 40
# a run has blown up when its loss stays BLOWUP_FACTOR times above its lowest for BLOWUP_STEPS steps,
# or twice its lowest while SATURATED_SHARE of the image's values are pinned at 0 or 1 (DivergenceGuard)
BLOWUP_FACTOR, BLOWUP_STEPS, SATURATED_SHARE = 10.0, 5, 0.9




def stylise(
    content: ImageSource,
    style: ImageSource | Sequence[ImageSource],
    settings: Settings | None = None,
    *,
    masks: Sequence[ImageSource] | None = None,
    backbone: Backbone | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_download: DownloadProgress | None = None,
) -> Iterator[Event]:
    """Stream the optimisation of `content` towards `style` (one image or several to blend).

    With more than one scale (`settings.scale_count`) the run is coarse-to-fine: it optimises a small
    version first, then upsamples the result and refines it at each larger size (see `scale_plan`).
    Step numbers count across all scales; the losses of a step are those of the scale it ran at.

    Regions: `masks` (one greyscale image or (H, W) array per style, white where that style paints) or
    `settings.segments` (automatic regions, nst/regions.py) confine each style to its part of the photo;
    where no style applies the photo is kept. `settings.saliency` weights the content term by the
    photo's saliency map (nst/saliency.py).
    """
    settings = settings or Settings()
    started = time.perf_counter()
    content_full = load_image(content, settings.size, "content image")
    style_size = round(settings.size * settings.style_scale)
    styles = [style] if not isinstance(style, (list, tuple)) else list(style)
    styles_full = [load_image(s, style_size, "style image", narrow_ok=True) for s in styles]
    if settings.style_colours == "content":  # learn the texture, not the palette (Gatys et al. 2016)
        styles_full = [match_palette(s, content_full) for s in styles_full]
    region_masks = style_masks(content_full, len(styles_full), masks, settings.segments, settings.segment_styles, settings.seed)
    salience = saliency_map(content_full) if settings.saliency > 0 else None
    keep_photo = photo_keeper(content_full, region_masks)
    if backbone is None:
        backbone = load_backbone(settings.weights, settings.resolved_weights_file, on_download)
    if backbone.warning:
        yield Notice(backbone.warning)
    dtype = precision.resolve(settings.precision)
    extractor = FeatureExtractor(backbone, settings.content_layers, settings.style_layers, dtype)

    history: list[Losses] = []
    snapshot_steps = snapshot_schedule(settings.steps, settings.outputs)
    snapshots: list[tuple[int, np.ndarray]] = []
    current: np.ndarray | None = None
    reason, message = "completed", f"Finished {settings.steps} steps."
    step = 0
    plan = phase_plan(settings, content_full.shape[:2])
    total_work, work = float(sum(h * w * n for (h, w), _, n in plan)), 0.0
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
            )
            start = initial_image(settings, content_image, style_images, shape_masks) if current is None else resize_array(current, shape)
            current, current_shape = start, shape
        image = tf.Variable(current[None])
        step_once = make_step(objective, settings, image, optimizer)
        guard = DivergenceGuard(current, step)
        for _ in range(phase_steps):
            if should_stop is not None and should_stop():
                reason, message = "cancelled", f"Stopped after {step} steps."
                break
            step += 1
            (total, terms), image_finite = step_once()
            losses = Losses(float(total), {name: float(value) for name, value in terms.items()})
            trouble = guard.check(losses.total, current, step) or (None if bool(image_finite) else "the image stopped being finite")
            if trouble:
                reason, current = "diverged", guard.best_image
                message = (
                    f"The optimisation diverged at step {step} ({trouble}); kept "
                    + (f"the image from step {guard.best_step}. " if guard.best_step else "the starting image. ")
                    + divergence_advice(settings, overflow=step == 1 and not np.isfinite(losses.total))
                )
                break
            history.append(losses)
            work += shape[0] * shape[1]
            current = np.array(image.numpy()[0])  # a copy: never hand out a view of TensorFlow's buffer
            if step in snapshot_steps:  # at the output's size, even when taken on a coarse scale
                snapshots.append((step, keep_photo(resize_array(current, content_full.shape[:2]))))
            wants_preview = settings.preview_every and step % settings.preview_every == 0
            elapsed = time.perf_counter() - started
            preview = keep_photo(resize_array(current, content_full.shape[:2])) if wants_preview else None
            yield Step(step, settings.steps, losses, elapsed, preview, shape, work / total_work)
        # free this phase's graphs and variables in the thread that ran them rather than leave them to
        # the cyclic collector in whatever thread it next runs (a UI's). A precaution: it did not cure the
        # crash of a compiled L-BFGS under Streamlit (BENCHMARKS.md), and no crash was traced to it
        del step_once, image
        gc.collect()
        if reason != "completed":
            break
    final = keep_photo(resize_array(current, content_full.shape[:2]))  # the image itself when already full size
    if reason != "completed" and history and (not snapshots or snapshots[-1][0] != len(history)):
        snapshots.append((len(history), final))
    yield Finished(final, content_full, reason, message, len(history), time.perf_counter() - started, history, snapshots,
                   sizes, backbone.description, backbone.source)


def objective_calibration(
    settings: Settings, backbone: Backbone, shape: tuple[int, int], output_shape: tuple[int, int]
) -> tuple[dict[str, float], float]:
    """The gains of the terms' weights and the TV smoothing of a run's objective at `shape`: the
    backbone's calibration times the size factors of `settings.objective`, and the settings' TV
    smoothing or, when they leave it empty, the backbone's."""
    gains = dict(backbone.calibration)
    for name, factor in size_factors(settings.objective, shape, output_shape).items():
        gains[name] = gains.get(name, 1.0) * factor
    return gains, backbone.tv_smoothing if settings.tv_smoothing is None else settings.tv_smoothing


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


def scale_sizes(settings: Settings, shape: tuple[int, int]) -> list[tuple[int, int]]:
    """(height, width) of each scale, coarsest first, each twice the previous, ending at `shape`."""
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


def _scaled_shape(style_shape: tuple[int, int], shape: tuple[int, int], style_scale: float) -> tuple[int, int]:
    """The style image's size for an output of `shape`: longer side = style_scale x the output's, but
    never a shorter side under MIN_SIDE, where the deepest style layers would have no locations left
    (a narrow painting at a coarse size)."""
    factor = max(max(shape) * style_scale / max(style_shape), MIN_SIDE / min(style_shape))
    return max(MIN_SIDE, round(style_shape[0] * factor)), max(MIN_SIDE, round(style_shape[1] * factor))


class DivergenceGuard:
    """Watches one phase of a run for a blow-up.

    A loss that is not finite is one; so is a loss that stays BLOWUP_FACTOR times above the phase's
    lowest for BLOWUP_STEPS steps in a row: clipping to [0, 1] keeps an exploding image finite, and it
    saturates into noise instead (an absurd learning rate does that in a step or two). The guard keeps
    the image with the phase's lowest loss so that a diverged run still ends with its best image.
    """

    def __init__(self, image: np.ndarray, step: int):
        self.best_loss, self.best_image, self.best_step = math.inf, image, step
        self.above = 0

    def check(self, loss: float, image: np.ndarray, step: int) -> str | None:
        """`loss` was measured on `image`, the image after step `step - 1`; returns what went wrong, if anything."""
        if not math.isfinite(loss):
            return "the loss stopped being finite"
        if loss < self.best_loss:
            self.best_loss, self.best_image, self.best_step = loss, image, step - 1
        exploded = loss > BLOWUP_FACTOR * self.best_loss
        saturated = loss > 2 * self.best_loss and saturation(image) > SATURATED_SHARE > saturation(self.best_image)
        self.above = self.above + 1 if exploded or saturated else 0
        if self.above >= BLOWUP_STEPS:
            return (
                f"the loss stayed above {2 if saturated and not exploded else BLOWUP_FACTOR:g}x its lowest for "
                f"{BLOWUP_STEPS} steps" + (" and the image saturated to pure colours" if saturated else "")
            )
        return None


def saturation(image: np.ndarray) -> float:
    """The share of the image's values at 0 or 1: near 1 for the saturated noise of an exploding run."""
    return float(np.mean((image <= 0.0) | (image >= 1.0)))


def divergence_advice(settings: Settings, overflow: bool) -> str:
    """What to change, given what diverged: weights that overflow, or a learning rate that is too large."""
    if overflow:
        return (
            "The loss of the starting image is already too large for float32: lower the content, style or TV "
            f"weight (now {settings.content_weight:g}, {settings.style_weight:g}, {settings.tv_weight:g})."
        )
    default = DEFAULT_LEARNING_RATES[settings.optimizer]
    if settings.learning_rate is not None and settings.learning_rate > default:
        return f"Lower the learning rate: {settings.lr:g} is above the default for {settings.optimizer} ({default:g})."
    return (
        f"The learning rate ({settings.lr:g}) is too large for these weights: lower the learning rate or the "
        "weights, or use another optimiser."
    )


def blend_weights(settings: Settings, count: int) -> np.ndarray:
    """The style images' blend weights as given (not normalised); equal when `style_blend` is not set."""
    return np.asarray(settings.style_blend or [1.0] * count, dtype=np.float32)


def initial_image(
    settings: Settings, content: np.ndarray, styles: list[np.ndarray], masks: list[np.ndarray] | None = None
) -> np.ndarray:
    """The starting point of the optimisation, in [0, 1]."""
    if settings.init == "content":
        return content.copy()
    if settings.init == "palette":
        return palette_start(content, styles, blend_weights(settings, len(styles)), masks)
    if settings.init == "style":
        return resize_array(styles[0], content.shape[:2])
    rng = np.random.default_rng(settings.seed)
    return rng.uniform(0.0, 1.0, content.shape).astype(np.float32)


def make_optimizer(settings: Settings) -> keras.optimizers.Optimizer:
    """Adam as in the TF tutorial (lbfgs-adam's finish: less momentum), or SGD with momentum and decay
    as in the Keras example."""
    if settings.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=settings.lr, beta_1=0.99, epsilon=0.1)
    if settings.optimizer == "lbfgs-adam":
        return keras.optimizers.Adam(learning_rate=settings.lr, beta_1=0.9, epsilon=0.1)
    schedule = keras.optimizers.schedules.ExponentialDecay(settings.lr, decay_steps=100, decay_rate=0.96)
    return keras.optimizers.SGD(learning_rate=schedule, momentum=0.9)


class Objective:
    """The registered loss terms (nst/losses.py) with their targets precomputed for one size of a run.

    `masks` (one (H, W) array per style, at this size) confine each style to its region. With
    settings.saliency = S > 0, `salience` ((H, W) in [0, 1]) weights the content term per location by
    1 + S x salience (normalised to mean 1) and the style statistics by 1 - S / (1 + S) x salience, so
    the subject keeps its structure and the background takes the style. `gains` multiply the terms'
    weights, by name: the backbone's calibration times the size factors of nst/losses.py;
    `tv_smoothing` is the TV term's Huber threshold (0: the tutorial's L1 TV).
    """

    def __init__(
        self,
        extractor: FeatureExtractor,
        content: np.ndarray,
        styles: list[np.ndarray],
        settings: Settings,
        gains: dict[str, float] | None = None,
        tv_smoothing: float = 0.0,
        masks: list[np.ndarray] | None = None,
        salience: np.ndarray | None = None,
    ):
        self.extractor = extractor
        gains = gains or {}
        weights = {name: getattr(settings, term.weight) * gains.get(name, 1.0) for name, term in TERMS.items()}
        self.terms = {name: (TERMS[name], w) for name, w in weights.items() if w > 0 or not TERMS[name].optional}
        blend = blend_weights(settings, len(styles))
        if len(blend) != len(styles):
            raise NSTError(f"style_blend has {len(blend)} weights for {len(styles)} style images.")
        content_image = tf.constant(content[None])
        content_features = extractor(content_image)
        grams = [[gram_matrix(f) for f in extractor(tf.constant(s[None])).style] for s in styles]
        content_masks, presence = None, None
        if salience is not None and settings.saliency > 0:
            # the subject weighs more in the content term and less in the style statistics
            weight = 1.0 + settings.saliency * salience
            content_masks = [_resized_mask(weight / weight.mean(), f.shape[1:3]) for f in content_features.content]
            presence = 1.0 - settings.saliency / (1.0 + settings.saliency) * salience
        layer_shapes = [f.shape[1:3] for f in content_features.style]

        def target(layer_grams: list[tf.Tensor], mask: np.ndarray | None, gain: float = 1.0) -> StyleTarget:
            if presence is not None:
                mask = presence if mask is None else mask * presence
            if mask is None:
                return StyleTarget(layer_grams)
            return StyleTarget(layer_grams, [_resized_mask(mask, shape) for shape in layer_shapes], float(mask.mean()) * gain)

        if masks is None:  # every style everywhere: one target, the blend of their Gram matrices
            blend = blend / blend.sum()
            targets = [target([tf.add_n([w * g[i] for w, g in zip(blend, grams)]) for i in range(len(grams[0]))], None)]
        else:  # each style in its own region
            targets = [target(g, m, float(w / blend.max())) for g, m, w in zip(grams, masks, blend) if m.max() > 0 and w > 0]
        self.targets = Targets(
            content_image, content_features.content, targets, settings.normalised_style_layer_weights, content_masks,
            tv_smoothing,
        )

    def __call__(self, image: tf.Tensor) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
        """The total loss and each weighted term, by name, for a (1, H, W, 3) image in [0, 1]."""
        features = self.extractor(image)
        terms = {name: weight * term.function(self.targets, image, features) for name, (term, weight) in self.terms.items()}
        return tf.add_n(list(terms.values())), terms


def _resized_mask(mask: np.ndarray, shape: tuple[int, int]) -> tf.Tensor:
    """An (H, W) mask averaged down (or resized) to a layer's (h, w), as a (1, h, w, 1) tensor."""
    return tf.image.resize(tf.constant(mask[None, :, :, None], tf.float32), shape, method="area")


def make_step(objective: Objective, settings: Settings, image: tf.Variable, optimizer: str) -> Callable:
    """One `optimizer` step on `image`: returns ((total, terms) before the step, whether the image is finite)."""
    if optimizer == "lbfgs":
        max_step = settings.lr if settings.optimizer == "lbfgs" else DEFAULT_LEARNING_RATES["lbfgs"]
        return LBFGS(objective, image, max_step=max_step)
    optimizer = make_optimizer(settings)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            total, terms = objective(image)
        gradient = tape.gradient(total, image)
        optimizer.apply_gradients([(gradient, image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
        return (total, terms), tf.reduce_all(tf.math.is_finite(image))

    return step


class LBFGS:
    """Limited-memory BFGS on the pixels, the optimiser of Gatys et al.

    Each step is the quasi-Newton direction from the last `memory` (step, gradient change) pairs,
    scaled down if any pixel would move more than `max_step`, then projected onto [0, 1]; pixels held
    at a bound drop out of the gradient (a projected L-BFGS). A step that raised the loss is undone,
    the memory cleared and `max_step` halved.
    """

    def __init__(self, objective: Objective, image: tf.Variable, max_step: float, memory: int = 10):
        self.image, self.max_step, self.memory = image, max_step, memory
        self.pairs: list[tuple[tf.Tensor, tf.Tensor, tf.Tensor]] = []  # (s, y, 1 / s.y)
        self.previous: tuple[tf.Tensor, tf.Tensor, float] | None = None  # (x, gradient, loss)

        @tf.function
        def evaluate():
            with tf.GradientTape() as tape:
                total, terms = objective(image)
            return (total, terms), tape.gradient(total, image)

        self.evaluate = evaluate

    def __call__(self):
        losses, gradient = self.evaluate()
        x, loss = tf.identity(self.image), float(losses[0])
        # pixels held at 0 or 1 by the projection: their outward gradient would only distort the curvature
        pinned = ((x <= 0.0) & (gradient > 0.0)) | ((x >= 1.0) & (gradient < 0.0))
        gradient = tf.where(pinned, tf.zeros_like(gradient), gradient)
        if self.previous is not None:
            x_prev, g_prev, loss_prev = self.previous
            if not loss <= loss_prev:  # overshot (or not finite): return to the last point, forget curvature
                x, gradient, loss = x_prev, g_prev, loss_prev
                self.pairs.clear()
                self.max_step /= 2
            else:
                s, y = x - x_prev, gradient - g_prev
                sy = tf.reduce_sum(s * y)
                if sy > 1e-10:
                    self.pairs = [*self.pairs[-(self.memory - 1):], (s, y, 1.0 / sy)]
        direction = self._direction(gradient)
        largest = tf.reduce_max(tf.abs(direction))
        direction *= tf.minimum(1.0, self.max_step / (largest + 1e-12))
        self.previous = (x, gradient, loss)
        self.image.assign(tf.clip_by_value(x + direction, 0.0, 1.0))
        return losses, tf.reduce_all(tf.math.is_finite(self.image))

    def _direction(self, gradient: tf.Tensor) -> tf.Tensor:
        """-H g by the two-loop recursion; plain steepest descent while the memory is empty."""
        if not self.pairs:
            return -gradient
        q, alphas = gradient, []
        for s, y, rho in reversed(self.pairs):
            alpha = rho * tf.reduce_sum(s * q)
            q -= alpha * y
            alphas.append(alpha)
        s, y, _ = self.pairs[-1]
        r = q * tf.reduce_sum(s * y) / tf.reduce_sum(y * y)
        for (s, y, rho), alpha in zip(self.pairs, reversed(alphas)):
            r += s * (alpha - rho * tf.reduce_sum(y * r))
        return -r
