"""The README's semantic style transfer examples, rebuilt from the samples in assets/.

    python -m bench.make_examples [--size 256] [--weights imagenet|offline] [--only regions|people|blend|saliency|edges]

Writes one contact sheet per example into bench/examples/ (photo and paintings, then the results
side by side, each captioned with what changed). Every run uses the engine's defaults apart from the
settings named in the caption. With `--weights imagenet` and no download possible, the engine falls
back to the offline VGG16 and says so; the sheets say which network ran.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from nst import Finished, Notice, Settings, load_image, stylise
from nst.people import region_probabilities
from nst.regions import labels_of, overlay, segment
from nst.saliency import saliency_map
from tests.harness.people import photo as sample_photo

ROOT = Path(__file__).resolve().parent.parent

ASSETS = ROOT / "assets"
OUT = ROOT / "bench" / "examples"
TILE = 256


def tile(image: np.ndarray, caption: str) -> Image.Image:
    """An image fitted into a TILE x TILE square, with a caption band under it."""
    picture = Image.fromarray((np.clip(image, 0, 1) * 255).astype(np.uint8))
    picture.thumbnail((TILE, TILE), Image.Resampling.LANCZOS)
    card = Image.new("RGB", (TILE, TILE + 34), "white")
    card.paste(picture, ((TILE - picture.width) // 2, (TILE - picture.height) // 2))
    draw = ImageDraw.Draw(card)
    for line, text in enumerate(caption.split("\n")[:2]):
        draw.text((4, TILE + 3 + 15 * line), text, fill="black")
    return card


def sheet(rows: list[list[Image.Image]], path: Path) -> None:
    width = max(len(r) for r in rows) * (TILE + 6)
    height = len(rows) * (TILE + 40)
    canvas = Image.new("RGB", (width, height), "white")
    for y, row in enumerate(rows):
        for x, card in enumerate(row):
            canvas.paste(card, (x * (TILE + 6), y * (TILE + 40)))
    canvas.save(path, quality=88)
    print("wrote", path.relative_to(ROOT))


def run(content: str | np.ndarray, styles: list[str], settings: Settings, **kwargs) -> tuple[np.ndarray, str]:
    """The finished image and which network made it; `content` a sample's name or a photo."""
    network = settings.weights
    sources = [ASSETS / "styles" / f"{s}.jpg" for s in styles]
    source = ASSETS / "content" / f"{content}.jpg" if isinstance(content, str) else content
    for event in stylise(source, sources if len(sources) > 1 else sources[0], settings, **kwargs):
        if isinstance(event, Notice) and "offline" in event.text:
            network = "offline (fallback)"
        if isinstance(event, Finished):
            name = content if isinstance(content, str) else "photo"
            print(f"  {name} x {'+'.join(styles)}: {event.message} {event.elapsed:.0f} s", flush=True)
            return event.image, network
    raise AssertionError("no Finished event")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--weights", default="imagenet")
    parser.add_argument("--only", choices=("regions", "people", "blend", "saliency", "edges"), help="make one sheet only")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    base = Settings(size=args.size, weights=args.weights)

    def photo(name: str) -> np.ndarray:
        return load_image(ASSETS / "content" / f"{name}.jpg", args.size)

    def painting(name: str) -> np.ndarray:
        return load_image(ASSETS / "styles" / f"{name}.jpg", args.size)

    def wanted(name: str) -> bool:
        return args.only in (None, name)

    if wanted("regions"):
        regions_sheet(base, photo, painting, args.size)
    if wanted("people"):
        people_sheet(base, painting, args.size)
    if wanted("blend"):
        blend_sheet(base, photo, painting)
    if wanted("saliency"):
        saliency_sheet(base, photo, painting)
    if wanted("edges"):
        edges_sheet(base, photo, painting)


def regions_sheet(base: Settings, photo, painting, size: int) -> None:
    """The sky like The Starry Night, the launch site like The Great Wave or kept as it is."""
    rocket = photo("rocket")
    labels = segment(rocket, 2)
    regions, network = run("rocket", ["starry_night", "great_wave"], base.replace(segments=2, segment_styles=(1, 2)))
    sky_only, _ = run("rocket", ["starry_night"], base.replace(segments=2, segment_styles=(1, 0)))
    everywhere, _ = run("rocket", ["starry_night"], base)
    sheet([[tile(rocket, "photo"), tile(overlay(rocket, labels), "automatic regions (2)"),
            tile(painting("starry_night"), "painting 1"), tile(painting("great_wave"), "painting 2")],
           [tile(everywhere, "painting 1 everywhere"), tile(regions, "region 1: painting 1\nregion 2: painting 2"),
            tile(sky_only, "region 1: painting 1\nregion 2: keep the photo"),
            tile(np.ones((8, 8, 3)), f"{size} px, {network} weights")]], OUT / "regions.jpg")


def people_sheet(base: Settings, painting, size: int) -> None:
    """Grace Hopper (Matplotlib's sample photo): a painting on the person and another on the background,
    then her face kept as it is, her hair and uniform and the background painted."""
    from nst.images import resize_array

    hopper = sample_photo("hopper")
    hopper = resize_array(hopper, (size, round(size * hopper.shape[1] / hopper.shape[0])))
    person = labels_of(region_probabilities(hopper, "person"))
    face = labels_of(region_probabilities(hopper, "face"))
    by_person, network = run(hopper, ["starry_night", "the_scream"], base.replace(segmenter="person", segment_styles=(1, 2)))
    by_face, _ = run(hopper, ["starry_night", "the_scream"], base.replace(segmenter="face", segment_styles=(0, 1, 2)))
    sheet([[tile(hopper, "photo"), tile(overlay(hopper, person), "person (1), background (2)"),
            tile(overlay(hopper, face), "face (1), hair and body (2),\nbackground (3)"),
            tile(painting("starry_night"), "painting 1"), tile(painting("the_scream"), "painting 2")],
           [tile(by_person, "person: painting 1\nbackground: painting 2"),
            tile(by_face, "face: the photo, hair and body:\npainting 1, background: painting 2"),
            tile(np.ones((8, 8, 3)), f"{size} px, {network} weights")]], OUT / "people.jpg")


def blend_sheet(base: Settings, photo, painting) -> None:
    """Two paintings blended at three weights."""
    cat = photo("cat")
    blends = [(1.0, 0.0), (0.5, 0.5), (0.0, 1.0)]
    results = [run("cat", ["the_scream", "water_lilies"], base.replace(style_blend=b))[0] for b in blends]
    sheet([[tile(cat, "photo"), tile(painting("the_scream"), "painting 1"), tile(painting("water_lilies"), "painting 2")],
           [tile(r, f"blend {a:g} / {b:g}") for r, (a, b) in zip(results, blends)]], OUT / "blend.jpg")


def saliency_sheet(base: Settings, photo, painting) -> None:
    """The subject keeps its structure, the background takes the painting."""
    astronaut = photo("astronaut")
    plain, _ = run("astronaut", ["udnie"], base)
    salient, _ = run("astronaut", ["udnie"], base.replace(saliency=10.0))
    sheet([[tile(astronaut, "photo"), tile(saliency_map(astronaut), "saliency map"), tile(painting("udnie"), "painting")],
           [tile(plain, "saliency 0 (off)"), tile(salient, "saliency 10")]], OUT / "saliency.jpg")


def edges_sheet(base: Settings, photo, painting) -> None:
    """The edge term keeps the photo's outlines crisp."""
    coffee = photo("coffee")
    soft, _ = run("coffee", ["woman_with_a_hat"], base)
    crisp, _ = run("coffee", ["woman_with_a_hat"], base.replace(edge_weight=EDGE_EXAMPLE))
    sheet([[tile(coffee, "photo"), tile(painting("woman_with_a_hat"), "painting")],
           [tile(soft, "edge weight 0 (off)"), tile(crisp, f"edge weight {EDGE_EXAMPLE:g}")]], OUT / "edges.jpg")


EDGE_EXAMPLE = 1e7

if __name__ == "__main__":
    main()
