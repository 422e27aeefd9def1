"""Model builders: the seed's baseline CNN, the improved batch-norm VGG-style CNN (a narrow CPU and a wide GPU size),
and the published FER2013 VGG (Khaireddin and Chen 2021) for the GPU candidates.

Every model takes (48, 48, 1) float faces with pixels 0-255 (it rescales them itself) and
returns class probabilities in :data:`~fer_helpers.data.classes.CLASS_NAMES` order.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
from keras import layers

from fer_helpers.data.classes import NUM_CLASSES
from fer_helpers.data.imageset import IMAGE_SIZE

INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)


def _inputs() -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """Return the model input and its rescaled (0-1) version."""
    inputs = keras.Input(INPUT_SHAPE, name="face")
    return inputs, layers.Rescaling(1.0 / 255, name="rescale")(inputs)


def _classifier_head(x: keras.KerasTensor) -> keras.KerasTensor:
    """Return softmax probabilities (float32 even under mixed precision)."""
    x = layers.Dense(NUM_CLASSES, name="logits")(x)
    return layers.Activation("softmax", dtype="float32", name="probabilities")(x)


def build_baseline(dropout: float = 0.5) -> keras.Model:
    """Return the seed project's CNN: three conv + max-pool blocks, a dense layer, dropout and softmax."""
    inputs, x = _inputs()
    for i, filters in enumerate((32, 64, 128), start=1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"block{i}_conv")(x)
        x = layers.MaxPooling2D(name=f"block{i}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(128, activation="relu", name="dense")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    return keras.Model(inputs, _classifier_head(x), name="baseline")


def _conv_bn_relu(x: keras.KerasTensor, filters: int, name: str) -> keras.KerasTensor:
    """Return conv 3x3 -> batch norm -> ReLU (no conv bias: batch norm adds its own shift)."""
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def build_vgg_bn(
    widths: tuple[int, ...] = (32, 64, 128, 256),
    convs_per_block: tuple[int, ...] = (1, 2, 2, 2),
    dense_units: int = 256,
    dropout: float = 0.3,
    name: str = "vgg_bn",
) -> keras.Model:
    """Return a batch-norm VGG-style CNN: blocks of conv-BN-ReLU + max-pool, global average pooling, dropout, dense.

    The default is sized for 2 CPU cores: the blocks halve the resolution and double the channels, so blocks 2-4
    cost the same; block 1 keeps a single conv at full 48x48 resolution, where a second one (32 to 32 channels)
    would cost two-thirds of a later block. :func:`build_vgg_bn_wide` doubles the width for a GPU.
    """
    inputs, x = _inputs()
    for b, (filters, convs) in enumerate(zip(widths, convs_per_block), start=1):
        for c in range(1, convs + 1):
            x = _conv_bn_relu(x, filters, f"block{b}_{c}")
        x = layers.MaxPooling2D(name=f"block{b}_pool")(x)
    x = layers.GlobalAveragePooling2D(name="global_pool")(x)
    x = layers.Dropout(dropout, name="dropout1")(x)
    x = layers.Dense(dense_units, use_bias=False, name="dense")(x)
    x = layers.BatchNormalization(name="dense_bn")(x)
    x = layers.ReLU(name="dense_relu")(x)
    x = layers.Dropout(dropout, name="dropout2")(x)
    return keras.Model(inputs, _classifier_head(x), name=name)


def build_vgg_bn_wide(dropout: float = 0.3) -> keras.Model:
    """Return the GPU-sized VGG-BN: twice the width and two convs in every block."""
    return build_vgg_bn(
        widths=(64, 128, 256, 512), convs_per_block=(2, 2, 2, 2), dense_units=512, dropout=dropout, name="vgg_bn_wide"
    )


def build_vgg_bn_paper(dropout: float = 0.2) -> keras.Model:
    """Return the VGG of Khaireddin and Chen (2021, arXiv:2105.03588) for 48x48 faces: 40 M weights.

    Four stages of two conv-BN-ReLU (64, 128, 256, 512 filters) with max-pooling, then flattened into two
    4096-wide dense layers, each followed by dropout and ReLU as in their code, and the classifier. They
    feed 40x40 crops (a 2x2x512 map); on the course's 48x48 faces the map is 3x3x512, so the first dense
    layer is wider. Its file (160 MB) is too big to ship in the repository: it is a GPU experiment.
    """
    inputs, x = _inputs()
    for b, filters in enumerate((64, 128, 256, 512), start=1):
        for c in (1, 2):
            x = _conv_bn_relu(x, filters, f"block{b}_{c}")
        x = layers.MaxPooling2D(name=f"block{b}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    for i in (1, 2):
        x = layers.Dense(4096, name=f"dense{i}")(x)
        x = layers.Dropout(dropout, name=f"dropout{i}")(x)
        x = layers.ReLU(name=f"dense{i}_relu")(x)
    return keras.Model(inputs, _classifier_head(x), name="vgg_bn_paper")


MODEL_BUILDERS: dict[str, Callable[..., keras.Model]] = {
    "baseline": build_baseline,
    "vgg_bn": build_vgg_bn,
    "vgg_bn_wide": build_vgg_bn_wide,
}
"""The course's models (notebooks 03 and 06 show each one; ``fer-train --model`` offers them)."""
EXPERIMENT_BUILDERS: dict[str, Callable[..., keras.Model]] = {
    "vgg_bn_paper": build_vgg_bn_paper,
}
"""Models built only for experiments (``benchmarks/gpu_candidates.py``): too big to ship or to show in a lesson."""


def build_model(name: str, dropout: float | None = None) -> keras.Model:
    """Return a fresh, uncompiled model by name (one of :data:`MODEL_BUILDERS` or :data:`EXPERIMENT_BUILDERS`);
    ``dropout`` None keeps its default."""
    builders = {**MODEL_BUILDERS, **EXPERIMENT_BUILDERS}
    if name not in builders:
        raise ValueError(f"Unknown model {name!r}; choose one of {', '.join(builders)}.")
    return builders[name]() if dropout is None else builders[name](dropout=dropout)
