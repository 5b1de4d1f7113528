"""The quality numbers of nst/quality.py on images whose answers are known."""

import numpy as np
import pytest

from nst.quality import blockiness, colour_distance, measure, structure


def _gradient(size: int = 256) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size] / (size - 1)
    return np.stack([x, y, 0.5 + 0.5 * x * y], axis=-1).astype(np.float32)


def _blocks(size: int = 256, cells: int = 6) -> np.ndarray:
    """The gradient posterised into flat cells: the staircase of an L1 total-variation minimum."""
    return (np.floor(_gradient(size) * cells) / cells).astype(np.float32)


def _texture(size: int = 256, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(_gradient(size) * 0.7 + rng.uniform(0, 0.3, (size, size, 3)), 0, 1).astype(np.float32)


def test_a_flat_patch_image_is_blocky_and_a_smooth_gradient_is_not():
    assert blockiness(_blocks()) > 0.7
    assert blockiness(_gradient()) == 0.0
    y, x = np.mgrid[0:128, 0:128] / 127
    assert blockiness(np.stack([x, x, x], -1)) == 0.0  # a horizontal ramp has no steps either
    assert blockiness(np.full((64, 64, 3), 0.3, np.float32)) == 0.0
    assert blockiness(_texture()) < 0.1


def test_a_gradient_rounded_to_8_bits_is_still_smooth():
    eight_bit = np.round(_gradient(512) * 255) / 255  # steps of one level every two pixels
    assert blockiness(eight_bit) < 0.05


def test_blockiness_grows_as_blocks_replace_texture():
    texture, blocks = _texture(), _blocks()
    scores = [blockiness((1 - t) * texture + t * blocks) for t in (0.0, 0.5, 0.9, 1.0)]
    assert scores == sorted(scores) and scores[-1] - scores[0] > 0.5


def test_identical_colour_distributions_have_distance_zero_whatever_the_layout():
    image = _texture()
    shuffled = np.random.default_rng(1).permutation(image.reshape(-1, 3)).reshape(image.shape)
    assert colour_distance(image, image) == pytest.approx(0.0, abs=1e-9)
    assert colour_distance(image, shuffled) == pytest.approx(0.0, abs=1e-6)
    half = image[::2, ::2]  # the same colours at another size
    assert colour_distance(image, half) < 0.5


def test_colour_distance_grows_with_the_colour_change_and_is_symmetric():
    image = _texture()
    tinted = [np.clip(image + np.array([t, 0, -t], np.float32), 0, 1) for t in (0.05, 0.1, 0.2)]
    distances = [colour_distance(image, other) for other in tinted]
    assert distances[0] > 1.0  # a 5% tint is a visible colour difference (Delta-E above 1)
    assert distances == sorted(distances)
    assert colour_distance(tinted[1], image) == pytest.approx(distances[1], rel=0.05)


def test_structure_is_high_for_the_photo_and_low_for_an_unrelated_image():
    photo = _blocks(cells=4) * 0.8 + 0.1 * _gradient()
    ssim, edges = structure(photo, photo)
    assert ssim == pytest.approx(1.0) and edges == pytest.approx(1.0)
    noise = np.random.default_rng(2).uniform(0, 1, photo.shape).astype(np.float32)
    assert max(structure(noise, photo)) < 0.2
    textured = np.clip(photo + np.random.default_rng(3).normal(0, 0.05, photo.shape), 0, 1)  # strokes on the photo
    assert min(structure(textured, photo)) > 0.6


def test_measure_puts_the_numbers_together():
    photo, painting = _gradient(), _texture()
    quality = measure(photo, photo, painting)
    assert quality.ssim == pytest.approx(1.0)
    assert quality.colour == pytest.approx(colour_distance(photo, painting))
    assert set(quality.as_dict()) == {"colour", "ssim", "edges", "blockiness", "contours", "strokes", "flat_hatching",
                                      "border"}
    assert quality.border == pytest.approx(0.0, abs=1e-6)  # the photo against itself


def test_stroke_scale_follows_the_size_of_the_marks():
    """Noise blurred to larger and larger blobs scores larger and larger marks, from about a pixel."""
    from scipy import ndimage

    from nst.quality import band_energies, stroke_scale

    noise = np.random.default_rng(0).uniform(0, 1, (256, 256))
    scales = []
    for sigma in (0, 2, 8):
        blobs = ndimage.gaussian_filter(noise, sigma) if sigma else noise
        blobs = (blobs - blobs.min()) / (blobs.max() - blobs.min())
        scales.append(stroke_scale(np.repeat(blobs[..., None], 3, axis=-1)))
        assert band_energies(np.repeat(blobs[..., None], 3, axis=-1)).sum() == pytest.approx(1.0)
    assert scales[0] < 1.5 < 3 < scales[1] < 8 < scales[2]


def test_flat_hatching_sees_marks_where_the_photo_is_flat_only():
    """Hatching laid over a sky (flat in the photo) counts; the same marks over the photo's busy half do not."""
    from nst.quality import flat_hatching

    photo = np.full((128, 128, 3), 0.6, np.float32)
    photo[:, 64:] = _texture()[:128, :64]  # busy right half, flat left half
    hatch = 0.1 * np.sign(np.sin((np.arange(128)[:, None] + np.arange(128)[None, :]) * 1.5))[..., None]
    over_sky, over_busy = photo.copy(), photo.copy()
    over_sky[:, :64] += hatch[:, :64]
    over_busy[:, 64:] += hatch[:, 64:]
    assert flat_hatching(photo, photo) < 1.0
    assert flat_hatching(np.clip(over_sky, 0, 1), photo) > 10 * max(flat_hatching(np.clip(over_busy, 0, 1), photo), 1.0)


def test_contour_recall_keeps_brushwork_and_catches_a_subject_that_moved_or_melted(assets):
    """Fine texture over the photo keeps its contours; the same picture shifted (the subject is not
    where it was) or noise keeps about half, the chance level."""
    from nst.images import load_image
    from nst.quality import contour_recall

    photo = load_image(assets / "content/astronaut.jpg", 256)
    rng = np.random.default_rng(0)
    assert contour_recall(photo, photo) == 1.0
    assert contour_recall(np.clip(photo + rng.normal(0, 0.15, photo.shape), 0, 1), photo) > 0.95
    assert contour_recall(np.roll(photo, 20, axis=1), photo) < 0.6
    assert contour_recall(rng.uniform(0, 1, photo.shape), photo) < 0.6


def test_border_strip_sees_a_painted_edge_not_the_photo_s_own():
    from nst.quality import border_strip

    rng = np.random.default_rng(0)
    photo = np.clip(0.5 + 0.1 * rng.standard_normal((64, 80, 3)), 0, 1).astype(np.float32)
    photo[:2] = 0.9  # the photo's own light top rows: not a strip the run made
    assert border_strip(photo, photo) < 1.0
    striped = photo.copy()
    striped[:, -2:] += 0.1  # 25 levels lighter along the right edge
    assert 20 < border_strip(np.clip(striped, 0, 1), photo) < 30
