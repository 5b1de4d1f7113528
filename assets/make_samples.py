"""Rebuild the sample images in assets/ (run from the repo root: python assets/make_samples.py).

Photos and two textures are scikit-image's bundled public-domain / CC0 images, resized to at most
512 px; two paintings are rendered here from a fixed seed; eight public-domain paintings are copied,
resized, from the project's shared image folder (`../shared/nst-images/styles`, next to the repo) when
it is there. Provenance: assets/SOURCES.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from skimage import data

HERE = Path(__file__).parent
SIZE = 512
SHARED_PAINTINGS = HERE.parent.parent / "shared" / "nst-images" / "styles"
PAINTINGS = {  # file in the shared folder -> sample name (the provenance is in SOURCES.md)
    "starry_night.jpg": "starry_night", "the_scream.jpg": "the_scream", "great_wave_hokusai.jpg": "great_wave",
    "shipwreck_of_the_minotaur.jpg": "shipwreck", "woman_with_a_hat_matisse.jpg": "woman_with_a_hat",
    "udnie_picabia.jpg": "udnie", "water_lilies_1919_monet.jpg": "water_lilies",
    "cherry_tree_screen_sakai_hoitsu.jpg": "cherry_tree",
}


def save(image: Image.Image, path: Path) -> None:
    image = image.convert("RGB")
    image.thumbnail((SIZE, SIZE), Image.Resampling.LANCZOS)
    image.save(path, quality=90, optimize=True)
    print(path.relative_to(HERE.parent), image.size)


def swirls(seed: int = 7) -> Image.Image:
    """Short curved brush strokes following a swirling flow field, in night-sky blues and yellows."""
    rng = np.random.default_rng(seed)
    canvas = Image.new("RGB", (SIZE, SIZE), (20, 40, 90))
    draw = ImageDraw.Draw(canvas)
    palette = np.array([(28, 56, 120), (40, 90, 160), (90, 140, 200), (235, 205, 80), (250, 235, 150), (16, 30, 70)])
    centres = rng.uniform(0, SIZE, (6, 2))
    for _ in range(5000):
        x, y = rng.uniform(0, SIZE, 2)
        colour = tuple(int(c) for c in np.clip(palette[rng.integers(len(palette))] + rng.normal(0, 12, 3), 0, 255))
        points = [(x, y)]
        for _ in range(12):
            angle = sum(np.arctan2(y - cy, x - cx) + np.pi / 2 for cx, cy in centres[:2]) / 2
            angle += 0.8 * np.sin(x / 53.0) * np.cos(y / 41.0)
            x, y = x + 4 * np.cos(angle), y + 4 * np.sin(angle)
            points.append((x, y))
        draw.line(points, fill=colour, width=int(rng.integers(3, 7)), joint="curve")
    return canvas.filter(ImageFilter.SMOOTH)


def mosaic(seed: int = 3, cells: int = 260) -> Image.Image:
    """Stained glass: Voronoi cells in saturated colours with dark leading between them."""
    rng = np.random.default_rng(seed)
    sites = rng.uniform(0, SIZE, (cells, 2))
    palette = np.array([(200, 30, 40), (240, 170, 30), (30, 110, 190), (40, 150, 80), (130, 40, 150), (240, 230, 200)])
    colours = np.clip(palette[rng.integers(len(palette), size=cells)] + rng.normal(0, 18, (cells, 3)), 0, 255)
    ys, xs = np.mgrid[0:SIZE, 0:SIZE]
    pixels = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)
    nearest = np.empty(len(pixels), dtype=np.int64)
    for start in range(0, len(pixels), 32768):
        chunk = pixels[start : start + 32768]
        nearest[start : start + 32768] = ((chunk[:, None, :] - sites[None]) ** 2).sum(-1).argmin(1)
    labels = nearest.reshape(SIZE, SIZE)
    image = colours[labels]
    edges = np.zeros((SIZE, SIZE), bool)
    edges[:-1] |= labels[:-1] != labels[1:]
    edges[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    edges = np.asarray(Image.fromarray(edges.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(5))) > 0
    image[edges] = (25, 20, 20)
    return Image.fromarray(image.astype(np.uint8))


def camera_move(photo: np.ndarray, path: Path, seconds: float = 3.0, fps: int = 12, side: int = 256,
                pan: tuple[float, float] = (0.25, 0.0), zoom: float = 1.15) -> None:
    """A short clip of the photo as a camera would film it: a window of 70% of the photo panning by
    `pan` (fractions of its width and height) while zooming in by `zoom`, at `side` px, H.264 MP4."""
    from fractions import Fraction

    from nst.clips import write_clip  # the project installed (make's `pip install --editable .`)

    height, width = photo.shape[:2]
    frames = []
    count = round(seconds * fps)
    for k in range(count):
        t = k / (count - 1)
        scale = 0.7 / (1 + (zoom - 1) * t)
        w, h = width * scale, height * scale
        x0 = (width - w) * (0.5 - pan[0] / 2 + pan[0] * t)
        y0 = (height - h) * (0.5 - pan[1] / 2 + pan[1] * t)
        crop = Image.fromarray(photo).resize((side, round(side * h / w)), Image.Resampling.LANCZOS,
                                             box=(x0, y0, x0 + w, y0 + h))
        frames.append(np.asarray(crop, np.float32) / 255.0)
    write_clip(frames, Fraction(fps), path)
    print(path.relative_to(HERE.parent), f"{count} frames, {fps} fps, {path.stat().st_size // 1024} KB")


def clips() -> None:
    """The sample clips of the Video page: two camera moves over sample photos (CC0 / public domain)."""
    (HERE / "clips").mkdir(exist_ok=True)
    camera_move(data.chelsea(), HERE / "clips" / "cat_pan.mp4", pan=(0.3, 0.0))
    camera_move(data.rocket(), HERE / "clips" / "rocket_rise.mp4", pan=(0.0, -0.3), zoom=1.1)


def main() -> None:
    photos = {"astronaut": data.astronaut(), "cat": data.chelsea(), "coffee": data.coffee(), "rocket": data.rocket()}
    for name, array in photos.items():
        save(Image.fromarray(array), HERE / "content" / f"{name}.jpg")
    save(Image.fromarray(data.immunohistochemistry()), HERE / "styles" / "stained_tissue.jpg")
    save(Image.fromarray(data.hubble_deep_field()), HERE / "styles" / "deep_field.jpg")
    save(swirls(), HERE / "styles" / "swirls.jpg")
    save(mosaic(), HERE / "styles" / "mosaic.jpg")
    if SHARED_PAINTINGS.is_dir():
        for source, name in PAINTINGS.items():
            save(Image.open(SHARED_PAINTINGS / source), HERE / "styles" / f"{name}.jpg")
    clips()


if __name__ == "__main__":
    main()
