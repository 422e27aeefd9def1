"""Ensembles: average the class probabilities of several trained models, face by face.

Models trained from different random starts make partly different mistakes, so their averaged probabilities
are right more often than any one of them: the published FER2013 ensembles gain 2-3 points over their best
single network. The cost is one prediction per model (times the test-time augmentation's views).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from fer_helpers.data.imageset import ImageSet
from fer_helpers.evaluation.metrics import metrics_from_probabilities, predict_probabilities, tta_mode


def ensemble_probabilities(
    models: Sequence[keras.Model], images: np.ndarray, tta: str = "none", batch_size: int = 256
) -> np.ndarray:
    """Return the mean over ``models`` of their class probabilities (N, 7) for uint8 faces (N, 48, 48).

    Each model sees the same test-time augmentation ``tta`` (see ``evaluation.tta_mode``).
    """
    if not models:
        raise ValueError("An ensemble needs at least one model.")
    return np.mean([predict_probabilities(model, images, tta, batch_size=batch_size) for model in models], axis=0)


def evaluate_ensemble(models: Sequence[keras.Model], faces: ImageSet, tta: str = "none") -> dict[str, object]:
    """Return ``evaluation.metrics_from_probabilities`` for the averaged ``models`` on ``faces``, with the members'
    names and the test-time augmentation used."""
    mode = tta_mode(tta)
    metrics = metrics_from_probabilities(faces.labels, ensemble_probabilities(models, faces.images, mode))
    metrics.update(tta=mode != "none", tta_mode=mode, members=[model.name for model in models])
    return metrics
