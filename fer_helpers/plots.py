"""Figures for the course: class counts, face grids, learning curves, confusion matrices."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from fer_helpers.classes import CLASS_NAMES
from fer_helpers.imageset import ImageSet


def plot_class_distribution(splits: dict[str, ImageSet], title: str = "Faces per class") -> plt.Figure:
    """Return a grouped bar chart of faces per class for each named split."""
    rows = [(split, name, n) for split, faces in splits.items() for name, n in faces.class_counts().items()]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    sns.barplot(
        x=[r[1] for r in rows], y=[r[2] for r in rows], hue=[r[0] for r in rows], order=CLASS_NAMES, ax=ax
    )
    ax.set(title=title, xlabel="", ylabel="faces")
    fig.tight_layout()
    return fig


def plot_face_grid(
    images: np.ndarray, titles: Sequence[str] | None = None, columns: int = 8, size: float = 1.3, suptitle: str = ""
) -> plt.Figure:
    """Return a grid of gray faces with optional titles under each."""
    rows = max(1, int(np.ceil(len(images) / columns)))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * size, rows * size * 1.15), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            ax.imshow(np.squeeze(images[i]), cmap="gray", vmin=0, vmax=255)
            if titles is not None:
                ax.set_title(titles[i], fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_faces_per_class(faces: ImageSet, per_class: int = 8, seed: int = 0) -> plt.Figure:
    """Return a grid with one row per class showing ``per_class`` random faces of it."""
    rng = np.random.default_rng(seed)
    picks, titles = [], []
    for label, name in enumerate(CLASS_NAMES):
        idx = np.flatnonzero(faces.labels == label)
        chosen = rng.choice(idx, size=min(per_class, len(idx)), replace=False) if len(idx) else []
        for j in range(per_class):
            picks.append(faces.images[chosen[j]] if j < len(chosen) else np.zeros((48, 48), np.uint8))
            titles.append(name if j == 0 else "")
    return plot_face_grid(np.stack(picks), titles, columns=per_class)


def plot_learning_curves(history: dict[str, list[float]]) -> plt.Figure:
    """Return loss and accuracy per epoch for training and validation, side by side."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    epochs = np.array(history.get("epoch", range(len(history.get("loss", []))))) + 1
    for ax, metric in zip(axes, ("loss", "accuracy")):
        ax.plot(epochs, history.get(metric, []), "o-", label="train")
        ax.plot(epochs, history.get(f"val_{metric}", []), "o-", label="validation")
        ax.set(xlabel="epoch", ylabel=metric, title=metric)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_confusion_matrix(confusion: np.ndarray | list, normalise: bool = True, title: str = "") -> plt.Figure:
    """Return a seaborn heatmap of a confusion matrix (rows: true class, columns: predicted)."""
    counts = np.array(confusion, dtype=float)
    if normalise:
        with np.errstate(invalid="ignore", divide="ignore"):
            counts = np.nan_to_num(counts / counts.sum(axis=1, keepdims=True))
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    sns.heatmap(
        counts, annot=True, fmt=".2f" if normalise else ".0f", cmap="Blues", square=True,
        xticklabels=CLASS_NAMES, yticklabels=CLASS_NAMES, cbar=False, ax=ax,
    )
    ax.set(xlabel="predicted", ylabel="true", title=title or ("Confusion matrix (row-normalised)" if normalise else "Confusion matrix (counts)"))
    fig.tight_layout()
    return fig


def save_figure(fig: plt.Figure, path: str | Path, dpi: int = 100) -> Path:
    """Save ``fig`` as PNG at ``path`` (creating folders), close it, and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path
