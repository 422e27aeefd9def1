"""Export a Keras model to TensorFlow Lite and check the copy: same predictions, file size, one-face CPU latency.

TFLite is the format phones, browsers (via LiteRT) and small boards run. The converter rewrites
the graph (fuses batch norm into the convolutions, and with ``quantize=True`` stores the weights
as 8-bit integers), so the exported model must be compared with the original before it is trusted.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import timeit
import warnings
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np

from fer_helpers.augmentation.pipeline import as_model_input
from fer_helpers.errors import ModelFileError
from fer_helpers.quiet import native_stderr_silenced


def convert_to_tflite(model: keras.Model, quantize: bool = False) -> bytes:
    """Return ``model`` converted to a TFLite flatbuffer; ``quantize`` stores weights as int8 (dynamic range)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return run_converter(converter)


def run_converter(converter) -> bytes:
    """Return the flatbuffer of a configured ``tf.lite.TFLiteConverter``, without the converter's chatter."""
    import tensorflow as tf

    logger, level = tf.get_logger(), tf.get_logger().level
    logger.setLevel("ERROR")  # hide "Assets written to <temporary folder>"
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(), native_stderr_silenced():
            warnings.simplefilter("ignore")  # integer inputs: "Statistics for quantized inputs were expected"
            return converter.convert()  # (redirect_stdout: it prints every captured variable)
    finally:
        logger.setLevel(level)


def save_tflite(model: keras.Model, path: str | Path, quantize: bool = False) -> Path:
    """Write ``model`` as a ``.tflite`` file at ``path`` (creating folders) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(convert_to_tflite(model, quantize=quantize))
    return path


def load_tflite(model: str | Path | bytes):
    """Return a ready TFLite interpreter for a ``.tflite`` path or flatbuffer bytes (LiteRT's if installed)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # TensorFlow's own interpreter: deprecated in favour of LiteRT, still works
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter  # noqa: N806
    source = {"model_content": model} if isinstance(model, bytes) else {"model_path": str(model)}
    if "model_path" in source and not Path(source["model_path"]).is_file():
        raise ModelFileError(f"TFLite model {model} does not exist; create it with save_tflite().")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            interpreter = Interpreter(**source)
        except ValueError as err:
            what = model if "model_path" in source else "the given bytes"
            raise ModelFileError(f"Cannot load {what} as a TFLite model ({err}).") from err
    with native_stderr_silenced():
        interpreter.allocate_tensors()
    return interpreter


def _set_batch_size(interpreter, batch: int) -> None:
    """Resize the interpreter's input to ``batch`` faces (only when it changes: resizing reallocates)."""
    detail = interpreter.get_input_details()[0]
    if int(detail["shape"][0]) != batch:
        interpreter.resize_tensor_input(detail["index"], [batch, *detail["shape"][1:]])
        interpreter.allocate_tensors()


def _to_input_type(x: np.ndarray, detail: dict) -> np.ndarray:
    """Return float ``x`` in the input tensor's type: as it is for a float input, quantized for an integer one."""
    dtype = np.dtype(detail["dtype"])
    if np.issubdtype(dtype, np.floating):
        return x.astype(dtype)
    scale, zero_point = detail["quantization"]  # real value = scale * (integer - zero_point)
    limits = np.iinfo(dtype)
    return np.clip(np.round(x / scale + zero_point), limits.min, limits.max).astype(dtype)


def _from_output_type(y: np.ndarray, detail: dict) -> np.ndarray:
    """Return the output tensor as float64 probabilities, dequantized when it is an integer tensor."""
    if np.issubdtype(np.dtype(detail["dtype"]), np.floating):
        return np.array(y, dtype=np.float64)
    scale, zero_point = detail["quantization"]
    return (np.asarray(y, dtype=np.float64) - zero_point) * scale


def tflite_predict(interpreter, faces: np.ndarray) -> np.ndarray:
    """Return class probabilities (N, 7) from a TFLite interpreter for uint8 faces (N, 48, 48).

    Works for float models and for fully integer ones (int8 or uint8 input and output): the faces are quantized
    with the input's scale and zero point, and the output is dequantized.
    """
    x = as_model_input(faces)
    _set_batch_size(interpreter, len(x))
    detail = interpreter.get_input_details()[0]
    interpreter.set_tensor(detail["index"], _to_input_type(x, detail))
    interpreter.invoke()
    output = interpreter.get_output_details()[0]
    return _from_output_type(interpreter.get_tensor(output["index"]), output)


def agreement_rate(probs_a: np.ndarray, probs_b: np.ndarray) -> float:
    """Return the fraction of faces on which two sets of probabilities (N, 7) pick the same class."""
    if probs_a.shape != probs_b.shape or not len(probs_a):
        raise ValueError(f"Need two non-empty arrays of one shape, got {probs_a.shape} and {probs_b.shape}.")
    return float(np.mean(probs_a.argmax(axis=1) == probs_b.argmax(axis=1)))


def file_size_mb(path: str | Path) -> float:
    """Return the size of the file at ``path`` in megabytes (10^6 bytes)."""
    return Path(path).stat().st_size / 1e6


def latencies_ms(run: Callable[[], object], runs: int = 50, warmup: int = 5) -> list[float]:
    """Return the wall-clock time of each of ``runs`` calls of ``run()`` in milliseconds, after ``warmup`` calls."""
    timer = timeit.Timer(run)
    timer.repeat(repeat=warmup, number=1)
    return [1000 * seconds for seconds in timer.repeat(repeat=runs, number=1)]


def median_latency_ms(run: Callable[[], object], runs: int = 50, warmup: int = 5) -> float:
    """Return the median wall-clock time of ``run()`` in milliseconds over ``runs`` calls, after ``warmup`` calls."""
    return statistics.median(latencies_ms(run, runs, warmup))


def keras_latency_ms(model: keras.Model, face: np.ndarray, runs: int = 50) -> float:
    """Return the median time in ms for Keras to classify one uint8 face (48, 48) with a direct model call."""
    x = as_model_input(face[None])
    return median_latency_ms(lambda: model(x, training=False), runs)


def tflite_latency_ms(interpreter, face: np.ndarray, runs: int = 50) -> float:
    """Return the median time in ms for the TFLite interpreter to classify one uint8 face (48, 48)."""
    _set_batch_size(interpreter, 1)
    x = _to_input_type(as_model_input(face[None]), interpreter.get_input_details()[0])
    index = interpreter.get_input_details()[0]["index"]
    output = interpreter.get_output_details()[0]["index"]

    def run() -> np.ndarray:
        interpreter.set_tensor(index, x)
        interpreter.invoke()
        return interpreter.get_tensor(output)

    return median_latency_ms(run, runs)
