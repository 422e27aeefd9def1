"""Draw on photos and video frames with OpenCV: a box and a "label confidence" tag per face, and probability bars."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import cv2
import numpy as np

from fer_helpers.data.classes import CLASS_NAMES
from fer_helpers.inference.face_detection import Box
from fer_helpers.inference.face_prediction import FacePrediction

if TYPE_CHECKING:
    from fer_helpers.video.analysis import FaceObservation

FACE_COLOURS = ((0, 220, 0), (255, 170, 0), (0, 190, 255), (255, 80, 200), (250, 250, 60), (160, 120, 255))
"""RGB colours for face numbers 1, 2, ... (repeating), so that each tracked face keeps its colour."""


def _rgb_copy(photo: np.ndarray) -> np.ndarray:
    """Return a contiguous RGB uint8 copy of an RGB, RGBA or gray image to draw on."""
    return np.ascontiguousarray(photo if photo.ndim == 3 else cv2.cvtColor(photo, cv2.COLOR_GRAY2RGB))[..., :3].copy()


def _line_sizes(canvas: np.ndarray) -> tuple[int, float]:
    """Return the line thickness and font scale that suit an image of this size."""
    return max(1, round(max(canvas.shape[:2]) / 400)), max(0.4, max(canvas.shape[:2]) / 1000)


def _draw_box_and_tag(
    canvas: np.ndarray, box: Box, text: str, colour: tuple[int, int, int], thickness: int, font_scale: float
) -> None:
    """Draw ``box`` and a filled tag with ``text`` above it (below it when there is no room above), in place."""
    x, y, w, h = box
    cv2.rectangle(canvas, (x, y), (x + w, y + h), colour, thickness)
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


def annotate(
    photo: np.ndarray, predictions: Sequence[FacePrediction], colour: tuple[int, int, int] = (0, 220, 0)
) -> np.ndarray:
    """Return an RGB copy of ``photo`` with each face's box and a "label confidence" tag drawn on it."""
    canvas = _rgb_copy(photo)
    thickness, font_scale = _line_sizes(canvas)
    for prediction in predictions:
        text = f"{prediction.label} {prediction.confidence:.0%}"
        _draw_box_and_tag(canvas, prediction.box, text, colour, thickness, font_scale)
    return canvas


def face_colour(face_id: int) -> tuple[int, int, int]:
    """Return the RGB colour of face number ``face_id`` (see :data:`FACE_COLOURS`)."""
    return FACE_COLOURS[(face_id - 1) % len(FACE_COLOURS)]


def draw_probability_bars(
    canvas: np.ndarray, box: Box, probabilities: np.ndarray, colour: tuple[int, int, int] = (0, 220, 0)
) -> None:
    """Draw a small bar chart of the 7 class probabilities beside ``box`` (right of it, else left), in place."""
    row = max(8, round(canvas.shape[0] / 40))
    font_scale = row / 28
    label_width, bar_width = round(3.2 * row), 6 * row
    panel_w, panel_h = label_width + bar_width + 4, row * len(CLASS_NAMES) + 4
    x = box.x + box.w + 4 if box.x + box.w + 4 + panel_w <= canvas.shape[1] else max(0, box.x - 4 - panel_w)
    y = min(max(0, box.y), max(0, canvas.shape[0] - panel_h))
    cv2.rectangle(canvas, (x, y), (x + panel_w, y + panel_h), (30, 30, 30), -1)
    for i, (name, probability) in enumerate(zip(CLASS_NAMES, probabilities, strict=True)):
        top = y + 2 + i * row
        cv2.putText(
            canvas,
            name[:3],
            (x + 2, top + row - 2),
            cv2.FONT_HERSHEY_SIMPLEX,
            font_scale,
            (230, 230, 230),
            1,
            cv2.LINE_AA,
        )
        length = round(bar_width * float(np.clip(probability, 0, 1)))
        if length:
            cv2.rectangle(canvas, (x + label_width, top + 1), (x + label_width + length, top + row - 2), colour, -1)


def annotate_video_frame(frame: np.ndarray, faces: Sequence[FaceObservation]) -> np.ndarray:
    """Return an RGB copy of a video frame with each tracked face's box, "number: label confidence" tag and bars.

    Tags and bars show the *smoothed* probabilities (what a viewer should read); each face number keeps its colour.
    """
    canvas = _rgb_copy(frame)
    thickness, font_scale = _line_sizes(canvas)
    for face in faces:
        colour = face_colour(face.face_id)
        smoothed = face.smoothed_prediction
        text = f"{face.face_id}: {smoothed.label} {smoothed.confidence:.0%}"
        _draw_box_and_tag(canvas, face.box, text, colour, thickness, font_scale)
        draw_probability_bars(canvas, face.box, face.smoothed, colour)
    return canvas
