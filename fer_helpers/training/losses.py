"""The loss the course trains with: label-smoothed cross-entropy on integer labels, and class weights (notebook 04)."""

from __future__ import annotations

import keras
import numpy as np
from sklearn.utils.class_weight import compute_class_weight

from fer_helpers.data.classes import NUM_CLASSES


@keras.saving.register_keras_serializable(package="fer_helpers")
class SmoothedSparseCrossentropy(keras.losses.Loss):
    """Cross-entropy on integer labels with label smoothing (Keras's sparse loss has no smoothing option)."""

    def __init__(self, label_smoothing: float = 0.1, num_classes: int = NUM_CLASSES, **kwargs):
        kwargs.setdefault("name", "smoothed_sparse_crossentropy")
        super().__init__(**kwargs)
        self.label_smoothing = label_smoothing
        self.num_classes = num_classes

    def call(self, y_true, y_pred):
        labels = keras.ops.reshape(keras.ops.cast(y_true, "int32"), (-1,))
        targets = keras.ops.one_hot(labels, self.num_classes, dtype=y_pred.dtype)
        return keras.losses.categorical_crossentropy(targets, y_pred, label_smoothing=self.label_smoothing)

    def get_config(self) -> dict:
        """Return the constructor arguments (for saving)."""
        return {**super().get_config(), "label_smoothing": self.label_smoothing, "num_classes": self.num_classes}


def balanced_class_weights(labels: np.ndarray) -> dict[int, float]:
    """Return scikit-learn's 'balanced' class weights (rare classes such as disgust weigh more)."""
    weights = compute_class_weight("balanced", classes=np.arange(NUM_CLASSES), y=labels)
    return {i: float(w) for i, w in enumerate(weights)}
