"""Draw on photos with OpenCV: a box and a "label confidence" tag per face."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from fer_helpers.face_prediction import FacePrediction


def annotate(
    photo: np.ndarray, predictions: Sequence[FacePrediction], colour: tuple[int, int, int] = (0, 220, 0)
) -> np.ndarray:
    """Return an RGB copy of ``photo`` with each face's box and a "label confidence" tag drawn on it."""
    canvas = np.ascontiguousarray(photo if photo.ndim == 3 else cv2.cvtColor(photo, cv2.COLOR_GRAY2RGB))[..., :3].copy()
    thickness = max(1, round(max(canvas.shape[:2]) / 400))
    font_scale = max(0.4, max(canvas.shape[:2]) / 1000)
    for prediction in predictions:
        x, y, w, h = prediction.box
        cv2.rectangle(canvas, (x, y), (x + w, y + h), colour, thickness)
        text = f"{prediction.label} {prediction.confidence:.0%}"
        (tw, th), baseline = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thickness)
        top = y - th - baseline - 2 * thickness if y - th - baseline - 2 * thickness >= 0 else y + h
        cv2.rectangle(canvas, (x, top), (x + tw + 2 * thickness, top + th + baseline + 2 * thickness), colour, -1)
        cv2.putText(
            canvas,
            text,
            (x + thickness, top + th + thickness),
            cv2.FONT_HERSHEY_SIMPLEX,
            font_scale,
            (0, 0, 0),
            thickness,
            cv2.LINE_AA,
        )
    return canvas
