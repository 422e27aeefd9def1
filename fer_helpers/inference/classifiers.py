"""Classify small batches of faces many times a second: a compiled Keras call or a TFLite interpreter.

``model.predict`` sets up a new loop on every call (tens of milliseconds), and a plain eager ``model(x)`` runs
op by op; both are fine for one photo and far too slow for every frame of a video. A *classifier* here is a
function from uint8 faces ``(N, 48, 48)`` to probabilities ``(N, 7)`` that costs only the model's own work.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

Classifier = Callable[[np.ndarray], np.ndarray]
"""uint8 faces (N, 48, 48) -> class probabilities (N, 7) as float64."""


def keras_classifier(model) -> Classifier:
    """Return a :data:`Classifier` that calls the Keras ``model`` once per batch of faces.

    On the TensorFlow backend the call is compiled once with ``tf.function`` for any number of faces (the batch
    size is left open in the input signature, so a frame with 3 faces after one with 1 does not compile again).
    Other backends call the model directly.
    """
    import keras

    from fer_helpers.augmentation.pipeline import as_model_input

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        signature = [tf.TensorSpec([None, *model.input_shape[1:]], tf.float32)]
        compiled = tf.function(lambda x: model(x, training=False), input_signature=signature)
        return lambda faces: np.asarray(compiled(as_model_input(faces)), dtype=np.float64)
    return lambda faces: np.asarray(
        keras.ops.convert_to_numpy(model(as_model_input(faces), training=False)), np.float64
    )


def tflite_classifier(model: str | Path | bytes) -> Classifier:
    """Return a :data:`Classifier` running a TFLite model (a ``.tflite`` path or flatbuffer bytes, see ``export``)."""
    from fer_helpers.inference.export import load_tflite, tflite_predict

    interpreter = load_tflite(model)
    return lambda faces: tflite_predict(interpreter, faces)


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
