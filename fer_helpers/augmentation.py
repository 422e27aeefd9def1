"""Training-time augmentation as Keras preprocessing layers: the seed's rotation/shift/zoom/flip plus random erasing."""

from __future__ import annotations

import keras
from keras import layers


def build_augmentation(
    rotation: float = 10.0,
    shift: float = 0.1,
    zoom: float = 0.1,
    flip: bool = True,
    erasing: float = 0.5,
    seed: int = 42,
) -> keras.Sequential:
    """Return a Sequential of augmentation layers for batches of (48, 48, 1) faces with pixels 0-255.

    ``rotation`` is in degrees, ``shift`` and ``zoom`` are fractions of the image size, and
    ``erasing`` is the probability of cutting out a random patch (0 turns it off).
    """
    steps: list[keras.Layer] = []
    if flip:  # faces are left-right symmetric enough; up-down flips would not be
        steps.append(layers.RandomFlip("horizontal", seed=seed, name="flip"))
    if rotation:
        steps.append(layers.RandomRotation(rotation / 360.0, fill_mode="nearest", seed=seed + 1, name="rotation"))
    if shift:
        steps.append(layers.RandomTranslation(shift, shift, fill_mode="nearest", seed=seed + 2, name="shift"))
    if zoom:
        steps.append(layers.RandomZoom(zoom, fill_mode="nearest", seed=seed + 3, name="zoom"))
    if erasing:
        steps.append(
            layers.RandomErasing(
                factor=(erasing, erasing), scale=(0.02, 0.15), value_range=(0, 255), seed=seed + 4, name="erasing"
            )
        )
    return keras.Sequential(steps, name="augmentation")


def seed_augmentation(seed: int = 42) -> keras.Sequential:
    """Return the seed project's augmentation (rotation, shift, zoom, flip; no erasing)."""
    return build_augmentation(rotation=10.0, shift=0.1, zoom=0.1, flip=True, erasing=0.0, seed=seed)
