"""Generated clips for the video tests and benchmarks."""

import numpy as np


def moving_square(frames: int = 10, size: int = 64, seed: int = 0) -> list[np.ndarray]:
    """A square of blotchy texture moving 3 px a frame over a noisy gradient."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / (size - 1)
    background = np.clip(np.stack([0.3 + 0.4 * x, 0.4 + 0.3 * y, 0.6 - 0.2 * x], -1)
                         + 0.08 * rng.standard_normal((size, size, 3)), 0, 1)
    from scipy.ndimage import gaussian_filter

    texture = gaussian_filter(rng.uniform(0, 1, (20, 20, 3)), (1.5, 1.5, 0)) * 1.5 + np.array([-0.1, 0.0, 0.1])
    clip = []
    for k in range(frames):
        frame = background.copy()
        frame[20:40, 8 + 3 * k : 28 + 3 * k] = texture
        clip.append(frame.astype(np.float32))
    return clip
