"""Read the expressions of the faces in a photo: one batched prediction per photo, and a line of text per face."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np

from fer_helpers.data.classes import CLASS_NAMES
from fer_helpers.data.imageset import IMAGE_SIZE
from fer_helpers.inference.classifiers import Classifier, classify_faces
from fer_helpers.inference.face_detection import DEFAULT_DETECTOR, FACE_MARGIN, Box, crop_face, detect_faces, to_gray


@dataclass
class FacePrediction:
    """One face found in a photo: its ``box``, the 48x48 uint8 ``face`` the model saw and its 7 ``probabilities``."""

    box: Box
    face: np.ndarray
    probabilities: np.ndarray

    @property
    def label(self) -> str:
        """Return the most probable class name."""
        return CLASS_NAMES[int(np.argmax(self.probabilities))]

    @property
    def confidence(self) -> float:
        """Return the probability of the most probable class."""
        return float(np.max(self.probabilities))

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        """Return the ``k`` most probable ``(class name, probability)`` pairs, most probable first."""
        order = np.argsort(self.probabilities)[::-1][:k]
        return [(CLASS_NAMES[i], float(self.probabilities[i])) for i in order]


def predict_faces(
    model: keras.Model | Classifier,
    photo: np.ndarray,
    boxes: Sequence[Box] | None = None,
    margin: float = FACE_MARGIN,
    tta: str = "none",
    temperature: float = 1.0,
    min_face: int = IMAGE_SIZE,
    detector: str = DEFAULT_DETECTOR,
) -> list[FacePrediction]:
    """Return one :class:`FacePrediction` per box (default: :func:`detect_faces`); [] when there is no face.

    Without ``boxes``, faces smaller than ``min_face`` pixels (of the photo as searched, at most
    ``DETECT_MAX_SIDE`` on its longer side) are not searched: the model reads 48x48 faces, a smaller one is an
    enlarged blur, and searching down to 30 pixels instead takes about a third longer on a 512x512 photo
    (``benchmarks/photo_latency.py``).

    ``model`` is a Keras model or a :data:`~fer_helpers.inference.classifiers.Classifier` (a ``.tflite`` model's,
    for example): the faces go through the same compiled call as a video's frames, in one batch.
    ``detector`` is :func:`detect_faces`'s ("yunet" or "haar"). ``tta`` is ``"none"``, ``"flip"`` or ``"ten-crop"``;
    ``temperature`` rescales the probabilities
    (:func:`~fer_helpers.evaluation.calibration.apply_temperature`; 1 changes nothing).
    """
    from fer_helpers.evaluation.calibration import apply_temperature

    gray = to_gray(photo)  # once, for the detector and every crop
    boxes = detect_faces(gray, min_size=min_face, detector=detector) if boxes is None else [Box(*b) for b in boxes]
    if not boxes:
        return []
    faces = np.stack([crop_face(gray, box, margin) for box in boxes])
    probabilities = apply_temperature(classify_faces(model, faces, tta=tta), temperature)
    return [FacePrediction(box, face, probs) for box, face, probs in zip(boxes, faces, probabilities, strict=True)]


def describe_prediction(
    prediction: FacePrediction, source: str = "", index: int = 1, min_confidence: float = 0.0
) -> str:
    """Return one line: source, face number, box x,y,w,h, label and confidence (what ``fer-predict`` prints);
    below ``min_confidence`` the answer is :func:`not_sure_text` instead of a label."""
    x, y, w, h = prediction.box
    prefix = f"{source}  " if source else ""
    answer = f"{prediction.label}  {prediction.confidence:.3f}"
    if prediction.confidence < min_confidence:
        answer = not_sure_text(prediction)
    return f"{prefix}face {index}  box={x},{y},{w},{h}  {answer}"


def not_sure_text(prediction: FacePrediction) -> str:
    """Return the answer for a face the model is not sure about, e.g. "not sure (top two: sad 41 %, neutral 35 %)"."""
    top_two = ", ".join(f"{name} {100 * p:.0f} %" for name, p in prediction.top(2))
    return f"not sure (top two: {top_two})"


def no_face_message(source: str = "") -> str:
    """Return the line printed for a photo in which the detector found no face."""
    prefix = f"{source}  " if source else ""
    wanted = f"a face at least {IMAGE_SIZE} px wide, not turned far away, well lit"
    return f"{prefix}no face found (the detector wants {wanted})"


def gradcam_overlays(model, predictions: Sequence[FacePrediction]) -> list[np.ndarray]:
    """Return one RGB uint8 Grad-CAM overlay (48x48) per face, for the class the model predicted for it."""
    from fer_helpers.evaluation.gradcam import gradcam_heatmap, overlay_heatmap

    return [
        overlay_heatmap(p.face, gradcam_heatmap(model, p.face, class_index=int(np.argmax(p.probabilities))))
        for p in predictions
    ]
