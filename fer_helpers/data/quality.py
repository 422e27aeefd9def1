"""Data-quality checks for face datasets: exact duplicates (by hashing), near-blank faces, pixel statistics, mean faces.

Everything here only reads :class:`~fer_helpers.data.imageset.ImageSet` objects; nothing is changed or written.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fer_helpers.data.classes import CLASS_NAMES, NUM_CLASSES
from fer_helpers.data.imageset import IMAGE_SIZE, ImageSet

NEAR_BLANK_STD = 10.0
"""Default threshold: a face whose pixels vary less than this (standard deviation, 0-255 scale) is near-blank."""


def image_digest(image: np.ndarray) -> str:
    """Return the SHA-256 hex digest of one face's shape and raw pixel bytes (equal digest = identical pixels)."""
    pixels = np.ascontiguousarray(image)
    header = f"{pixels.dtype.str}{pixels.shape}".encode()
    return hashlib.sha256(header + pixels.tobytes()).hexdigest()


def image_digests(images: np.ndarray) -> list[str]:
    """Return the :func:`image_digest` of every face in ``images`` (N, 48, 48), in order."""
    return [image_digest(image) for image in images]


@dataclass(frozen=True)
class DuplicateGroup:
    """Two or more byte-identical faces: ``members`` are ``(split, index)`` pairs, ``labels`` their class labels."""

    digest: str
    members: tuple[tuple[str, int], ...]
    labels: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.members)

    @property
    def splits(self) -> tuple[str, ...]:
        """Return the distinct split names the copies sit in, in first-seen order."""
        return tuple(dict.fromkeys(split for split, _ in self.members))

    @property
    def crosses_splits(self) -> bool:
        """Return True when the copies sit in more than one split (a leak between them)."""
        return len(self.splits) > 1

    @property
    def has_conflicting_labels(self) -> bool:
        """Return True when the identical copies carry different class labels."""
        return len(set(self.labels)) > 1


def find_exact_duplicates(splits: dict[str, ImageSet]) -> list[DuplicateGroup]:
    """Return every group of two or more byte-identical faces within and across ``splits``, largest group first."""
    seen: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for split, faces in splits.items():
        for index, (digest, label) in enumerate(zip(image_digests(faces.images), faces.labels, strict=True)):
            seen[digest].append((split, index, int(label)))
    groups = [
        DuplicateGroup(digest, tuple((s, i) for s, i, _ in copies), tuple(label for _, _, label in copies))
        for digest, copies in seen.items()
        if len(copies) > 1
    ]
    return sorted(groups, key=lambda g: (-len(g), g.members))


def duplicate_summary(groups: list[DuplicateGroup]) -> dict[str, int]:
    """Return counts: groups, redundant copies, groups within one split, across splits, and with conflicting labels."""
    return {
        "duplicate groups": len(groups),
        "redundant copies": sum(len(g) - 1 for g in groups),
        "groups within one split": sum(not g.crosses_splits for g in groups),
        "groups across splits": sum(g.crosses_splits for g in groups),
        "groups with conflicting labels": sum(g.has_conflicting_labels for g in groups),
    }


def duplicates_by_splits(groups: list[DuplicateGroup]) -> dict[str, int]:
    """Return the number of groups per combination of splits, e.g. ``{"train": 900, "train+test": 250}``."""
    counts = Counter("+".join(sorted(g.splits)) for g in groups)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def cross_split_indices(groups: list[DuplicateGroup], split: str) -> np.ndarray:
    """Return the sorted indices of faces in ``split`` that have an identical copy in another split."""
    indices = {i for g in groups if g.crosses_splits for s, i in g.members if s == split}
    return np.array(sorted(indices), dtype=np.int64)


def face_brightness_contrast(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(brightness, contrast)`` per face: the mean and the standard deviation of its pixels (0-255).

    Works from the sums of the pixels and of their squares, a few thousand faces at a time (bounded memory). For
    integer pixels the sums are exact integers, which is several times faster on FER2013 than floating-point passes.
    """
    if not len(images):
        return np.zeros(0), np.zeros(0)
    flat = np.asarray(images).reshape(len(images), -1)
    exact = np.int64 if np.issubdtype(flat.dtype, np.integer) else np.float64
    sums, squares = [], []
    for start in range(0, len(flat), 4096):
        chunk = flat[start : start + 4096].astype(exact)
        sums.append(chunk.sum(axis=1))
        squares.append(np.einsum("ij,ij->i", chunk, chunk))
    brightness = np.concatenate(sums) / flat.shape[1]
    variance = np.concatenate(squares) / flat.shape[1] - brightness**2
    return brightness, np.sqrt(np.maximum(variance, 0.0))  # clip rounding below zero (flat float faces)


def find_near_blank(images: np.ndarray, std_threshold: float = NEAR_BLANK_STD) -> np.ndarray:
    """Return the indices of faces whose pixel standard deviation is below ``std_threshold`` (flat, blank images)."""
    _, contrast = face_brightness_contrast(images)
    return np.flatnonzero(contrast < std_threshold)


def mean_faces(faces: ImageSet) -> np.ndarray:
    """Return the average face of each class as float32 (7, 48, 48) in CLASS_NAMES order (NaN for an empty class)."""
    means = np.full((NUM_CLASSES, IMAGE_SIZE, IMAGE_SIZE), np.nan, dtype=np.float32)
    for label in range(NUM_CLASSES):
        members = faces.images[faces.labels == label]
        if len(members):
            means[label] = members.mean(axis=0, dtype=np.float64)
    return means


def pixel_statistics(faces: ImageSet) -> pd.DataFrame:
    """Return one row per class plus "all": faces, mean and spread of brightness, mean contrast, near-blank count."""
    brightness, contrast = face_brightness_contrast(faces.images)
    rows = {}
    for label, name in [*enumerate(CLASS_NAMES), (None, "all")]:
        keep = np.ones(len(faces), dtype=bool) if label is None else faces.labels == label
        rows[name] = {
            "faces": int(keep.sum()),
            "brightness mean": brightness[keep].mean() if keep.any() else np.nan,
            "brightness std": brightness[keep].std() if keep.any() else np.nan,
            "contrast mean": contrast[keep].mean() if keep.any() else np.nan,
            "near-blank": int((contrast[keep] < NEAR_BLANK_STD).sum()),
        }
    return pd.DataFrame.from_dict(rows, orient="index").round(1)
