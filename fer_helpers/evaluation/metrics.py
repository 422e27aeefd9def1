"""Evaluate a model on a split: loss, accuracy, test-time augmentation (flip, ten crops), per-class report, confusion
matrix."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, f1_score, log_loss

from fer_helpers.augmentation.pipeline import as_model_input
from fer_helpers.data.classes import CLASS_NAMES, NUM_CLASSES
from fer_helpers.data.imageset import ImageSet

TTA_MODES = ("none", "flip", "ten-crop")
"""Test-time augmentation: none; the face and its mirror; ten crops (4 corners + centre, and their mirrors)."""
TTA_LABELS = {"none": "no TTA", "flip": "flip TTA", "ten-crop": "ten-crop TTA"}
TEN_CROP_SIZE = 44
"""Side in pixels of each of the ten crops, resized back to 48x48 since the models take whole faces. 44 (a 1.09x
zoom, inside the course's training zoom of up to 1.1x) against 40 (the published recipe's crop, a 1.2x zoom):
chosen on the shipped cpu model's validation split (docs/results.md, "Test-time augmentation")."""


def tta_mode(tta: str | None) -> str:
    """Return ``tta`` checked against :data:`TTA_MODES` (None means ``"none"``); raise ``ValueError`` otherwise."""
    mode = "none" if tta is None else tta
    if mode not in TTA_MODES:
        raise ValueError(f"Unknown test-time augmentation {tta!r}; choose one of {', '.join(TTA_MODES)}.")
    return mode


def ten_crop_views(images: np.ndarray, crop_size: int = TEN_CROP_SIZE) -> list[np.ndarray]:
    """Return ten float32 views (N, 48, 48) of faces (N, 48, 48): corner and centre crops and their mirrors.

    Each ``crop_size`` crop is resized back to the full size (bilinear), since the models take whole faces.
    """
    size = images.shape[1]
    if not 0 < crop_size <= size:
        raise ValueError(f"crop_size must lie in 1..{size}, not {crop_size}.")
    far, middle = size - crop_size, (size - crop_size) // 2
    corners = [(0, 0), (0, far), (far, 0), (far, far), (middle, middle)]
    views = []
    for top, left in corners:
        crop = images[:, top : top + crop_size, left : left + crop_size, None].astype("float32")
        resized = np.asarray(ops.convert_to_numpy(ops.image.resize(crop, (size, size), interpolation="bilinear")))
        views += [resized[..., 0], resized[:, :, ::-1, 0]]
    return views


def tta_views(images: np.ndarray, tta: str = "none", crop_size: int = TEN_CROP_SIZE) -> list[np.ndarray]:
    """Return the views of faces (N, 48, 48) that the test-time augmentation ``tta`` averages over: the faces
    alone (``"none"``), the faces and their mirrors (``"flip"``), or :func:`ten_crop_views` (``"ten-crop"``)."""
    mode = tta_mode(tta)
    if mode == "ten-crop":
        return ten_crop_views(images, crop_size)
    return [images, images[:, :, ::-1]] if mode == "flip" else [images]


def predict_probabilities(
    model: keras.Model,
    images: np.ndarray,
    tta: str = "none",
    batch_size: int = 256,
    crop_size: int = TEN_CROP_SIZE,
) -> np.ndarray:
    """Return class probabilities (N, 7) for uint8 faces (N, 48, 48), averaged over the views that the test-time
    augmentation ``tta`` names (:data:`TTA_MODES`); ``crop_size`` is the side of the ten crops."""
    views = tta_views(images, tta, crop_size)
    probs = np.mean([call_in_batches(model, as_model_input(view), batch_size=batch_size) for view in views], axis=0)
    return np.asarray(probs, dtype=np.float64)


def call_in_batches(model: keras.Model, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Return the model's outputs for ``x`` as a NumPy array: ``model.predict`` on whole batches of ``batch_size``, a
    direct call in inference mode for the rest.

    ``predict`` runs a compiled graph, traced again for each new batch shape: a few faces at a time (a photo's faces)
    would make TensorFlow warn about retracing. Whole batches have one shape; the rest needs no graph. (Photos and
    videos take ``inference.classifiers`` instead: one compiled call for any number of faces.)
    """
    whole = len(x) - len(x) % batch_size
    parts = [model.predict(x[:whole], batch_size=batch_size, verbose=0)] if whole else []
    if whole < len(x):
        parts.append(ops.convert_to_numpy(model(x[whole:], training=False)))
    return np.concatenate(parts) if parts else np.zeros((0, NUM_CLASSES), dtype=np.float32)


def metrics_from_probabilities(labels: np.ndarray, probs: np.ndarray) -> dict[str, object]:
    """Return loss, accuracy, per-class precision/recall/F1 and confusion matrices (counts and row-normalised)."""
    predictions = probs.argmax(axis=1)
    counts = confusion_matrix(labels, predictions, labels=range(NUM_CLASSES))
    normalised = confusion_matrix(labels, predictions, labels=range(NUM_CLASSES), normalize="true")
    report = classification_report(
        labels, predictions, labels=range(NUM_CLASSES), target_names=CLASS_NAMES, output_dict=True, zero_division=0
    )
    present = sorted(set(np.asarray(labels).tolist()))  # a class with no faces here has no F1 to average
    missing = [CLASS_NAMES[i] for i in range(NUM_CLASSES) if i not in present]
    macro_f1 = f1_score(labels, predictions, labels=present, average="macro", zero_division=0) if present else 0.0
    return {
        "accuracy": float(accuracy_score(labels, predictions)),
        "loss": float(log_loss(labels, probs / probs.sum(axis=1, keepdims=True), labels=range(NUM_CLASSES))),
        "num_images": int(len(labels)),
        "per_class": {name: report[name] for name in CLASS_NAMES},
        "macro_f1": float(macro_f1),
        **({"classes_without_faces": missing} if missing else {}),
        "confusion_matrix": counts.tolist(),
        "confusion_matrix_normalised": np.round(normalised, 4).tolist(),
    }


def evaluate_model(model: keras.Model, faces: ImageSet, tta: str = "none") -> dict[str, object]:
    """Return :func:`metrics_from_probabilities` for ``model`` on ``faces``, with the test-time augmentation ``tta``
    (a :data:`TTA_MODES` name); ``tta`` in the result says whether any was used, ``tta_mode`` which.
    """
    mode = tta_mode(tta)
    metrics = metrics_from_probabilities(faces.labels, predict_probabilities(model, faces.images, mode))
    metrics.update(tta=mode != "none", tta_mode=mode)
    return metrics


def choose_tta(
    model: keras.Model, val: ImageSet, modes: tuple[str, ...] = TTA_MODES
) -> tuple[str, dict[str, dict[str, object]]]:
    """Return ``(mode, metrics by mode)``: the ``modes`` (cheapest first) scored on the validation faces ``val``,
    and the one with the most faces right; a tie keeps the cheaper one. Never pass test faces here."""
    scored = {mode: evaluate_model(model, val, tta=mode) for mode in modes}
    best = max(modes, key=lambda mode: (round(scored[mode]["accuracy"] * len(val)), -modes.index(mode)))
    return best, scored


def most_confused_pairs(confusion: np.ndarray | list, top: int = 5) -> list[tuple[str, str, int]]:
    """Return the ``top`` off-diagonal (true, predicted, count) cells of a confusion matrix, largest first."""
    counts = np.array(confusion)
    pairs = [
        (CLASS_NAMES[t], CLASS_NAMES[p], int(counts[t, p]))
        for t in range(NUM_CLASSES)
        for p in range(NUM_CLASSES)
        if t != p and counts[t, p] > 0
    ]
    return sorted(pairs, key=lambda pair: -pair[2])[:top]


def _tta_note(metrics: dict[str, object]) -> str:
    """Return ``", flip TTA"`` (or the mode used) for metrics computed with test-time augmentation, else ``""``."""
    mode = metrics.get("tta_mode", "flip" if metrics.get("tta") else "none")
    return "" if mode == "none" else f", {TTA_LABELS[mode]}"


def format_report(metrics: dict[str, object]) -> str:
    """Return a readable text block: accuracy, loss and the per-class precision/recall/F1 table."""
    lines = [
        f"accuracy {metrics['accuracy']:.4f}   loss {metrics['loss']:.4f}   macro F1 {metrics['macro_f1']:.4f}"
        f"   ({metrics['num_images']} faces{_tta_note(metrics)})",
        *(
            [f"no faces of {', '.join(metrics['classes_without_faces'])} here: left out of the macro F1"]
            if metrics.get("classes_without_faces")
            else []
        ),
        f"{'class':<10}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}",
    ]
    for name, row in metrics["per_class"].items():
        lines.append(
            f"{name:<10}{row['precision']:>10.3f}{row['recall']:>10.3f}{row['f1-score']:>10.3f}{int(row['support']):>10d}"
        )
    return "\n".join(lines)
