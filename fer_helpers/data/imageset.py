"""The in-memory form of one split: 48x48 uint8 faces, integer labels and where each came from."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from fer_helpers.data.classes import CLASS_NAMES, NUM_CLASSES
from fer_helpers.data.image_decoding import to_8bit
from fer_helpers.errors import FERDataWarning

IMAGE_SIZE = 48


@dataclass
class ImageSet:
    """Faces ``images`` (N, 48, 48) uint8, ``labels`` (N,) int64 and their ``origins`` (file path or CSV line)."""

    images: np.ndarray
    labels: np.ndarray
    origins: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.images) != len(self.labels):
            raise ValueError(f"{len(self.images)} images but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.labels)

    def class_counts(self) -> dict[str, int]:
        """Return the number of faces per class name, in :data:`CLASS_NAMES` order."""
        counts = np.bincount(self.labels, minlength=NUM_CLASSES)
        return {name: int(n) for name, n in zip(CLASS_NAMES, counts)}

    def subset(self, indices: np.ndarray) -> ImageSet:
        """Return a new ImageSet holding only the faces at ``indices``."""
        origins = [self.origins[i] for i in indices] if self.origins else []
        return ImageSet(self.images[indices], self.labels[indices], origins)


def to_face_array(image: Image.Image, origin: str) -> np.ndarray:
    """Return ``image`` as a 48x48 uint8 gray array, warning (not failing) when it had to convert it.

    Any mode is first decoded faithfully to 8 bits (:func:`fer_helpers.data.image_decoding.to_8bit`), or refused.
    """
    gray = to_8bit(image, origin)
    if gray.mode != "L":
        warnings.warn(f"{origin}: {gray.mode} image converted to grayscale.", FERDataWarning, stacklevel=2)
        gray = gray.convert("L")
    if gray.size != (IMAGE_SIZE, IMAGE_SIZE):
        warnings.warn(
            f"{origin}: {gray.size[0]}x{gray.size[1]} image resized to {IMAGE_SIZE}x{IMAGE_SIZE}.",
            FERDataWarning,
            stacklevel=2,
        )
        gray = gray.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BILINEAR)
    return np.asarray(gray, dtype=np.uint8)
