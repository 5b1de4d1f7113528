"""Series of small runs for a class: the classic reconstructions and a trade-off grid.

Each function turns a run's settings into a list of labelled settings; whoever shows them (the
studio's "Inside the network" page) runs them one after another through the usual engine, so a
series is nothing but ordinary runs.

- `content_reconstructions`: Gatys et al. (2016), figure 1, bottom row: start from noise and match
  only the photo's activations at one layer, block1 to block5, with the settings' smoothness (TV) as
  a natural-image prior (Mahendran & Vedaldi 2015): without it the deep layers, which do not constrain
  single pixels, leave the start's coloured noise in place. Shallow layers keep the pixels; deep
  layers keep the parts (eyes, outlines) and lose the exact picture.
- `style_reconstructions`: figure 1, top row: start from noise and match only the painting's Gram
  matrices at block1, then block1 and block2, up to block1 to block5. The texture grows in scale.
- `tradeoff_grid`: the same pair with the style weight multiplied by a few factors (and optionally
  the TV weight): the ratio of the weights decides the look.
"""

from __future__ import annotations

from collections.abc import Sequence

from .settings import Settings

LESSON_SIZE = 128  # small, so that a series of 5 to 10 runs takes a minute or two on a laptop's CPU; and no
# smaller: block5 has 8x8 locations there, and at 64 px its 4x4 keep nothing you could recognise
LESSON_STEPS = 60
BLOCKS = (1, 2, 3, 4, 5)
STYLE_FACTORS = (0.1, 1.0, 10.0)


def lesson_settings(base: Settings, size: int = LESSON_SIZE, steps: int = LESSON_STEPS) -> Settings:
    """`base` made small and quick for a series: one size, L-BFGS (few steps go far), the plain
    objective's terms only (no regions, saliency, edge or palette term) and a preview every 10 steps."""
    return base.replace(
        size=size, steps=steps, scales=1, optimizer="lbfgs", learning_rate=None, outputs=1, preview_every=10,
        segments=0, segment_styles=None, saliency=0.0, edge_weight=0.0, palette_weight=0.0,
    )


def content_reconstructions(base: Settings, blocks: Sequence[int] = BLOCKS) -> list[tuple[str, Settings]]:
    """From noise, the photo's content at blockN_conv2 only (no style; the settings' smoothness)."""
    return [
        (f"content of block{n}_conv2",
         base.replace(content_layers=(f"block{n}_conv2",), style_weight=0.0, init="noise"))
        for n in blocks
    ]


def style_reconstructions(base: Settings, blocks: Sequence[int] = BLOCKS) -> list[tuple[str, Settings]]:
    """From noise, the painting's Gram matrices at block1_conv1 up to blockN_conv1 (no content)."""
    return [
        (f"style of block1 to block{n}" if n > 1 else "style of block1",
         base.replace(style_layers=tuple(f"block{k}_conv1" for k in range(1, n + 1)), style_layer_weights=None,
                      content_weight=0.0, init="noise"))
        for n in blocks
    ]


def tradeoff_grid(
    base: Settings, style_factors: Sequence[float] = STYLE_FACTORS, tv_factors: Sequence[float] = (1.0,)
) -> list[tuple[str, Settings]]:
    """The style weight times each factor (columns), for each TV factor (rows), row by row."""
    grid = []
    for tv in tv_factors:
        for factor in style_factors:
            settings = base.replace(style_weight=base.style_weight * factor, tv_weight=base.tv_weight * tv)
            label = f"style ×{factor:g}" + (f", TV ×{tv:g}" if len(tv_factors) > 1 else "")
            grid.append((f"{label} (style/content {settings.style_weight / settings.content_weight:.0e})"
                         if settings.content_weight else label, settings))
    return grid
