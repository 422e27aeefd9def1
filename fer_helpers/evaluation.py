"""Evaluate a model on a split: loss, accuracy, flip test-time augmentation, per-class report, confusion matrix."""

from __future__ import annotations

import keras
import numpy as np
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, log_loss

from fer_helpers.classes import CLASS_NAMES, NUM_CLASSES
from fer_helpers.imageset import ImageSet
from fer_helpers.pipeline import as_model_input


def predict_probabilities(
    model: keras.Model, images: np.ndarray, tta: bool = False, batch_size: int = 256
) -> np.ndarray:
    """Return class probabilities (N, 7) for uint8 faces (N, 48, 48); with ``tta`` averaged with the mirrored faces."""
    x = as_model_input(images)
    probs = model.predict(x, batch_size=batch_size, verbose=0)
    if tta:
        probs = (probs + model.predict(x[:, :, ::-1, :], batch_size=batch_size, verbose=0)) / 2
    return np.asarray(probs, dtype=np.float64)


def metrics_from_probabilities(labels: np.ndarray, probs: np.ndarray) -> dict[str, object]:
    """Return loss, accuracy, per-class precision/recall/F1 and confusion matrices (counts and row-normalised)."""
    predictions = probs.argmax(axis=1)
    counts = confusion_matrix(labels, predictions, labels=range(NUM_CLASSES))
    with np.errstate(invalid="ignore", divide="ignore"):
        normalised = np.nan_to_num(counts / counts.sum(axis=1, keepdims=True))
    report = classification_report(
        labels, predictions, labels=range(NUM_CLASSES), target_names=CLASS_NAMES, output_dict=True, zero_division=0
    )
    return {
        "accuracy": float(accuracy_score(labels, predictions)),
        "loss": float(log_loss(labels, probs / probs.sum(axis=1, keepdims=True), labels=range(NUM_CLASSES))),
        "num_images": int(len(labels)),
        "per_class": {name: report[name] for name in CLASS_NAMES},
        "macro_f1": float(report["macro avg"]["f1-score"]),
        "confusion_matrix": counts.tolist(),
        "confusion_matrix_normalised": np.round(normalised, 4).tolist(),
    }


def evaluate_model(model: keras.Model, faces: ImageSet, tta: bool = False) -> dict[str, object]:
    """Return :func:`metrics_from_probabilities` for ``model`` on ``faces`` (flip TTA if asked)."""
    metrics = metrics_from_probabilities(faces.labels, predict_probabilities(model, faces.images, tta=tta))
    metrics["tta"] = tta
    return metrics


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


def format_report(metrics: dict[str, object]) -> str:
    """Return a readable text block: accuracy, loss and the per-class precision/recall/F1 table."""
    lines = [
        f"accuracy {metrics['accuracy']:.4f}   loss {metrics['loss']:.4f}   macro F1 {metrics['macro_f1']:.4f}"
        f"   ({metrics['num_images']} faces{', flip TTA' if metrics.get('tta') else ''})",
        f"{'class':<10}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}",
    ]
    for name, row in metrics["per_class"].items():
        lines.append(
            f"{name:<10}{row['precision']:>10.3f}{row['recall']:>10.3f}{row['f1-score']:>10.3f}{int(row['support']):>10d}"
        )
    return "\n".join(lines)
