"""Find faces in a photo with OpenCV (YuNet, or the older Haar cascade) and crop each one the way FER2013 faces are.

FER2013 faces are already found, cropped and shrunk to 48x48 grayscale. A photo is not: :func:`detect_faces` finds
the faces (shrinking large photos first and mapping the boxes back to the photo's own pixels), and :func:`crop_face`
cuts a square around each box (with a small margin) and shrinks it to 48x48.

Two detectors, chosen with ``detector=``:

- ``"yunet"`` (the default): YuNet, a small neural network (W. Wu et al., 2023) that OpenCV runs as
  ``cv2.FaceDetectorYN``. It exists in every OpenCV from 4.5.4 to 5.x, in all opencv-python distributions; its
  ONNX file (230 KB, MIT License) ships inside this package (:func:`yunet_model_path`). It finds turned, tilted
  and small faces that Haar misses.
- ``"haar"``: OpenCV's Haar cascade (Viola and Jones, 2001). OpenCV 5 no longer has it (no
  ``cv2.CascadeClassifier``): :func:`haar_available` says whether this OpenCV does.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from fer_helpers.data.imageset import IMAGE_SIZE
from fer_helpers.errors import FERDataError

DETECTORS = ("yunet", "haar")
"""The face detectors :func:`detect_faces` knows."""
DEFAULT_DETECTOR = "yunet"
"""The detector used when none is named: YuNet, which every OpenCV (4.5.4 to 5.x) runs."""
YUNET_MODEL = "face_detection_yunet_2023mar.onnx"
"""YuNet's model file, shipped in ``fer_helpers/assets/`` (source and license in the README there)."""
YUNET_SCORE_THRESHOLD = 0.3
"""YuNet reports a face when its score reaches this (0-1). Measured with benchmarks/face_detectors.py (docs/results.md):
0.3 finds 98 % of notebook 07's pasted FER2013 faces (0.7: 94 %, 0.9: 62 %; Haar 74 %) and all seven of the course's
drawn demo faces (they score 0.35-0.86), for three false faces on ten photos without a face (Haar: six)."""
YUNET_NMS_THRESHOLD = 0.3
"""Boxes overlapping a better one by more than this IoU are dropped (non-maximum suppression)."""
HAAR_CASCADE = "haarcascade_frontalface_default.xml"
"""OpenCV's frontal-face Haar cascade; the file ships inside the opencv 4 packages (``cv2.data.haarcascades``)."""
YUNET_MIN_SIDE = 640
"""Smaller images are enlarged to this longer side (at most ``max_side``) before YuNet runs: it scores faces of
100 pixels and less low (a 320x240 video's drawn face is found in 15 of 40 frames as it is, in 40 of 40 enlarged)."""
DETECT_MAX_SIDE = 1024
"""Photos whose longer side exceeds this many pixels are shrunk to it before detection (faster, same boxes)."""
FACE_MARGIN = 0.05
"""Extra border added on each side of a detected box before cropping (fraction of the box size).

Haar's box already frames a face much as FER2013's crops do: re-detecting FER2013 test faces, margins of
0-5 % reproduced the original crops' predictions best and 20 % clearly worse."""


class Box(NamedTuple):
    """A face box in photo pixels: left ``x``, top ``y``, width ``w`` and height ``h``."""

    x: int
    y: int
    w: int
    h: int


def box_intersection(a: Box, b: Box) -> int:
    """Return the area (pixels) that two boxes share."""
    ix = max(0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    iy = max(0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    return ix * iy


def box_iou(a: Box, b: Box) -> float:
    """Return the intersection over union of two boxes (0: apart, 1: identical)."""
    inter = box_intersection(a, b)
    union = a.w * a.h + b.w * b.h - inter
    return inter / union if union else 0.0


def to_gray(photo: np.ndarray) -> np.ndarray:
    """Return ``photo`` (RGB, RGBA or gray) as a 2-D uint8 gray array."""
    if photo.ndim == 2:
        return photo.astype(np.uint8, copy=False)
    if photo.ndim == 3 and photo.shape[2] in (3, 4):
        code = cv2.COLOR_RGB2GRAY if photo.shape[2] == 3 else cv2.COLOR_RGBA2GRAY
        return cv2.cvtColor(photo.astype(np.uint8, copy=False), code)
    raise ValueError(f"Expected a gray (H, W) or RGB (H, W, 3) image, got shape {photo.shape}.")


def yunet_model_path() -> Path:
    """Return the path of YuNet's ONNX file inside the installed package."""
    return Path(__file__).resolve().parents[1] / "assets" / YUNET_MODEL


def haar_available() -> bool:
    """Return True when this OpenCV has the Haar cascade (OpenCV 4 does; OpenCV 5's wheels have neither the class nor
    the file)."""
    if not hasattr(cv2, "CascadeClassifier"):
        return False
    folder = getattr(getattr(cv2, "data", None), "haarcascades", None)
    return folder is not None and (Path(folder) / HAAR_CASCADE).is_file()


@functools.lru_cache(maxsize=1)
def face_detector() -> cv2.CascadeClassifier:
    """Return OpenCV's frontal-face Haar cascade (loaded once from the opencv package)."""
    if not haar_available():
        raise FERDataError(
            f"This OpenCV ({cv2.__version__}) has no Haar cascade (OpenCV 5 dropped it): use detector='yunet'."
        )
    path = Path(cv2.data.haarcascades) / HAAR_CASCADE
    detector = cv2.CascadeClassifier(str(path))
    if detector.empty():
        raise RuntimeError(f"Cannot load the Haar cascade {path}; reinstall opencv-python-headless.")
    return detector


@functools.lru_cache(maxsize=4)
def yunet_detector(score_threshold: float = YUNET_SCORE_THRESHOLD, nms_threshold: float = YUNET_NMS_THRESHOLD):
    """Return OpenCV's YuNet detector (``cv2.FaceDetectorYN``) for the shipped model, created once per setting.

    Its input size is set for every image (``setInputSize``), so one detector serves images of any size.
    """
    return cv2.FaceDetectorYN.create(str(yunet_model_path()), "", (320, 320), score_threshold, nms_threshold, 5000)


def detection_scale(shape: Sequence[int], max_side: int = DETECT_MAX_SIDE) -> float:
    """Return the factor (<= 1) that shrinks an image of ``shape`` so that its longer side is at most ``max_side``."""
    return min(1.0, max_side / max(shape[0], shape[1]))


def to_bgr(photo: np.ndarray) -> np.ndarray:
    """Return ``photo`` (RGB, RGBA or gray) as the 3-channel BGR uint8 array YuNet expects."""
    photo = photo.astype(np.uint8, copy=False)
    if photo.ndim == 2:
        return cv2.cvtColor(photo, cv2.COLOR_GRAY2BGR)
    if photo.ndim == 3 and photo.shape[2] in (3, 4):
        return cv2.cvtColor(photo, cv2.COLOR_RGB2BGR if photo.shape[2] == 3 else cv2.COLOR_RGBA2BGR)
    raise ValueError(f"Expected a gray (H, W) or RGB (H, W, 3) image, got shape {photo.shape}.")


def yunet_boxes(image: np.ndarray, min_size: int, score_threshold: float) -> np.ndarray:
    """Return YuNet's boxes (N, 4: x, y, w, h in ``image``'s pixels) of faces at least ``min_size`` pixels wide
    (YuNet's boxes are taller than wide: the width compares with Haar's square boxes)."""
    detector = yunet_detector(score_threshold)
    detector.setInputSize((image.shape[1], image.shape[0]))
    _, rows = detector.detect(to_bgr(image))  # per face: x, y, w, h, five landmarks (x, y), score
    boxes = np.zeros((0, 4)) if rows is None else rows[:, :4].astype(np.float64)
    return boxes[boxes[:, 2] >= min_size]


def detect_faces(
    photo: np.ndarray,
    max_side: int = DETECT_MAX_SIDE,
    scale_factor: float = 1.1,
    min_neighbors: int = 5,
    min_size: int = 30,
    *,
    detector: str = DEFAULT_DETECTOR,
    score_threshold: float = YUNET_SCORE_THRESHOLD,
) -> list[Box]:
    """Return the face boxes ``detector`` ("yunet" or "haar") finds in ``photo``, in the photo's own pixels, sorted
    left to right.

    Photos with a side longer than ``max_side`` are shrunk before detection and the boxes scaled back; for YuNet,
    images under :data:`YUNET_MIN_SIDE` are enlarged to it (YuNet finds small faces better in a larger copy).
    ``min_size`` is the smallest face (pixels of the shrunk image) worth reporting: FER models see 48x48.
    ``score_threshold`` is YuNet's (higher: fewer false faces, more missed ones); ``scale_factor`` and
    ``min_neighbors`` are Haar's (the step between window sizes, and how many overlapping windows must agree).
    """
    if detector not in DETECTORS:
        raise ValueError(f"detector must be one of {DETECTORS}, got {detector!r}")
    image = photo if detector == "yunet" else to_gray(photo)
    scale = detection_scale(image.shape, max_side)
    if scale < 1.0:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    elif detector == "yunet" and max(image.shape[:2]) < min(max_side, YUNET_MIN_SIDE):
        scale = min(max_side, YUNET_MIN_SIDE) / max(image.shape[:2])  # enlarged: min_size stays in photo pixels
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        min_size = round(min_size * scale)
    if detector == "yunet":
        found = yunet_boxes(image, min_size, score_threshold)
    else:
        found = face_detector().detectMultiScale(
            image, scaleFactor=scale_factor, minNeighbors=min_neighbors, minSize=(min_size, min_size)
        )
    height, width = photo.shape[:2]
    boxes = []
    for x, y, w, h in np.asarray(found, dtype=np.float64).reshape(-1, 4) / scale:
        x0, y0 = min(width - 1, max(0, round(x))), min(height - 1, max(0, round(y)))
        x1, y1 = min(width, round(x + w)), min(height, round(y + h))
        if x1 > x0 and y1 > y0:
            boxes.append(Box(x0, y0, x1 - x0, y1 - y0))
    return sorted(boxes)


def whole_image_box(photo: np.ndarray) -> Box:
    """Return the largest centred square of ``photo``: use it when the photo is already a cropped face."""
    height, width = photo.shape[:2]
    side = min(height, width)
    return Box((width - side) // 2, (height - side) // 2, side, side)


def crop_face(photo: np.ndarray, box: Box, margin: float = FACE_MARGIN, size: int = IMAGE_SIZE) -> np.ndarray:
    """Return the square around ``box`` (grown by ``margin`` per side) as a (size, size) gray uint8 face.

    Parts of the square outside the photo are filled by repeating the edge pixels, so the face stays centred.
    """
    gray = to_gray(photo)
    side = max(box.w, box.h) * (1 + 2 * margin)
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    x0, y0 = round(cx - side / 2), round(cy - side / 2)
    x1, y1 = x0 + max(1, round(side)), y0 + max(1, round(side))
    pad = max(0, -x0, -y0, x1 - gray.shape[1], y1 - gray.shape[0])
    if pad:
        gray = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    square = gray[y0 + pad : y1 + pad, x0 + pad : x1 + pad]
    interpolation = cv2.INTER_AREA if square.shape[0] > size else cv2.INTER_LINEAR
    return cv2.resize(square, (size, size), interpolation=interpolation)


def drop_nested_boxes(boxes: Sequence[Box], inside: float = 0.5) -> list[Box]:
    """Return ``boxes`` without those lying mostly (``inside`` of their area) within a larger box.

    On big faces Haar sometimes also reports a part of the face (an eye and a brow) as a small face of its own;
    in a video that small box would become a second, short-lived face.
    """
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: b.w * b.h, reverse=True):
        if all(box_intersection(box, big) < inside * box.w * box.h for big in kept):
            kept.append(box)
    return sorted(kept)
