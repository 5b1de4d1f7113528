"""Photos with and without a person (from scikit-image's and Matplotlib's own sample data, so the
tests need nothing beside the repository) and hand-drawn outlines of each person, for measuring the
regions nst/people.py finds. Outlines are (x, y) fractions of the width and height, traced by eye on a
10 x 10 grid over the photo; what a person holds (a helmet, a camera on a tripod) is not the person."""

from __future__ import annotations

import numpy as np

PERSON_OUTLINES = {
    "astronaut": [  # Eileen Collins, holding her helmet (bottom right)
        (0.30, 0.10), (0.35, 0.04), (0.45, 0.03), (0.55, 0.06), (0.58, 0.14), (0.53, 0.22), (0.52, 0.28),
        (0.57, 0.30), (0.60, 0.36), (0.60, 0.44), (0.63, 0.50), (0.68, 0.54), (0.70, 0.60), (0.71, 0.68),
        (0.62, 0.69), (0.57, 0.76), (0.54, 0.86), (0.53, 1.00), (0.05, 1.00), (0.04, 0.80), (0.06, 0.62),
        (0.10, 0.52), (0.18, 0.46), (0.23, 0.37), (0.24, 0.33), (0.30, 0.30), (0.36, 0.27), (0.33, 0.22),
        (0.30, 0.16),
    ],
    "hopper": [  # Grace Hopper, in uniform
        (0.35, 0.06), (0.45, 0.04), (0.55, 0.04), (0.66, 0.08), (0.69, 0.12), (0.72, 0.22), (0.73, 0.30),
        (0.70, 0.42), (0.66, 0.50), (0.66, 0.55), (0.70, 0.58), (0.85, 0.62), (0.95, 0.66), (0.98, 0.75),
        (1.00, 0.85), (1.00, 1.00), (0.02, 1.00), (0.03, 0.80), (0.06, 0.68), (0.18, 0.60), (0.33, 0.55),
        (0.36, 0.52), (0.32, 0.45), (0.30, 0.35), (0.30, 0.22), (0.33, 0.12),
    ],
    "camera": [  # a cameraman at his tripod (the camera and tripod are not him)
        (0.36, 0.15), (0.42, 0.12), (0.50, 0.15), (0.53, 0.22), (0.52, 0.28), (0.50, 0.33), (0.53, 0.35),
        (0.60, 0.34), (0.64, 0.37), (0.62, 0.43), (0.56, 0.47), (0.52, 0.46), (0.50, 0.55), (0.40, 0.60),
        (0.32, 0.60), (0.30, 0.70), (0.28, 0.80), (0.25, 0.90), (0.27, 1.00), (0.00, 1.00), (0.00, 0.50),
        (0.05, 0.42), (0.15, 0.30), (0.25, 0.22), (0.32, 0.22), (0.33, 0.18),
    ],
}
WITHOUT_PEOPLE = ("chelsea", "coffee", "rocket")  # a cat's face filling the frame, a cup, a launch


def photo(name: str) -> np.ndarray:
    """A sample photo as an (H, W, 3) float32 array in [0, 1]."""
    import skimage.data

    if name == "hopper":
        import matplotlib.cbook
        from PIL import Image

        with Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg")) as image:
            pixels = np.asarray(image.convert("RGB"))
    else:
        pixels = getattr(skimage.data, name)()
    if pixels.ndim == 2:
        pixels = np.stack([pixels] * 3, axis=-1)
    return pixels.astype(np.float32) / 255.0


def person_reference(name: str, shape: tuple[int, int]) -> np.ndarray:
    """The hand-drawn outline of the person in photo `name`, filled, as an (H, W) bool mask."""
    from PIL import Image, ImageDraw

    height, width = shape
    mask = Image.new("L", (width, height), 0)
    ImageDraw.Draw(mask).polygon([(x * width, y * height) for x, y in PERSON_OUTLINES[name]], fill=1)
    return np.asarray(mask, bool)


def iou(found: np.ndarray, reference: np.ndarray) -> float:
    """Intersection over union of two (H, W) bool masks."""
    return float((found & reference).sum() / max((found | reference).sum(), 1))
