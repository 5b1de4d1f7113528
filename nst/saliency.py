"""Where the photo's subject is: a saliency map that weights the content term (Settings.saliency).

Method: OpenCV's fine-grained static saliency (Montabone & Soto 2010, centre-surround differences of
intensity at many scales; `opencv-contrib-python-headless`, maintained by the OpenCV project). It
marks detailed, high-contrast structure (a face, a cup, a figure) bright and plain surfaces (sky,
wall, a blurred background) dark, in about 10-30 ms at 512 px. A Gaussian blur over SPREAD of the
image's longer side turns its fine outlines into areas, so the content weight covers the subject and
not only its contours. OpenCV's spectral-residual method was tried too and gave blobs
that missed thin subjects (a rocket on its launch pad); BENCHMARKS.md has no numbers for this, the
choice was made by looking at the maps of the sample photos.
"""

from __future__ import annotations

import numpy as np

from .errors import NSTError

SPREAD = 0.03


def saliency_map(image: np.ndarray) -> np.ndarray:
    """(H, W) saliency in [0, 1] of an (H, W, 3) RGB image in [0, 1] (1 = most salient)."""
    try:
        import cv2
    except ImportError as exc:  # requirements.txt installs it; say what is missing rather than fail obscurely
        raise NSTError(
            "Saliency needs OpenCV's contrib modules: pip install opencv-contrib-python-headless."
        ) from exc
    from scipy.ndimage import gaussian_filter

    bgr = np.ascontiguousarray((np.clip(image, 0, 1) * 255).astype(np.uint8)[..., ::-1])
    found, salience = cv2.saliency.StaticSaliencyFineGrained_create().computeSaliency(bgr)
    if not found:
        return np.full(image.shape[:2], 0.5, np.float32)
    salience = gaussian_filter(salience.astype(np.float32), SPREAD * max(image.shape[:2]))
    low, high = float(salience.min()), float(salience.max())
    if high - low < 1e-6:  # a flat image: nothing stands out
        return np.full(image.shape[:2], 0.5, np.float32)
    return (salience - low) / (high - low)
