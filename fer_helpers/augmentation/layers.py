"""Training-time augmentation as Keras preprocessing layers: flip, one random affine warp, random erasing.

The seed project rotated, shifted and zoomed with three separate Keras layers. Each of them resamples the
image, and on 48x48 faces three bilinear passes in a row visibly blur the face, so the network trains on
blurred faces and is tested on sharp ones. The course combines the three into :class:`RandomAffine`, which
resamples once; it can also take random resized crops (``crop_scale``) in the same single resampling step.
:func:`baseline_augmentation` keeps the seed project's chain for the baseline's before-and-after story.
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

    ``crop_scale`` (area fractions, e.g. ``(0.8, 1.2)``) adds a random resized crop, as torchvision's
    ``RandomResizedCrop`` takes it: a window covering that share of the face's area, with an aspect ratio
    (width / height) drawn log-uniformly from ``crop_ratio``, placed at random where it fits inside the face,
    is stretched back to the full image. Torchvision re-draws windows that do not fit (and after ten failures
    keeps the whole image); here a window side longer than the face's is centred on it and the outside filled
    by ``fill_mode``, so areas above 1 zoom the face out. The crop multiplies the zoom and adds to the shift,
    all in the same single resampling.
    """

    def __init__(
        self,
        rotation: float = 10.0,
        shift: float = 0.1,
        zoom: float = 0.1,
        fill_mode: str = "nearest",
        interpolation: str = "bilinear",
        seed: int | None = None,
        crop_scale: tuple[float, float] | None = None,
        crop_ratio: tuple[float, float] = (3 / 4, 4 / 3),
        **kwargs,
    ) -> None:
        kwargs.setdefault("dtype", "float32")  # resample in float32 even under a mixed-precision policy
        super().__init__(**kwargs)
        self.rotation, self.shift, self.zoom = float(rotation), float(shift), float(zoom)
        self.fill_mode, self.interpolation, self.seed = fill_mode, interpolation, seed
        if crop_scale is not None and not 0 < crop_scale[0] <= crop_scale[1]:
            raise ValueError(f"crop_scale must be (low, high) area fractions with 0 < low <= high, not {crop_scale}.")
        self.crop_scale = None if crop_scale is None else (float(crop_scale[0]), float(crop_scale[1]))
        self.crop_ratio = (float(crop_ratio[0]), float(crop_ratio[1]))
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _uniform(self, batch, limit: float):
        """Return one draw per image from U(-limit, limit)."""
        return keras.random.uniform((batch,), -limit, limit, seed=self.seed_generator)

    def _random_crops(self, batch, width: int, height: int):
        """Return per-image (x scale, y scale, x offset, y offset) of random resized crops (see the class doc)."""
        low, high = self.crop_scale
        area = keras.random.uniform((batch,), low, high, seed=self.seed_generator)
        log_low, log_high = math.log(self.crop_ratio[0]), math.log(self.crop_ratio[1])
        ratio = ops.exp(keras.random.uniform((batch,), log_low, log_high, seed=self.seed_generator))
        crop_x, crop_y = ops.sqrt(area * ratio), ops.sqrt(area / ratio)  # the window's share of width and height
        slack_x, slack_y = ops.maximum(1.0 - crop_x, 0.0) / 2, ops.maximum(1.0 - crop_y, 0.0) / 2
        # Offsets in pixels between the outermost pixel centres, so that a crop inside the face samples only the face.
        offset_x = keras.random.uniform((batch,), -1.0, 1.0, seed=self.seed_generator) * slack_x * (width - 1)
        offset_y = keras.random.uniform((batch,), -1.0, 1.0, seed=self.seed_generator) * slack_y * (height - 1)
        return crop_x, crop_y, offset_x, offset_y

    def call(self, images, training: bool = True):
        images = ops.cast(images, self.compute_dtype)
        if not training:
            return images
        batch, height, width = ops.shape(images)[0], images.shape[1], images.shape[2]
        angle = self._uniform(batch, math.radians(self.rotation))
        scale = 1.0 + self._uniform(batch, self.zoom)  # > 1 samples a larger area: the face looks smaller
        dx, dy = self._uniform(batch, self.shift) * width, self._uniform(batch, self.shift) * height
        if self.crop_scale is not None:
            crop_x, crop_y, offset_x, offset_y = self._random_crops(batch, width, height)
        else:  # no crop: the whole face, not moved
            crop_x = crop_y = ops.ones_like(angle)
            offset_x = offset_y = ops.zeros_like(angle)
        # Each output pixel p samples the input at  centre + R(angle) diag(sx, sy) (p - centre) + crop offset - shift.
        sx, sy = scale * crop_x, scale * crop_y
        a0, a1, b0, b1 = ops.cos(angle) * sx, -ops.sin(angle) * sy, ops.sin(angle) * sx, ops.cos(angle) * sy
        cx, cy = (width - 1) / 2, (height - 1) / 2
        zeros = ops.zeros_like(angle)
        transform = ops.stack(
            [
                a0,
                a1,
                cx - a0 * cx - a1 * cy + offset_x - dx,
                b0,
                b1,
                cy - b0 * cx - b1 * cy + offset_y - dy,
                zeros,
                zeros,
            ],
            axis=1,
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
            "crop_scale": self.crop_scale,
            "crop_ratio": self.crop_ratio,
        }


def build_augmentation(
    rotation: float = 10.0,
    shift: float = 0.1,
    zoom: float = 0.1,
    flip: bool = True,
    erasing: float = 0.25,
    seed: int = 42,
    crop_scale: tuple[float, float] | None = None,
    erasing_scale: tuple[float, float] = (0.02, 0.15),
) -> keras.Sequential:
    """Return the course's augmentation (flip, one affine warp, random erasing) for (48, 48, 1) faces, pixels 0-255.

    ``rotation`` is in degrees, ``shift`` and ``zoom`` are fractions of the image size, and
    ``erasing`` is the probability of cutting out a random patch (0 turns it off) covering about
    ``erasing_scale`` of the face's area. ``crop_scale`` adds random resized crops to the warp
    (see :class:`RandomAffine`); None leaves them out.
    """
    steps: list[keras.Layer] = []
    if flip:  # faces are left-right symmetric enough; up-down flips would not be
        steps.append(layers.RandomFlip("horizontal", seed=seed, name="flip"))
    if rotation or shift or zoom or crop_scale:
        steps.append(RandomAffine(rotation, shift, zoom, seed=seed + 1, crop_scale=crop_scale, name="affine"))
    if erasing:
        steps.append(
            layers.RandomErasing(
                factor=(erasing, erasing), scale=erasing_scale, value_range=(0, 255), seed=seed + 4, name="erasing"
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
