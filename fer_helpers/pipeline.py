"""tf.data input pipelines: 48x48x1 float32 faces (0-255), cached, shuffled, batched, augmented, prefetched."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from fer_helpers.imageset import ImageSet


def as_model_input(images: np.ndarray) -> np.ndarray:
    """Return uint8 faces (N, 48, 48) as the float32 (N, 48, 48, 1) array the models take (pixels 0-255)."""
    return images.astype("float32")[..., None]


def make_dataset(
    faces: ImageSet,
    batch_size: int = 64,
    training: bool = False,
    augmentation: keras.Layer | None = None,
    seed: int = 42,
) -> tf.data.Dataset:
    """Return a batched ``(image, label)`` dataset; shuffled and augmented only when ``training``."""
    ds = tf.data.Dataset.from_tensor_slices((faces.images[..., None], faces.labels))
    ds = ds.map(lambda x, y: (tf.cast(x, tf.float32), y), num_parallel_calls=tf.data.AUTOTUNE).cache()
    if training:
        ds = ds.shuffle(len(faces), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if training and augmentation is not None:
        ds = ds.map(lambda x, y: (augmentation(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)
