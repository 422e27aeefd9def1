"""Figures of results (notebooks 04, 05, 09, 10):
learning curves, confusion matrices, reliability and risk-coverage, probabilities over time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import sklearn.preprocessing

from fer_helpers.data.classes import CLASS_NAMES

if TYPE_CHECKING:
    from fer_helpers.evaluation.calibration import ReliabilityBins, RiskCoverage


def plot_learning_curves(history: dict[str, list[float]]) -> plt.Figure:
    """Return loss and accuracy per epoch for training and validation, side by side."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    epochs = np.array(history.get("epoch", range(len(history.get("loss", []))))) + 1
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
        ax.plot(epochs, history.get(metric, []), "o-", label="train")
        if f"val_{metric}" in history:  # a final refit has no validation split
            ax.plot(epochs, history[f"val_{metric}"], "o-", label="validation")
        ax.set(xlabel="epoch", ylabel=metric, title=metric)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_confusion_matrix(confusion: np.ndarray | list, normalise: bool = True, title: str = "") -> plt.Figure:
    """Return a seaborn heatmap of a confusion matrix (rows: true class, columns: predicted)."""
    counts = np.array(confusion, dtype=float)
    if normalise:  # each row divided by its sum (a class without faces keeps a row of zeros)
        counts = sklearn.preprocessing.normalize(counts, norm="l1")
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    sns.heatmap(
        counts,
        annot=True,
        fmt=".2f" if normalise else ".0f",
        cmap="Blues",
        square=True,
        xticklabels=CLASS_NAMES,
        yticklabels=CLASS_NAMES,
        cbar=False,
        ax=ax,
    )
    default_title = "Confusion matrix (row-normalised)" if normalise else "Confusion matrix (counts)"
    ax.set(xlabel="predicted", ylabel="true", title=title or default_title)
    fig.tight_layout()
    return fig


def save_figure(fig: plt.Figure, path: str | Path, dpi: int = 100) -> Path:
    """Save ``fig`` as PNG at ``path`` (creating folders), close it, and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_reliability_diagrams(diagrams: dict[str, ReliabilityBins], size: float = 3.4) -> plt.Figure:
    """Return one reliability diagram per entry (titled by its key): the accuracy in each confidence bin as a bar,
    the bin's mean confidence as a dot, and the diagonal where a calibrated model's bars would end."""
    fig, axes = plt.subplots(1, len(diagrams), figsize=(size * len(diagrams), size), squeeze=False)
    for ax, (title, table) in zip(axes.flat, diagrams.items()):
        width = np.diff(table.edges)
        filled = table.counts > 0
        ax.bar(
            table.edges[:-1][filled],
            table.accuracy[filled],
            width=width[filled],
            align="edge",
            edgecolor="white",
            color="tab:blue",
            label="accuracy in the bin",
        )
        ax.plot(table.confidence[filled], table.confidence[filled], "o", color="tab:red", ms=3, label="mean confidence")
        ax.plot([0, 1], [0, 1], "--", color="gray", lw=1)
        ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence (top-class probability)", ylabel="accuracy", title=title)
    axes.flat[0].legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def plot_risk_coverage(curves: dict[str, RiskCoverage], target_accuracy: float | None = None) -> plt.Figure:
    """Return the accuracy on the answered faces against the share answered, one line per curve, with the
    target accuracy as a dotted line."""
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for name, curve in curves.items():
        ax.plot(curve.coverage, curve.accuracy, label=name)
    if target_accuracy is not None:
        ax.axhline(target_accuracy, ls=":", color="gray", label=f"target {target_accuracy:.0%}")
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1.02),
        xlabel="coverage (share of faces answered)",
        ylabel="accuracy on the answered faces",
        title="Risk-coverage: answer only the surest faces",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_probabilities_over_time(
    times: np.ndarray,
    raw: np.ndarray,
    smoothed: np.ndarray,
    segments: Sequence[tuple[float, float, str | None]] = (),
    title: str = "",
) -> plt.Figure:
    """Return two stacked panels of one face's class probabilities (N, 7) over ``times``: raw, then smoothed.

    ``segments`` (start s, end s, expression) shade what the face really shows, where that is known (a generated
    video), with the expression written on top.
    """
    fig, axes = plt.subplots(2, 1, figsize=(10, 5), sharex=True, sharey=True)
    colours = sns.color_palette("tab10", len(CLASS_NAMES))
    for ax, values, what in ((axes[0], raw, "raw, frame by frame"), (axes[1], smoothed, "smoothed")):
        for k, name in enumerate(CLASS_NAMES):
            ax.plot(times, values[:, k], color=colours[k], label=name, lw=1.8 if values is smoothed else 1.0)
        for i, (start, end, expression) in enumerate(segments):
            ax.axvspan(start, end, color="0.9" if i % 2 else "0.97", zorder=0)
            if ax is axes[0] and expression:
                ax.text((start + end) / 2, 1.04, expression, ha="center", va="bottom", fontsize=9)
        ax.set(ylabel=f"probability\n({what})", ylim=(0, 1))
    axes[1].set_xlabel("time (s)")
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
