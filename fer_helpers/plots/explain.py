"""Figures that explain predictions (notebooks 05-07): predictions with their titles, Grad-CAM grids, layers
and steps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np

from fer_helpers.data.classes import CLASS_NAMES
from fer_helpers.plots.data import plot_face_grid

if TYPE_CHECKING:
    from fer_helpers.inference.face_prediction import FacePrediction


def _title_colour(explained: int, label: int | None) -> str:
    """Return green when the explained/predicted class is the true one, red when not, black without a label."""
    if label is None:
        return "black"
    return "tab:green" if explained == label else "tab:red"


def plot_predictions(
    images: np.ndarray,
    labels: Sequence[int],
    probs: np.ndarray,
    columns: int = 8,
    size: float = 1.4,
    suptitle: str = "",
) -> plt.Figure:
    """Return a grid of faces titled "true → predicted" and the predicted probability, green if right, red if wrong."""
    predicted = np.asarray(probs).argmax(axis=1)
    titles = [
        f"{CLASS_NAMES[t]} → {CLASS_NAMES[p]}\n{probs[i][p]:.0%}" for i, (t, p) in enumerate(zip(labels, predicted))
    ]
    fig = plot_face_grid(images, titles, columns=columns, size=size, suptitle=suptitle)
    for ax, t, p in zip(fig.axes, labels, predicted):
        ax.title.set_color(_title_colour(int(p), int(t)))
    fig.set_figheight(fig.get_figheight() * 1.15)  # room for the two-line titles
    fig.tight_layout()
    return fig


def plot_gradcam_grid(
    model,
    images: np.ndarray,
    labels: Sequence[int] | None = None,
    class_indices: Sequence[int] | None = None,
    layer_name: str | None = None,
    columns: int = 7,
    size: float = 1.6,
    suptitle: str = "",
) -> plt.Figure:
    """Return Grad-CAM overlays of ``images``, each titled with the explained class and the model's probability for it.

    ``class_indices`` default to the predicted classes (titled "pred ..."). With ``labels`` each title starts with the
    true class and is green when the explained class is the true one, red when not.
    """
    from fer_helpers.evaluation.gradcam import gradcam_batch, overlay_heatmap

    images = np.asarray(images)
    heatmaps, probs = gradcam_batch(model, images, class_indices, layer_name)
    explained = probs.argmax(axis=1) if class_indices is None else np.asarray(class_indices).reshape(-1)
    rows = max(1, int(np.ceil(len(images) / columns)))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * size, rows * size * 1.25), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(images):
            continue
        ax.imshow(overlay_heatmap(images[i], heatmaps[i]))
        c, label = int(explained[i]), None if labels is None else int(labels[i])
        title = f"{'pred ' if class_indices is None else ''}{CLASS_NAMES[c]} {probs[i, c]:.0%}"
        ax.set_title(
            title if label is None else f"true {CLASS_NAMES[label]}\n{title}", fontsize=8, color=_title_colour(c, label)
        )
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_gradcam_layers(
    model, images: np.ndarray, layer_names: Sequence[str], class_indices: Sequence[int] | None = None, size: float = 1.5
) -> plt.Figure:
    """Return the faces (top row, titled with the explained class) and one row of Grad-CAM overlays per layer.

    Every layer explains the same class per face (default: the predicted one), so the rows differ only in the layer.
    """
    from fer_helpers.evaluation.gradcam import gradcam_batch, overlay_heatmap

    images = np.asarray(images)
    if class_indices is None:
        _, probs = gradcam_batch(model, images, None, layer_names[0])
        class_indices = probs.argmax(axis=1)
    rows = [gradcam_batch(model, images, class_indices, name)[0] for name in layer_names]
    fig, axes = plt.subplots(
        len(layer_names) + 1, len(images), figsize=(len(images) * size, (len(layer_names) + 1) * size), squeeze=False
    )
    for j, (face, c) in enumerate(zip(images, class_indices)):
        axes[0, j].imshow(face, cmap="gray", vmin=0, vmax=255)
        axes[0, j].set_title(CLASS_NAMES[int(c)], fontsize=8)
        for r, heatmaps in enumerate(rows, start=1):
            axes[r, j].imshow(overlay_heatmap(face, heatmaps[j]))
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_ylabel("face", fontsize=8)
    for r, (name, heatmaps) in enumerate(zip(layer_names, rows), start=1):
        axes[r, 0].set_ylabel(f"{name}\n{heatmaps.shape[1]}×{heatmaps.shape[2]}", fontsize=8)
    fig.tight_layout()
    return fig


def plot_gradcam_steps(
    model, face: np.ndarray, class_index: int | None = None, layer_name: str | None = None, size: float = 2.4
) -> plt.Figure:
    """Return the steps of Grad-CAM for one face: the face, the raw heatmap, the upsampled one and the overlay."""
    from fer_helpers.evaluation.gradcam import gradcam_batch, gradcam_layer_name, overlay_heatmap, upsample_heatmap

    layer_name = layer_name or gradcam_layer_name(model)
    heatmaps, probs = gradcam_batch(
        model, np.asarray(face)[None], None if class_index is None else [class_index], layer_name
    )
    heatmap = heatmaps[0]
    c = int(probs[0].argmax()) if class_index is None else int(class_index)
    fig, axes = plt.subplots(1, 4, figsize=(4 * size, size * 1.1))
    axes[0].imshow(face, cmap="gray", vmin=0, vmax=255)
    axes[0].set_title("face", fontsize=9)
    axes[1].imshow(heatmap, cmap="jet", vmin=0, vmax=1, interpolation="nearest")
    axes[1].set_title(f"{layer_name}: {heatmap.shape[0]}×{heatmap.shape[1]}", fontsize=9)
    axes[2].imshow(upsample_heatmap(heatmap, face.shape[:2]), cmap="jet", vmin=0, vmax=1)
    axes[2].set_title(f"upsampled to {face.shape[0]}×{face.shape[1]}", fontsize=9)
    axes[3].imshow(overlay_heatmap(face, heatmap))
    axes[3].set_title(f"overlay: {CLASS_NAMES[c]} {probs[0, c]:.0%}", fontsize=9)
    for ax in axes:
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_face_predictions(predictions: Sequence[FacePrediction], overlays: Sequence[np.ndarray] | None = None):
    """Return a figure with one row per face: the 48x48 crop, its Grad-CAM (if given) and the 7 probabilities."""
    columns = 3 if overlays is not None else 2
    fig, axes = plt.subplots(len(predictions), columns, figsize=(3.2 * columns, 2.6 * len(predictions)), squeeze=False)
    for row, prediction in enumerate(predictions):
        axes[row, 0].imshow(prediction.face, cmap="gray", vmin=0, vmax=255)
        axes[row, 0].set_title(f"face {row + 1}: what the model sees")
        if overlays is not None:
            axes[row, 1].imshow(overlays[row])
            axes[row, 1].set_title(f"Grad-CAM for '{prediction.label}'")
        for ax in axes[row, : columns - 1]:
            ax.axis("off")
        bars = axes[row, -1].barh(CLASS_NAMES, prediction.probabilities, color="lightgray")
        bars[int(np.argmax(prediction.probabilities))].set_color("tab:green")
        axes[row, -1].set_xlim(0, 1)
        axes[row, -1].invert_yaxis()
        axes[row, -1].set_title("probabilities")
    fig.tight_layout()
    return fig
