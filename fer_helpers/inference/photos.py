"""Photos in and out: read a photo file upright as RGB, write one, or draw a demo photo of cartoon faces."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from fer_helpers.data.image_decoding import read_8bit_image, to_rgb_array
from fer_helpers.errors import FERDataError
from fer_helpers.inference.face_detection import Box


def load_photo(path: str | Path) -> np.ndarray:
    """Return the image at ``path`` as an RGB uint8 array (H, W, 3), turned upright by its EXIF orientation.

    Decoded as training and evaluation decode faces (:mod:`fer_helpers.data.image_decoding`): a 16-bit or transparent
    photo comes out as it looks. Raises :class:`FERDataError` naming the file when it is missing or not a
    readable image.
    """
    path = Path(path)
    if not path.is_file():
        raise FERDataError(f"{path} does not exist or is not a file; give the path of a photo (JPEG or PNG).")
    return to_rgb_array(read_8bit_image(path, fix="Give a JPEG or PNG photo."))


def save_photo(photo: np.ndarray, path: str | Path) -> Path:
    """Write an RGB (or gray) uint8 array as an image file at ``path`` (creating folders) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(photo).save(path)
    return path


def demo_photo(
    expressions: Sequence[str] = ("happy", "surprise"),
    face_size: int = 192,
    height: int = 360,
    seed: int = 7,
) -> tuple[np.ndarray, list[Box]]:
    """Return an RGB "photo" of drawn cartoon faces side by side on a coloured background, and where each face is.

    The faces come from the course's generator (:mod:`fer_helpers.data.synthetic`), shrunk to 48x48 and scaled up to
    ``face_size``: not real people, but the Haar detector finds them, so the photo pipeline can run without a photo.
    """
    from fer_helpers.data.synthetic import EXPRESSIONS, draw_face

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
