"""Input pipelines: 48x48x1 float32 faces (0-255), shuffled, batched and augmented for training.

With Keras's TensorFlow backend (the course's default, and Colab's) this is a cached, prefetched ``tf.data``
pipeline. On another backend (JAX or PyTorch, for a machine without TensorFlow) it is a
:class:`keras.utils.PyDataset` that can do the same work batch by batch; training there leaves the augmentation
out of it and runs the layers inside the compiled train step instead (see ``training.augments_inside_model``).
"""

from __future__ import annotations

import math

import keras
import numpy as np

from fer_helpers.data.imageset import ImageSet


def as_model_input(images: np.ndarray) -> np.ndarray:
    """Return uint8 faces (N, 48, 48) as the float32 (N, 48, 48, 1) array the models take (pixels 0-255)."""
    return images.astype("float32")[..., None]


class FaceBatches(keras.utils.PyDataset):
    """Batches of ``(faces, labels)`` from in-memory arrays, reshuffled each epoch and augmented when training.

    Training drops the last, smaller batch (each epoch leaves out different faces) so that the train step
    sees one batch shape: JAX compiles one program per shape (25 s for the gpu profile's model on an H200).
    ``workers`` threads prepare training batches ahead, so the next batch is ready when a step ends.
    """

    def __init__(
        self,
        faces: ImageSet,
        batch_size: int,
        training: bool = False,
        augmentation: keras.Layer | None = None,
        seed: int = 42,
        workers: int = 1,
    ):
        super().__init__(workers=workers)
        self.images = faces.images
        self.labels = faces.labels
        self.batch_size = batch_size
        self.training = training
        self.augmentation = augmentation if training else None
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(len(self.labels)) if training else np.arange(len(self.labels))

    def __len__(self) -> int:
        if self.training and len(self.labels) >= self.batch_size:
            return len(self.labels) // self.batch_size
        return math.ceil(len(self.labels) / self.batch_size)

    def __getitem__(self, index: int):
        rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        x = as_model_input(self.images[rows])
        if self.augmentation is not None:
            x = keras.ops.convert_to_numpy(self.augmentation(x, training=True))
        return x, self.labels[rows]

    def on_epoch_end(self) -> None:
        if self.training:
            self._order = self._rng.permutation(len(self.labels))


def make_dataset(
    faces: ImageSet,
    batch_size: int = 64,
    training: bool = False,
    augmentation: keras.Layer | None = None,
    seed: int = 42,
):
    """Return batched ``(image, label)`` data for ``fit``: shuffled and augmented only when ``training``.

    A ``tf.data.Dataset`` on the TensorFlow backend, else a :class:`FaceBatches`.
    """
    if keras.backend.backend() != "tensorflow":
        return FaceBatches(faces, batch_size, training, augmentation, seed, workers=4 if training else 1)
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((faces.images[..., None], faces.labels))
    ds = ds.map(lambda x, y: (tf.cast(x, tf.float32), y), num_parallel_calls=tf.data.AUTOTUNE).cache()
    if training:
        ds = ds.shuffle(len(faces), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if training and augmentation is not None:
        ds = ds.map(lambda x, y: (augmentation(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)
