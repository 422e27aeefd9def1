"""Classify faces many times a second: a compiled Keras call or a TFLite interpreter, for photos, videos and the webcam.

``model.predict`` sets up a new loop on every call (tens of milliseconds), and a plain eager ``model(x)`` runs
op by op; both are fine for a test split of thousands of faces and far too slow for one photo or every frame of a
video. A *classifier* here is a function from uint8 faces ``(N, 48, 48)`` to probabilities ``(N, 7)`` that costs
only the model's own work; :func:`classify_faces` adds test-time augmentation, batch by batch.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np

from fer_helpers.augmentation.pipeline import as_model_input
from fer_helpers.data.classes import NUM_CLASSES
from fer_helpers.evaluation.metrics import tta_views

Classifier = Callable[[np.ndarray], np.ndarray]
"""uint8 faces (N, 48, 48) -> class probabilities (N, 7) as float64."""
BATCH_SIZE = 256
"""Faces per call of a classifier in :func:`classify_faces` (a photo's faces and their TTA views fit in one)."""

_compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Each Keras model's compiled call, made once: compiling again on every photo would cost its time. The calls hold
their model weakly, so that this cache keeps no model alive; the classifiers hold it."""


def keras_classifier(model: keras.Model) -> Classifier:
    """Return a :data:`Classifier` that calls the Keras ``model`` once per batch of faces (compiled once per model).

    On the TensorFlow backend the call is compiled once with ``tf.function`` for any number of faces (the batch
    size is left open in the input signature, so a frame with 3 faces after one with 1 does not compile again).
    Other backends call the model directly.
    """
    if model not in _compiled:
        _compiled[model] = _model_call(weakref.ref(model), input_shape=model.input_shape)
    call = _compiled[model]

    def classify(faces: np.ndarray, _model: keras.Model = model) -> np.ndarray:  # _model: keeps it alive
        return call(faces)

    return classify


def _model_call(the_model: weakref.ref, input_shape: tuple) -> Classifier:
    """Return the call of the model that ``the_model`` refers to: compiled on TensorFlow, direct elsewhere."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        signature = [tf.TensorSpec([None, *input_shape[1:]], tf.float32)]
        compiled = tf.function(lambda x: the_model()(x, training=False), input_signature=signature)
        return lambda faces: np.asarray(compiled(as_model_input(faces)), dtype=np.float64)
    return lambda faces: np.asarray(
        keras.ops.convert_to_numpy(the_model()(as_model_input(faces), training=False)), np.float64
    )


def tflite_classifier(model: str | Path | bytes) -> Classifier:
    """Return a :data:`Classifier` running a TFLite model (a ``.tflite`` path or flatbuffer bytes, see ``export``)."""
    from fer_helpers.inference.export import load_tflite, tflite_predict

    interpreter = load_tflite(model)
    return lambda faces: tflite_predict(interpreter, faces)


def as_classifier(model: keras.Model | Classifier) -> Classifier:
    """Return ``model`` as a :data:`Classifier`: a Keras model through :func:`keras_classifier`, a classifier as is."""
    return keras_classifier(model) if isinstance(model, keras.Model) else model


def load_classifier(path: str | Path, temperature: float = 1.0) -> Classifier:
    """Return the :data:`Classifier` of a model file: ``.tflite`` through TFLite, anything else as a Keras model.

    A ``temperature`` other than 1 rescales its probabilities (``calibration.apply_temperature``), as
    ``fer-predict`` does with the temperature saved next to a calibrated model.
    """
    if Path(path).suffix.lower() == ".tflite":
        classify = tflite_classifier(path)
    else:
        from fer_helpers.models.files import load_trained_model

        classify = keras_classifier(load_trained_model(path))
    if temperature == 1:
        return classify
    from fer_helpers.evaluation.calibration import apply_temperature

    return lambda faces: apply_temperature(classify(faces), temperature)


def classify_faces(
    model: keras.Model | Classifier, faces: np.ndarray, tta: str = "none", batch_size: int = BATCH_SIZE
) -> np.ndarray:
    """Return class probabilities (N, 7) for uint8 faces (N, 48, 48), averaged over the test-time augmentation
    ``tta``'s views (``"none"``, ``"flip"``, ``"ten-crop"``): all views in one batch, ``batch_size`` faces a call.
    """
    classify = as_classifier(model)
    views = tta_views(faces, tta)
    if not len(faces):
        return np.zeros((0, NUM_CLASSES))
    stacked = np.concatenate(views) if len(views) > 1 else views[0]
    probs = np.concatenate([classify(stacked[i : i + batch_size]) for i in range(0, len(stacked), batch_size)])
    return probs.reshape(len(views), len(faces), -1).mean(axis=0)


def with_tta(classify: Classifier, tta: str) -> Classifier:
    """Return ``classify`` averaged over the test-time augmentation ``tta`` (``classify`` itself for ``"none"``)."""
    return classify if tta == "none" else lambda faces: classify_faces(classify, faces, tta)
