"""Faces in ordinary photos: find them (OpenCV's Haar cascade), crop them to 48x48 gray, predict, draw and explain.

FER2013 faces are already found, cropped and shrunk to 48x48 grayscale. A photo is not: this
module does those steps so that any course model can read the expressions in it:

1. :func:`load_photo` reads the file (turned upright by its EXIF tag) as RGB;
2. :func:`detect_faces` runs the Haar cascade on a gray copy, shrunk first when the photo is
   large (boxes are mapped back to the photo's own pixels);
3. :func:`crop_face` cuts a square around each box (with a small margin) and shrinks it to 48x48;
4. :func:`predict_faces` returns class probabilities for every face; :func:`annotate` draws
   boxes and labels; :func:`gradcam_overlays` shows which pixels drove each prediction.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from fer_helpers.classes import CLASS_NAMES
from fer_helpers.errors import FERDataError
from fer_helpers.imageset import IMAGE_SIZE

HAAR_CASCADE = "haarcascade_frontalface_default.xml"
"""OpenCV's frontal-face Haar cascade; the file ships inside the opencv package (``cv2.data.haarcascades``)."""
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


def load_photo(path: str | Path) -> np.ndarray:
    """Return the image at ``path`` as an RGB uint8 array (H, W, 3), turned upright by its EXIF orientation.

    Raises :class:`FERDataError` naming the file when it is missing or not a readable image.
    """
    path = Path(path)
    if not path.is_file():
        raise FERDataError(f"{path} does not exist or is not a file; give the path of a photo (JPEG or PNG).")
    try:
        with Image.open(path) as image:
            upright = ImageOps.exif_transpose(image)
            return np.asarray(upright.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as err:
        raise FERDataError(
            f"Cannot read {path} as an image ({err.__class__.__name__}); give a JPEG or PNG photo."
        ) from err


def save_photo(photo: np.ndarray, path: str | Path) -> Path:
    """Write an RGB (or gray) uint8 array as an image file at ``path`` (creating folders) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(photo).save(path)
    return path


def to_gray(photo: np.ndarray) -> np.ndarray:
    """Return ``photo`` (RGB, RGBA or gray) as a 2-D uint8 gray array."""
    if photo.ndim == 2:
        return photo.astype(np.uint8, copy=False)
    if photo.ndim == 3 and photo.shape[2] in (3, 4):
        code = cv2.COLOR_RGB2GRAY if photo.shape[2] == 3 else cv2.COLOR_RGBA2GRAY
        return cv2.cvtColor(photo.astype(np.uint8, copy=False), code)
    raise ValueError(f"Expected a gray (H, W) or RGB (H, W, 3) image, got shape {photo.shape}.")


@functools.lru_cache(maxsize=1)
def face_detector() -> cv2.CascadeClassifier:
    """Return OpenCV's frontal-face Haar cascade (loaded once from the opencv package)."""
    path = Path(cv2.data.haarcascades) / HAAR_CASCADE
    detector = cv2.CascadeClassifier(str(path))
    if detector.empty():
        raise RuntimeError(f"Cannot load the Haar cascade {path}; reinstall opencv-python-headless.")
    return detector


def detection_scale(shape: Sequence[int], max_side: int = DETECT_MAX_SIDE) -> float:
    """Return the factor (<= 1) that shrinks an image of ``shape`` so that its longer side is at most ``max_side``."""
    return min(1.0, max_side / max(shape[0], shape[1]))


def detect_faces(
    photo: np.ndarray,
    max_side: int = DETECT_MAX_SIDE,
    scale_factor: float = 1.1,
    min_neighbors: int = 5,
    min_size: int = 30,
) -> list[Box]:
    """Return the face boxes Haar finds in ``photo``, in the photo's own pixels, sorted left to right.

    Photos with a side longer than ``max_side`` are shrunk before detection and the boxes scaled back.
    ``min_size`` is the smallest face (pixels of the shrunk image) worth looking for: FER models see 48x48.
    """
    gray = to_gray(photo)
    scale = detection_scale(gray.shape, max_side)
    if scale < 1.0:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    found = face_detector().detectMultiScale(
        gray, scaleFactor=scale_factor, minNeighbors=min_neighbors, minSize=(min_size, min_size)
    )
    height, width = photo.shape[:2]
    boxes = []
    for x, y, w, h in np.asarray(found, dtype=np.float64).reshape(-1, 4) / scale:
        x0, y0 = max(0, round(x)), max(0, round(y))
        boxes.append(Box(x0, y0, min(round(w), width - x0), min(round(h), height - y0)))
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


def predict_faces(
    model,
    photo: np.ndarray,
    boxes: Sequence[Box] | None = None,
    margin: float = FACE_MARGIN,
    tta: bool = False,
) -> list[FacePrediction]:
    """Return one :class:`FacePrediction` per box (default: :func:`detect_faces`); [] when there is no face."""
    from fer_helpers.evaluation import predict_probabilities

    boxes = detect_faces(photo) if boxes is None else [Box(*b) for b in boxes]
    if not boxes:
        return []
    faces = np.stack([crop_face(photo, box, margin) for box in boxes])
    probabilities = predict_probabilities(model, faces, tta=tta)
    return [FacePrediction(box, face, probs) for box, face, probs in zip(boxes, faces, probabilities, strict=True)]


def describe_prediction(prediction: FacePrediction, source: str = "", index: int = 1) -> str:
    """Return one line: source, face number, box x,y,w,h, label and confidence (what ``fer-predict`` prints)."""
    x, y, w, h = prediction.box
    prefix = f"{source}  " if source else ""
    return f"{prefix}face {index}  box={x},{y},{w},{h}  {prediction.label}  {prediction.confidence:.3f}"


def no_face_message(source: str = "") -> str:
    """Return the line printed for a photo in which the detector found no face."""
    prefix = f"{source}  " if source else ""
    return f"{prefix}no face found (the Haar detector wants a frontal, upright, well-lit face at least ~30 px wide)"


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


def gradcam_overlays(model, predictions: Sequence[FacePrediction]) -> list[np.ndarray]:
    """Return one RGB uint8 Grad-CAM overlay (48x48) per face, for the class the model predicted for it."""
    from fer_helpers.gradcam import gradcam_heatmap, overlay_heatmap

    return [
        overlay_heatmap(p.face, gradcam_heatmap(model, p.face, class_index=int(np.argmax(p.probabilities))))
        for p in predictions
    ]


def plot_face_predictions(predictions: Sequence[FacePrediction], overlays: Sequence[np.ndarray] | None = None):
    """Return a figure with one row per face: the 48x48 crop, its Grad-CAM (if given) and the 7 probabilities."""
    import matplotlib.pyplot as plt

    columns = 3 if overlays is not None else 2
    fig, axes = plt.subplots(len(predictions), columns, figsize=(3.2 * columns, 2.6 * len(predictions)), squeeze=False)
    for row, prediction in enumerate(predictions):
        axes[row, 0].imshow(prediction.face, cmap="gray", vmin=0, vmax=255)
        axes[row, 0].set_title(f"face {row + 1}: what the model sees")
        if overlays is not None:
            axes[row, 1].imshow(overlays[row])
            axes[row, 1].set_title(f"Grad-CAM for '{prediction.label}'")
        for ax in axes[row, : columns - 1]:
            ax.axis("off")
        bars = axes[row, -1].barh(CLASS_NAMES, prediction.probabilities, color="lightgray")
        bars[int(np.argmax(prediction.probabilities))].set_color("tab:green")
        axes[row, -1].set_xlim(0, 1)
        axes[row, -1].invert_yaxis()
        axes[row, -1].set_title("probabilities")
    fig.tight_layout()
    return fig


def demo_photo(
    expressions: Sequence[str] = ("happy", "surprise"),
    face_size: int = 192,
    height: int = 360,
    seed: int = 7,
) -> tuple[np.ndarray, list[Box]]:
    """Return an RGB "photo" of drawn cartoon faces side by side on a coloured background, and where each face is.

    The faces come from the course's generator (:mod:`fer_helpers.synthetic`), shrunk to 48x48 and scaled up to
    ``face_size``: not real people, but the Haar detector finds them, so the photo pipeline can run without a photo.
    """
    from fer_helpers.synthetic import EXPRESSIONS, draw_face

    gap = face_size // 3
    width = gap + len(expressions) * (face_size + gap)
    height = max(height, face_size + 2 * gap)
    ramp = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
    photo = np.broadcast_to(
        np.array([70, 110, 150], np.float32) + ramp * np.array([60, 40, -40], np.float32), (height, width, 3)
    ).astype(np.uint8)
    boxes = []
    for i, name in enumerate(expressions):
        face = draw_face(EXPRESSIONS[name], np.random.default_rng([seed, i]))
        big = cv2.resize(face, (face_size, face_size), interpolation=cv2.INTER_CUBIC)
        x, y = gap + i * (face_size + gap), (height - face_size) // 2
        photo[y : y + face_size, x : x + face_size] = big[..., None]
        boxes.append(Box(x, y, face_size, face_size))
    return photo, boxes


def box_iou(a: Box, b: Box) -> float:
    """Return the intersection over union of two boxes (0: apart, 1: identical)."""
    ix = max(0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    iy = max(0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    inter = ix * iy
    union = a.w * a.h + b.w * b.h - inter
    return inter / union if union else 0.0
