"""Loss histories as CSV and as matplotlib plots (the total and each term, log scale)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure

from .events import Losses

TERM_COLOURS = {"total": "#222222", "content": "#1f77b4", "style": "#ff7f0e", "tv": "#2ca02c", "edge": "#9467bd"}
OTHER_COLOURS = ("#8c564b", "#e377c2", "#17becf", "#bcbd22")


def term_colours(names: Sequence[str]) -> dict[str, str]:
    """A fixed colour per curve (total first), so the app's chart and the saved plot agree."""
    others = iter(OTHER_COLOURS * 4)
    return {name: TERM_COLOURS.get(name) or next(others) for name in ("total", *names)}


def csv_text(history: Sequence[Losses]) -> str:
    """step, total, then one column per term."""
    names = Losses.names(history)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["step", "total", *names])
    for step, losses in enumerate(history, start=1):
        writer.writerow([step, losses.total, *(losses[name] for name in names)])
    return buffer.getvalue()


def write_csv(history: Sequence[Losses], path: str | Path) -> None:
    Path(path).write_text(csv_text(history))


def loss_figure(history: Sequence[Losses], title: str = "Loss") -> Figure:
    """The total and each term against step on a log scale (a pyplot-free, thread-safe Figure)."""
    figure = Figure(figsize=(6, 3.4), dpi=110, layout="constrained")
    axes = figure.add_subplot()
    steps = range(1, len(history) + 1)
    for name, colour in term_colours(Losses.names(history)).items():
        values = [h.total if name == "total" else h[name] for h in history]
        values = [v if v > 0 else float("nan") for v in values]  # a log axis cannot show zeros
        axes.plot(steps, values, label=name, color=colour, linewidth=1.6 if name == "total" else 1.2)
    axes.set_yscale("log")
    axes.set_xlabel("step")
    axes.set_ylabel("weighted loss")
    axes.set_title(title.replace("$", r"\$"))  # a file name's text, never mathtext
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    return figure


def plot_png(history: Sequence[Losses], title: str = "Loss") -> bytes:
    buffer = io.BytesIO()
    loss_figure(history, title).savefig(buffer, format="png")
    return buffer.getvalue()


def save_plot(history: Sequence[Losses], path: str | Path, title: str = "Loss") -> None:
    loss_figure(history, title).savefig(path)
