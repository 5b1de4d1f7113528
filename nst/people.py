"""People in a photo, for regions a person would name: the person against the background, and their
face against their hair and body.

Three of MediaPipe's models (Apache-2.0), copied from the ``mediapipe`` 0.10.14 wheel into
nst/models/ (its README says why and gives their SHA-256, checked before use): selfie segmentation
(a person's probability per pixel at 256 x 256), face detection (short range: faces within about 2 m
of the camera) and the 468-point face mesh. LiteRT (``ai-edge-litert``, the successor of
``tf.lite.Interpreter``) runs them on the CPU in tens of milliseconds, so the studio can draw the regions before a run.

The selfie model calls much that is not a person a person (a cat's face filling the frame), and the
face detector takes some cats for faces; a person is found only where the detector and the face mesh
both see a face: a photo without one gets a clear message.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .errors import NSTError
from .settings import SEGMENTER_REGIONS

MODEL_DIR = Path(__file__).parent / "models"
MODELS = {  # file in nst/models/: SHA-256
    "selfie_segmentation.tflite":
        "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
    "face_detection_short_range.tflite":
        "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
    "face_landmark.tflite":
        "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
}
FACE_SCORE = 0.5  # a face detection's least score (a sigmoid) to count
FACE_OVAL = (  # the face mesh's points around the face, in order (MediaPipe's FACEMESH_FACE_OVAL)
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149,
    150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)
FEATHER = 0.004  # the face outline's softness, times the picture's longer side

_interpreters: dict[str, object] = {}
_lock = threading.Lock()  # an interpreter runs one picture at a time


class Face(NamedTuple):
    """A face found in a picture: its box in pixels (left, top, width, height) and score in [0, 1]."""

    box: tuple[float, float, float, float]
    score: float


def _run(name: str, image: np.ndarray) -> list[np.ndarray]:
    """Run model `name` on a (1, H, W, 3) float32 input; its outputs, in the model's order."""
    with _lock:
        if name not in _interpreters:
            path = MODEL_DIR / name
            data = path.read_bytes() if path.is_file() else b""
            if hashlib.sha256(data).hexdigest() != MODELS[name]:
                raise NSTError(f"The model file nst/models/{name} is missing or damaged: reinstall NST Studio.")
            from ai_edge_litert.interpreter import Interpreter

            interpreter = Interpreter(model_content=data, num_threads=2)
            interpreter.allocate_tensors()
            _interpreters[name] = interpreter
        interpreter = _interpreters[name]
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], image.astype(np.float32))
        interpreter.invoke()
        return [interpreter.get_tensor(d["index"]).copy() for d in interpreter.get_output_details()]


def _resized(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    import cv2

    return cv2.resize(np.asarray(image, np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_AREA)


def person_probability(image: np.ndarray) -> np.ndarray:
    """(H, W) in [0, 1]: how likely each pixel of an (H, W, 3) image in [0, 1] is a person's."""
    import cv2

    (mask,) = _run("selfie_segmentation.tflite", _resized(image, (256, 256))[None])
    height, width = image.shape[:2]
    return np.clip(cv2.resize(mask[0, :, :, 0], (width, height), interpolation=cv2.INTER_LINEAR), 0.0, 1.0)


def _anchors() -> np.ndarray:
    """The short-range face detector's 896 anchor centres (x, y) in [0, 1]: 2 per cell of a 16 x 16
    grid, then 6 per cell of an 8 x 8 grid (MediaPipe's SSD anchors for this model)."""
    centres = []
    for grid, per_cell in ((16, 2), (8, 6)):
        for y in range(grid):
            for x in range(grid):
                centres += [((x + 0.5) / grid, (y + 0.5) / grid)] * per_cell
    return np.asarray(centres, np.float32)


def find_faces(image: np.ndarray) -> list[Face]:
    """The faces in an (H, W, 3) image in [0, 1], best first (overlapping detections merged)."""
    height, width = image.shape[:2]
    side = max(height, width)
    square = np.zeros((side, side, 3), np.float32)  # letterboxed, as the detector was trained
    top, left = (side - height) // 2, (side - width) // 2
    square[top:top + height, left:left + width] = image
    regressors, scores = _run("face_detection_short_range.tflite",
                              _resized(square, (128, 128))[None] * 2.0 - 1.0)
    probability = 1.0 / (1.0 + np.exp(-np.clip(scores[0, :, 0], -80, 80)))
    anchors = _anchors()
    faces: list[Face] = []
    for index in np.argsort(-probability):
        if probability[index] < FACE_SCORE:
            break
        cx, cy, w, h = regressors[0, index, :4] / 128.0
        cx, cy = cx + anchors[index, 0], cy + anchors[index, 1]
        box = ((cx - w / 2) * side - left, (cy - h / 2) * side - top, w * side, h * side)
        if all(_overlap(box, face.box) < 0.3 for face in faces):
            faces.append(Face(tuple(float(v) for v in box), float(probability[index])))
    return faces


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over union of two (left, top, width, height) boxes."""
    dx = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    dy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = dx * dy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def face_outline(image: np.ndarray, face: Face) -> tuple[np.ndarray, float]:
    """(N, 2) points (x, y in pixels) around a detected face, from the face mesh run on a square crop
    1.5 times the face's box (the face upright; a face on its side is outlined roughly), and the mesh's
    own score in [0, 1] that the crop holds a face (near 0 for a cat the detector took for one)."""
    import cv2

    left, top, width, height = face.box
    side = 1.5 * max(width, height)
    x0, y0 = left + width / 2 - side / 2, top + height / 2 - side / 2
    # the crop, out to the picture's edges and beyond (black), at the mesh's 192 x 192
    matrix = np.float32([[192 / side, 0, -x0 * 192 / side], [0, 192 / side, -y0 * 192 / side]])
    crop = cv2.warpAffine(np.asarray(image, np.float32), matrix, (192, 192), flags=cv2.INTER_AREA)
    mesh, presence = _run("face_landmark.tflite", crop[None])
    points = mesh.reshape(-1, 3)[list(FACE_OVAL), :2] * side / 192 + np.float32([x0, y0])
    return points, float(1.0 / (1.0 + np.exp(-np.clip(presence.ravel()[0], -80, 80))))


def face_outlines(image: np.ndarray) -> list[np.ndarray]:
    """The outline of each face in an (H, W, 3) image in [0, 1] that both the detector and the face
    mesh see (FACE_SCORE or more each)."""
    outlines = [face_outline(image, face) for face in find_faces(image)]
    return [points for points, presence in outlines if presence >= FACE_SCORE]


def region_probabilities(image: np.ndarray, segmenter: str) -> list[np.ndarray]:
    """One (H, W) map per region of `segmenter` ('person' or 'face'; SEGMENTER_REGIONS names them, in
    order), summing to 1 at every pixel: the models' own probabilities, the face outline feathered over
    FEATHER of the longer side."""
    if not SEGMENTER_REGIONS.get(segmenter):
        raise NSTError(f"Unknown segmenter {segmenter!r}: choose person or face.")
    faces = face_outlines(image)
    if not faces:
        raise NSTError("No person found in this photo (regions by person look for a face, seen from the front): "
                       "use colour regions instead.")
    person = person_probability(image)
    if segmenter == "person":
        return [person, 1.0 - person]
    import cv2

    height, width = image.shape[:2]
    face = np.zeros((height, width), np.float32)
    cv2.fillPoly(face, [np.round(points).astype(np.int32) for points in faces], 1.0)
    sigma = FEATHER * max(height, width)
    face = np.clip(cv2.GaussianBlur(face, (0, 0), sigma), 0.0, 1.0)
    person = np.maximum(person, face)
    return [face, person - face, 1.0 - person]
