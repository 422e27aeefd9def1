"""Figures for the course: class counts, face grids, learning curves, confusion matrices, Grad-CAM, photo faces
and calibration (reliability diagrams, risk-coverage curves)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from fer_helpers.classes import CLASS_NAMES
from fer_helpers.data_quality import face_brightness_contrast
from fer_helpers.imageset import ImageSet

if TYPE_CHECKING:
    from fer_helpers.calibration import ReliabilityBins, RiskCoverage
    from fer_helpers.face_prediction import FacePrediction


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
    if normalise:
        with np.errstate(invalid="ignore", divide="ignore"):
            counts = np.nan_to_num(counts / counts.sum(axis=1, keepdims=True))
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
    from fer_helpers.gradcam import gradcam_batch, overlay_heatmap

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
    from fer_helpers.gradcam import gradcam_batch, overlay_heatmap

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
    from fer_helpers.gradcam import gradcam_batch, gradcam_layer_name, overlay_heatmap, upsample_heatmap

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
