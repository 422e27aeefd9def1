"""TFLite export: the exported copy must predict what the Keras model predicts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fer_helpers.data.synthetic import EXPRESSIONS, draw_face
from fer_helpers.errors import ModelFileError
from fer_helpers.evaluation.metrics import predict_probabilities
from fer_helpers.inference.export import (
    agreement_rate,
    file_size_mb,
    keras_latency_ms,
    load_tflite,
    median_latency_ms,
    run_converter,
    save_tflite,
    tflite_latency_ms,
    tflite_predict,
)


@pytest.fixture(scope="module")
def model():
    from fer_helpers.models.builders import build_baseline

    return build_baseline()


@pytest.fixture(scope="module")
def faces() -> np.ndarray:
    rng = np.random.default_rng(0)
    drawn = [draw_face(EXPRESSIONS[name], rng) for name in EXPRESSIONS for _ in range(3)]
    noise = list(rng.integers(0, 256, (10, 48, 48), dtype=np.uint8))
    return np.stack(drawn + noise)


@pytest.fixture(scope="module")
def tflite_file(model, tmp_path_factory) -> Path:
    return save_tflite(model, tmp_path_factory.mktemp("export") / "model.tflite")


def test_tflite_agrees_with_keras(model, faces, tflite_file):
    interpreter = load_tflite(tflite_file)
    keras_probs, tflite_probs = predict_probabilities(model, faces), tflite_predict(interpreter, faces)
    assert agreement_rate(keras_probs, tflite_probs) == 1.0
    assert np.max(np.abs(keras_probs - tflite_probs)) < 1e-4
    assert file_size_mb(tflite_file) > 0
    assert keras_latency_ms(model, faces[0], runs=3) > 0 and tflite_latency_ms(interpreter, faces[0], runs=3) > 0


def test_tflite_probabilities_match_for_any_batch_size(model, faces, tflite_file):
    interpreter = load_tflite(tflite_file)
    keras_probs = predict_probabilities(model, faces)
    for batch in (faces[:5], faces[:1], faces):  # the interpreter is resized between calls
        probs = tflite_predict(interpreter, batch)
        assert probs.shape == (len(batch), 7)
        np.testing.assert_allclose(probs, keras_probs[: len(batch)], atol=1e-4)


def test_quantized_copy_is_smaller_and_still_agrees(model, faces, tflite_file, tmp_path):
    quantized = save_tflite(model, tmp_path / "model_int8.tflite", quantize=True)
    assert quantized.stat().st_size < 0.5 * tflite_file.stat().st_size
    keras_probs = predict_probabilities(model, faces)
    assert agreement_rate(keras_probs, tflite_predict(load_tflite(quantized), faces)) >= 0.9


def test_agreement_rate():
    a = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    b = np.array([[0.6, 0.4], [0.7, 0.3], [0.5, 0.5]])
    assert agreement_rate(a, a) == 1.0
    assert agreement_rate(a, b) == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        agreement_rate(a, b[:2])


def test_not_a_tflite_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "model.tflite"
    bad.write_bytes(b"not a flatbuffer at all" * 10)
    with pytest.raises(ModelFileError, match="model.tflite"):
        load_tflite(bad)
    with pytest.raises(ModelFileError, match="missing.tflite"):
        load_tflite(tmp_path / "missing.tflite")


def test_median_latency_counts_only_timed_runs():
    calls = []
    assert median_latency_ms(lambda: calls.append(1), runs=7, warmup=2) >= 0
    assert len(calls) == 9


def test_fully_integer_copy_takes_uint8_faces_and_gives_probabilities(model, faces, tmp_path):
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([face[None, ..., None].astype("float32")] for face in faces)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.uint8
    path = tmp_path / "model_full_int8.tflite"
    path.write_bytes(run_converter(converter))
    interpreter = load_tflite(path)
    assert interpreter.get_input_details()[0]["dtype"] == np.uint8
    probs = tflite_predict(interpreter, faces)
    assert probs.shape == (len(faces), 7)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=0.03)  # 8-bit outputs: steps of 1/256
    np.testing.assert_allclose(probs, predict_probabilities(model, faces), atol=0.05)
    assert tflite_latency_ms(interpreter, faces[0], runs=2) > 0
