"""Figures of the data (notebooks 01-03):
class counts, face grids, pixel statistics, mean faces, duplicates, augmentation, feature maps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from fer_helpers.data.classes import CLASS_NAMES
from fer_helpers.data.imageset import ImageSet
from fer_helpers.data.quality import face_brightness_contrast

if TYPE_CHECKING:
    pass


def plot_class_distribution(splits: dict[str, ImageSet], title: str = "Faces per class") -> plt.Figure:
    """Return a grouped bar chart of faces per class for each named split."""
    rows = [(split, name, n) for split, faces in splits.items() for name, n in faces.class_counts().items()]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    sns.barplot(x=[r[1] for r in rows], y=[r[2] for r in rows], hue=[r[0] for r in rows], order=CLASS_NAMES, ax=ax)
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


def plot_pixel_statistics(faces: ImageSet, max_pixels: int = 200_000, seed: int = 0) -> plt.Figure:
    """Return three histograms: all pixel values, per-face brightness (mean) and per-face contrast (std)."""
    flat = faces.images.reshape(len(faces), -1)
    rng = np.random.default_rng(seed)
    pixels = flat.ravel()
    if pixels.size > max_pixels:
        pixels = rng.choice(pixels, size=max_pixels, replace=False)
    brightness, contrast = face_brightness_contrast(faces.images)
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
    sns.histplot(x=pixels, bins=64, stat="density", ax=axes[0])
    axes[0].set(title="pixel values (sample)", xlabel="gray level 0-255")
    sns.histplot(x=brightness, bins=60, ax=axes[1])
    axes[1].set(title="brightness per face", xlabel="mean pixel value", ylabel="faces")
    sns.histplot(x=contrast, bins=60, ax=axes[2])
    axes[2].set(title="contrast per face", xlabel="pixel standard deviation", ylabel="faces")
    fig.tight_layout()
    return fig


def plot_mean_faces(means: np.ndarray, titles: Sequence[str] = CLASS_NAMES, size: float = 1.6) -> plt.Figure:
    """Return the mean faces (top row) and each one minus their average (bottom row, red brighter / blue darker)."""
    means = np.asarray(means, dtype=np.float32)
    difference = means - np.nanmean(means, axis=0, keepdims=True)
    limit = float(np.nanmax(np.abs(difference))) or 1.0
    fig, axes = plt.subplots(2, len(means), figsize=(len(means) * size, 2 * size * 1.15), squeeze=False)
    for i, title in enumerate(titles):
        axes[0, i].imshow(means[i], cmap="gray")
        axes[0, i].set_title(title, fontsize=9)
        axes[1, i].imshow(difference[i], cmap="RdBu_r", vmin=-limit, vmax=limit)
        for ax in axes[:, i]:
            ax.axis("off")
    axes[1, 0].set_title("minus average", fontsize=8)
    fig.tight_layout()
    return fig


def plot_duplicate_groups(
    splits: dict[str, ImageSet], groups: Sequence, max_groups: int = 6, max_copies: int = 4, size: float = 1.3
) -> plt.Figure:
    """Return one row per duplicate group (from ``data_quality.find_exact_duplicates``): its copies, split and label."""
    shown = list(groups)[:max_groups]
    fig, axes = plt.subplots(
        max(1, len(shown)), max_copies, figsize=(max_copies * size, max(1, len(shown)) * size * 1.25), squeeze=False
    )
    for ax in axes.flat:
        ax.axis("off")
    for row, group in zip(axes, shown, strict=False):  # an empty `shown` still has one row
        for ax, (split, index), label in zip(row, group.members, group.labels, strict=False):  # at most max_copies
            ax.imshow(splits[split].images[index], cmap="gray", vmin=0, vmax=255)
            ax.set_title(f"{split} #{index}\n{CLASS_NAMES[label]}", fontsize=7)
    if not shown:
        axes[0, 0].text(0, 0.5, "no exact duplicates found", fontsize=10)
    fig.tight_layout()
    return fig


def plot_augmentation_grid(
    faces: np.ndarray, layers_by_name: dict, size: float = 1.3, include_original: bool = True
) -> plt.Figure:
    """Return a grid with one row per named augmentation layer (first row: the originals), one column per face."""
    import keras

    batch = np.asarray(faces, dtype=np.float32).reshape(len(faces), faces.shape[1], faces.shape[2], 1)
    rows = [("original", batch)] if include_original else []
    rows += [(name, keras.ops.convert_to_numpy(layer(batch, training=True))) for name, layer in layers_by_name.items()]
    fig, axes = plt.subplots(len(rows), len(batch), figsize=(len(batch) * size, len(rows) * size), squeeze=False)
    for (name, images), row in zip(rows, axes, strict=True):
        for ax, image in zip(row, images, strict=True):
            ax.imshow(np.clip(np.squeeze(image), 0, 255), cmap="gray", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].set_ylabel(name, fontsize=9)
    fig.tight_layout()
    return fig


def plot_feature_maps(
    model, face: np.ndarray, layer_names: Sequence[str], channels: int = 8, size: float = 1.2
) -> plt.Figure:
    """Return the first ``channels`` feature maps of each named layer of ``model`` for one (48, 48) face."""
    import keras

    probe = keras.Model(model.input, [model.get_layer(name).output for name in layer_names])
    outputs = probe(np.asarray(face, dtype=np.float32).reshape(1, *model.input_shape[1:]), training=False)
    outputs = [keras.ops.convert_to_numpy(out)[0] for out in (outputs if len(layer_names) > 1 else [outputs])]
    figsize = (channels * size, len(layer_names) * size * 1.2)
    fig, axes = plt.subplots(len(layer_names), channels, figsize=figsize, squeeze=False)
    for name, maps, row in zip(layer_names, outputs, axes, strict=True):
        for c, ax in enumerate(row):
            ax.axis("off")
            if c < maps.shape[-1]:
                ax.imshow(maps[..., c], cmap="viridis")
        row[0].set_title(f"{name}: {'x'.join(map(str, maps.shape))}", fontsize=8, loc="left")
    fig.tight_layout()
    return fig
