"""Training-time augmentation as Keras preprocessing layers: flip, one random affine warp, random erasing.

The seed project rotated, shifted and zoomed with three separate Keras layers. Each of them resamples the
image, and on 48x48 faces three bilinear passes in a row visibly blur the face, so the network trains on
blurred faces and is tested on sharp ones. The course combines the three into :class:`RandomAffine`, which
resamples once. :func:`baseline_augmentation` keeps the seed project's chain for the baseline's before-and-after story.
"""

from __future__ import annotations

import math

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="fer_helpers")
class RandomAffine(layers.Layer):
    """Rotate, shift and zoom every image by its own random amounts in a single resampling step.

    ``rotation`` is the largest tilt in degrees; ``shift`` and ``zoom`` are fractions of the image
    size. Like Keras' own augmentation layers it changes images only when called with ``training=True``.
    """

    def __init__(
        self,
        rotation: float = 10.0,
        shift: float = 0.1,
        zoom: float = 0.1,
        fill_mode: str = "nearest",
        interpolation: str = "bilinear",
        seed: int | None = None,
        **kwargs,
    ) -> None:
        kwargs.setdefault("dtype", "float32")  # resample in float32 even under a mixed-precision policy
        super().__init__(**kwargs)
        self.rotation, self.shift, self.zoom = float(rotation), float(shift), float(zoom)
        self.fill_mode, self.interpolation, self.seed = fill_mode, interpolation, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _uniform(self, batch, limit: float):
        """Return one draw per image from U(-limit, limit)."""
        return keras.random.uniform((batch,), -limit, limit, seed=self.seed_generator)

    def call(self, images, training: bool = True):
        images = ops.cast(images, self.compute_dtype)
        if not training:
            return images
        batch, height, width = ops.shape(images)[0], images.shape[1], images.shape[2]
        angle = self._uniform(batch, math.radians(self.rotation))
        scale = 1.0 + self._uniform(batch, self.zoom)  # > 1 samples a larger area: the face looks smaller
        dx, dy = self._uniform(batch, self.shift) * width, self._uniform(batch, self.shift) * height
        cos, sin = ops.cos(angle) * scale, ops.sin(angle) * scale
        cx, cy = (width - 1) / 2, (height - 1) / 2
        # Each output pixel p samples the input at  centre + scale * R(angle) (p - centre) - shift.
        zeros = ops.zeros_like(angle)
        transform = ops.stack(
            [cos, -sin, cx - cos * cx + sin * cy - dx, sin, cos, cy - sin * cx - cos * cy - dy, zeros, zeros], axis=1
        )
        return ops.image.affine_transform(images, transform, interpolation=self.interpolation, fill_mode=self.fill_mode)

    def compute_output_shape(self, input_shape):
        """Return the input shape: the warp keeps the image size."""
        return input_shape

    def get_config(self) -> dict:
        """Return the constructor arguments (for saving)."""
        return {
            **super().get_config(),
            "rotation": self.rotation,
            "shift": self.shift,
            "zoom": self.zoom,
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "seed": self.seed,
        }


def build_augmentation(
    rotation: float = 10.0,
    shift: float = 0.1,
    zoom: float = 0.1,
    flip: bool = True,
    erasing: float = 0.25,
    seed: int = 42,
) -> keras.Sequential:
    """Return the course's augmentation (flip, one affine warp, random erasing) for (48, 48, 1) faces, pixels 0-255.

    ``rotation`` is in degrees, ``shift`` and ``zoom`` are fractions of the image size, and
    ``erasing`` is the probability of cutting out a random patch (0 turns it off).
    """
    steps: list[keras.Layer] = []
    if flip:  # faces are left-right symmetric enough; up-down flips would not be
        steps.append(layers.RandomFlip("horizontal", seed=seed, name="flip"))
    if rotation or shift or zoom:
        steps.append(RandomAffine(rotation, shift, zoom, seed=seed + 1, name="affine"))
    if erasing:
        steps.append(
            layers.RandomErasing(
                factor=(erasing, erasing), scale=(0.02, 0.15), value_range=(0, 255), seed=seed + 4, name="erasing"
            )
        )
    return keras.Sequential(steps, name="augmentation")


def baseline_augmentation(seed: int = 42) -> keras.Sequential:
    """Return the seed project's augmentation: flip, then rotation, shift and zoom as three resampling layers."""
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal", seed=seed, name="flip"),
            layers.RandomRotation(10.0 / 360.0, fill_mode="nearest", seed=seed + 1, name="rotation"),
            layers.RandomTranslation(0.1, 0.1, fill_mode="nearest", seed=seed + 2, name="shift"),
            layers.RandomZoom(0.1, fill_mode="nearest", seed=seed + 3, name="zoom"),
        ],
        name="baseline_augmentation",
    )


def edge_strength(images) -> float:
    """Return the mean absolute difference between neighbouring pixels: lower means blurrier faces."""
    images = ops.convert_to_numpy(images).astype("float64")
    return float(abs(images[:, 1:] - images[:, :-1]).mean() + abs(images[:, :, 1:] - images[:, :, :-1]).mean())
