"""Loss histories as CSV and as matplotlib plots (content, style and total loss, log scale)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Sequence

from matplotlib.figure import Figure

from .events import Losses

CSV_COLUMNS = ("step", "total", "content", "style", "tv")


def csv_text(history: Sequence[Losses]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for step, losses in enumerate(history, start=1):
        writer.writerow([step, losses.total, losses.content, losses.style, losses.tv])
    return buffer.getvalue()


def write_csv(history: Sequence[Losses], path: str | Path) -> None:
    Path(path).write_text(csv_text(history))


def loss_figure(history: Sequence[Losses], title: str = "Loss") -> Figure:
    """Content, style and total loss against step on a log scale (a pyplot-free, thread-safe Figure)."""
    figure = Figure(figsize=(6, 3.4), dpi=110, layout="constrained")
    axes = figure.add_subplot()
    steps = range(1, len(history) + 1)
    for name, colour in (("total", "black"), ("content", "tab:blue"), ("style", "tab:orange")):
        values = [v if (v := getattr(h, name)) > 0 else float("nan") for h in history]  # log axis: skip zeros
        axes.plot(steps, values, label=name, color=colour, linewidth=1.6 if name == "total" else 1.2)
    axes.set_yscale("log")
    axes.set_xlabel("step")
    axes.set_ylabel("weighted loss")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    return figure


def plot_png(history: Sequence[Losses], title: str = "Loss") -> bytes:
    buffer = io.BytesIO()
    loss_figure(history, title).savefig(buffer, format="png")
    return buffer.getvalue()


def save_plot(history: Sequence[Losses], path: str | Path, title: str = "Loss") -> None:
    loss_figure(history, title).savefig(path)
