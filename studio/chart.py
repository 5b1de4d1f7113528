"""The live loss chart: the total and each term of the objective against step."""

from __future__ import annotations

import altair as alt
import pandas as pd

from nst.events import Losses
from nst.report import term_colours

SIZE_CHANGE_NOTE = (
    "Dashed lines: the run moves to a larger size there (coarse-to-fine). The enlarged image is blurrier "
    "than the painting's strokes at the new size, so the loss jumps; it then falls again. Compare the "
    "curves within one size."
)


def loss_chart(history: list[Losses], height: int = 280, sizes: list[tuple[int, tuple[int, int]]] = ()) -> alt.Chart:
    """The total and each term of the objective against step, log scale, with a dashed line where
    a coarse-to-fine run moves to its next size (`sizes`: (first step, (height, width)) of each)."""
    colours = term_colours(Losses.names(history))
    frame = pd.DataFrame(
        {"step": range(1, len(history) + 1), "total": [h.total for h in history],
         **{name: [h[name] for h in history] for name in Losses.names(history)}}
    ).melt("step", var_name="loss", value_name="value")
    frame = frame[frame["value"] > 0]  # a log axis cannot show the content term's exact zero at step 1
    lines = (
        alt.Chart(frame)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("step:Q", title="step", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("value:Q", scale=alt.Scale(type="log"), title="loss (log scale)", axis=alt.Axis(format="~s")),
            color=alt.Color(
                "loss:N", sort=list(colours),
                scale=alt.Scale(domain=list(colours), range=list(colours.values())),
                legend=alt.Legend(orient="top", title=None, columns=5, columnPadding=6, symbolSize=40),
            ),
        )
        .properties(height=height)
    )
    changes = pd.DataFrame([{"step": step, "size": f"{w}×{h} px", "row": 2 + 14 * index}  # one label row each
                            for index, (step, (h, w)) in enumerate(sizes[1:]) if step <= len(history)])
    if changes.empty:
        return lines
    rules = alt.Chart(changes).mark_rule(strokeDash=[4, 3], color="#555").encode(x="step:Q", tooltip=["size:N"])
    labels = alt.Chart(changes).mark_text(align="left", dx=3, baseline="top", color="#555", fontSize=11).encode(
        x="step:Q", y=alt.Y("row:Q", scale=None), text="size:N"
    )
    return alt.layer(lines, rules, labels)


