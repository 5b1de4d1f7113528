import numpy as np
import pytest
from skimage.color import rgb2yiq, yiq2rgb

from nst import NSTError, Settings, load_image, stylise
from nst.colour import Adjustments, Look, adjust, finish, luminance_only, match_palette, palette_start


def histogram_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over RGB channels of the 1-D Wasserstein distance between the value distributions
    (mean absolute difference of 256 matching quantiles)."""
    q = np.linspace(0, 1, 256)
    return float(np.mean([np.abs(np.quantile(a[..., c], q) - np.quantile(b[..., c], q)).mean() for c in range(3)]))


@pytest.fixture
def images(assets):
    content = load_image(assets / "content" / "coffee.jpg", 128)
    style = load_image(assets / "styles" / "swirls.jpg", 128)
    # a stand-in for a stylised result: the content's structure in the style's colours
    stylised = match_palette(content, style)
    return content, style, stylised


def test_luminance_only_keeps_content_chroma_and_stylised_luminance(images):
    content, _, stylised = images
    out = luminance_only(stylised, content)
    swapped = rgb2yiq(content)
    swapped[..., 0] = rgb2yiq(stylised)[..., 0]
    unclipped = yiq2rgb(swapped)
    inside = np.all((unclipped >= 0) & (unclipped <= 1), axis=-1)  # colours that exist in RGB
    assert inside.mean() > 0.8  # most need no clipping, and there the swap is exact
    got, want_chroma, want_luma = rgb2yiq(out), rgb2yiq(content), rgb2yiq(stylised)
    np.testing.assert_allclose(got[inside][:, 1:], want_chroma[inside][:, 1:], atol=1e-5)
    np.testing.assert_allclose(got[inside][:, 0], want_luma[inside][:, 0], atol=1e-5)


@pytest.mark.parametrize("target", ["content", "style"])
def test_histogram_matching_moves_the_result_towards_the_target(images, target):
    content, style, stylised = images
    reference = {"content": content, "style": style}[target]
    start = stylised if target == "content" else content
    matched = finish(start, content, style, Look(match=target))
    assert histogram_distance(matched, reference) < 0.25 * histogram_distance(start, reference)


def test_style_palette_matching_before_the_run(images):
    content, style, _ = images
    recoloured = match_palette(style, content)
    assert histogram_distance(recoloured, content) < 0.25 * histogram_distance(style, content)
    # the engine recolours the painting before the run: starting from it, a (nearly) frozen run shows
    # the photo's palette, and the style targets (so the style loss of the same first image) change
    frozen = Settings(size=64, steps=1, scales=1, weights="random", optimizer="adam", learning_rate=1e-9, init="style")
    kept, recoloured = (list(stylise(content, style, frozen.replace(style_colours=c)))[-1] for c in ("keep", "content"))
    assert recoloured.reason == kept.reason == "completed"
    assert histogram_distance(recoloured.image, content) < 0.5 * histogram_distance(kept.image, content)
    assert recoloured.history[0]["style"] != pytest.approx(kept.history[0]["style"], rel=1e-3)


def test_a_palette_start_is_the_photo_in_the_paintings_colours(images, assets):
    content, style, _ = images
    frozen = Settings(size=64, steps=1, scales=1, weights="random", optimizer="adam", learning_rate=1e-9)
    photo_start, palette = (list(stylise(content, style, frozen.replace(init=i)))[-1].image for i in ("content", "palette"))
    small = load_image(assets / "styles" / "swirls.jpg", 64)
    assert histogram_distance(palette, small) < 0.25 * histogram_distance(photo_start, small)
    # the photo's layout stays: the recoloured start still follows the photo's light and dark
    assert np.corrcoef(rgb2yiq(palette)[..., 0].ravel(), rgb2yiq(photo_start)[..., 0].ravel())[0, 1] > 0.8


def test_a_palette_start_follows_regions_and_blends(images):
    content, style, _ = images
    red = np.zeros_like(style) + np.array([0.9, 0.2, 0.1], dtype=np.float32)
    left = np.zeros(content.shape[:2], np.float32)
    left[:, : content.shape[1] // 2] = 1.0
    regions = palette_start(content, [style, red], [1.0, 1.0], [left, np.zeros_like(left)])
    half = content.shape[1] // 2
    assert histogram_distance(regions[:, :half], style) < 0.25 * histogram_distance(content[:, :half], style)
    np.testing.assert_array_equal(regions[:, half:], content[:, half:])  # no painting paints there: the photo
    # a blend pools the paintings' colours in its shares: more red, the redder the start
    reds = [palette_start(content, [style, red], list(blend))[..., 0].mean() for blend in ((1, 0), (1, 1), (1, 3))]
    assert reds[0] < reds[1] < reds[2]


def test_saturation_zero_is_grey(images):
    out = adjust(images[2], Adjustments(saturation=0.0))
    np.testing.assert_allclose(out[..., 0], out[..., 1], atol=1e-6)
    np.testing.assert_allclose(out[..., 1], out[..., 2], atol=1e-6)


def test_hue_shift_of_360_degrees_is_the_identity(images):
    image = images[2]
    np.testing.assert_allclose(adjust(image, Adjustments(hue=360.0)), image, atol=1e-6)
    assert np.abs(adjust(image, Adjustments(hue=120.0)) - image).mean() > 0.05  # and 120 is not


def test_strength_blends_between_content_and_stylised(images):
    content, style, stylised = images
    np.testing.assert_allclose(finish(stylised, content, style, Look(strength=0.0)), content, atol=1e-6)
    np.testing.assert_allclose(finish(stylised, content, style, Look(strength=1.0)), stylised, atol=1e-6)
    half = finish(stylised, content, style, Look(strength=0.5))
    np.testing.assert_allclose(half, (content + stylised) / 2, atol=1e-6)


def test_brightness_contrast_gamma_move_statistics(images):
    image = images[2]
    assert adjust(image, Adjustments(brightness=1.3)).mean() > image.mean() + 0.03
    assert adjust(image, Adjustments(contrast=0.5)).std() < 0.6 * image.std()
    assert adjust(image, Adjustments(gamma=2.0)).mean() > image.mean() + 0.05


def test_bad_look_values_are_clear_errors():
    with pytest.raises(NSTError, match="strength"):
        Look(strength=1.5)
    with pytest.raises(NSTError, match="match must be"):
        Look(match="sepia")
    with pytest.raises(NSTError, match="positive"):
        Look(adjustments=Adjustments(gamma=0.0))
    for field in ("brightness", "contrast", "saturation", "hue", "gamma"):
        for value in (float("nan"), float("inf"), -float("inf")):
            with pytest.raises(NSTError, match=f"{field} must be a finite number"):
                Look(adjustments=Adjustments(**{field: value}))
    with pytest.raises(NSTError, match="strength must be a finite number"):
        Look(strength=float("nan"))
