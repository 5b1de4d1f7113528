from pathlib import Path

import numpy as np
import pytest

ASSETS = Path(__file__).resolve().parent.parent / "assets"


@pytest.fixture(scope="session")
def assets() -> Path:
    return ASSETS


@pytest.fixture
def tiny_pair() -> tuple[np.ndarray, np.ndarray]:
    """A 64 px content/style pair with structure (gradients and stripes) for mechanics tests."""
    y, x = np.mgrid[0:64, 0:64] / 63.0
    content = np.stack([x, y, 1 - x * y], axis=-1).astype(np.float32)
    stripes = (np.sin(x * 25) > 0).astype(np.float32)
    style = np.stack([stripes, 1 - stripes, 0.5 * np.ones_like(x)], axis=-1)
    return content, style
