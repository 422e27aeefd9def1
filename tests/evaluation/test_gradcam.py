"""Grad-CAM over many faces: explained a batch at a time, with the same heatmaps as one pass."""

import keras
import numpy as np

from fer_helpers.evaluation.gradcam import gradcam_batch
from fer_helpers.models.builders import build_model


def test_gradcam_batch_in_chunks_equals_one_pass():
    keras.utils.set_random_seed(2)
    model = build_model("baseline")
    faces = np.random.default_rng(3).integers(0, 256, (5, 48, 48), dtype=np.uint8)
    classes = [6, 0, 3, 3, 1]
    whole, whole_probs = gradcam_batch(model, faces, class_indices=classes)
    chunked, chunked_probs = gradcam_batch(model, faces, class_indices=classes, batch_size=2)  # 2 + 2 + 1 faces
    assert chunked.shape == whole.shape == (5, 12, 12) and chunked_probs.shape == (5, 7)
    np.testing.assert_allclose(chunked, whole, atol=1e-5)
    np.testing.assert_allclose(chunked_probs, whole_probs, atol=1e-6)
    predicted, _ = gradcam_batch(model, faces, batch_size=2)  # default: each face's predicted class
    np.testing.assert_allclose(predicted, gradcam_batch(model, faces)[0], atol=1e-5)
