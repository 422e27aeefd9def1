"""Transfer learning: an ImageNet backbone (MobileNetV3Small or EfficientNetB0) fine-tuned on FER2013.

The model keeps the course's input contract, (48, 48, 1) faces with pixels 0-255, and does the
rest itself: it scales the face up to :data:`TRANSFER_IMAGE_SIZE`, repeats the gray channel three
times (ImageNet models expect RGB) and lets the backbone apply its own preprocessing. So every
course tool (evaluation, ``fer-predict``, TFLite export) works with it unchanged.

Training is in two stages: first only the new head with the backbone frozen (so that large,
random head gradients do not wreck the pretrained features), then the backbone too, with a
learning rate about ten times smaller. Batch-norm layers stay frozen throughout (their ImageNet
statistics are kept), as the Keras fine-tuning guide advises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import keras
from keras import layers

from fer_helpers.data.classes import NUM_CLASSES
from fer_helpers.models.builders import INPUT_SHAPE

TRANSFER_IMAGE_SIZE = 96
"""Side in pixels the 48x48 faces are scaled up to before the backbone (ImageNet models want >= 32, like >= 96)."""
BACKBONE_LAYER = "backbone"


def _mobilenet_v3_small(input_shape: tuple[int, int, int], weights: str | None) -> keras.Model:
    """Return MobileNetV3Small without its classifier (it rescales 0-255 pixels itself)."""
    return keras.applications.MobileNetV3Small(
        input_shape=input_shape, include_top=False, weights=weights, include_preprocessing=True
    )


def _efficientnet_b0(input_shape: tuple[int, int, int], weights: str | None) -> keras.Model:
    """Return EfficientNetB0 without its classifier (it normalises 0-255 pixels itself)."""
    return keras.applications.EfficientNetB0(input_shape=input_shape, include_top=False, weights=weights)


BACKBONES: dict[str, Callable[[tuple[int, int, int], str | None], keras.Model]] = {
    "mobilenet_v3_small": _mobilenet_v3_small,
    "efficientnet_b0": _efficientnet_b0,
}
"""Backbones by name: MobileNetV3Small (~1M parameters, fast) and EfficientNetB0 (~4M, more accurate)."""


def build_transfer_model(
    backbone: str = "mobilenet_v3_small",
    weights: str | None = "imagenet",
    image_size: int = TRANSFER_IMAGE_SIZE,
    dropout: float = 0.3,
) -> keras.Model:
    """Return an uncompiled model: 48x48x1 faces (0-255) -> upscale -> gray to RGB -> backbone -> 7-class softmax.

    ``weights="imagenet"`` downloads the pretrained weights on first use (needs internet);
    ``weights=None`` builds the same architecture with random weights. The backbone starts frozen.
    """
    if backbone not in BACKBONES:
        raise ValueError(f"Unknown backbone {backbone!r}; choose one of {', '.join(BACKBONES)}.")
    base = BACKBONES[backbone]((image_size, image_size, 3), weights)
    base.name = BACKBONE_LAYER
    base.trainable = False
    inputs = keras.Input(INPUT_SHAPE, name="face")
    x = layers.Resizing(image_size, image_size, interpolation="bilinear", name="upscale")(inputs)
    x = layers.Concatenate(name="gray_to_rgb")([x, x, x])
    x = base(x, training=False)  # batch norm keeps its ImageNet statistics, even once unfrozen
    x = layers.GlobalAveragePooling2D(name="global_pool")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Dense(NUM_CLASSES, name="logits")(x)
    outputs = layers.Activation("softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=f"transfer_{backbone}")


def backbone_of(model: keras.Model) -> keras.Model:
    """Return the pretrained backbone inside a model from :func:`build_transfer_model`."""
    return model.get_layer(BACKBONE_LAYER)


def unfreeze_backbone(model: keras.Model, top_layers: int | None = None) -> int:
    """Unfreeze the backbone's last ``top_layers`` layers (None: all) but batch norm; return how many have weights."""
    base = backbone_of(model)
    base.trainable = True
    start = 0 if top_layers is None else max(0, len(base.layers) - top_layers)
    count = 0
    for i, layer in enumerate(base.layers):
        layer.trainable = i >= start and not isinstance(layer, layers.BatchNormalization)
        count += layer.trainable and bool(layer.weights)
    return count


def compile_transfer(
    model: keras.Model,
    learning_rate: float | keras.optimizers.schedules.LearningRateSchedule,
    weight_decay: float = 1e-4,
    run_eagerly: bool = False,
) -> keras.Model:
    """Compile ``model`` with AdamW, sparse cross-entropy and accuracy; recompile after changing what is trainable.

    ``run_eagerly`` skips tracing the train and test steps into graphs: slower per step, but for a run of one or two
    steps (the smoke plan) tracing a backbone of a hundred layers costs more than it saves.
    """
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=learning_rate, weight_decay=weight_decay),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        run_eagerly=run_eagerly,
    )
    return model


def trainable_parameters(model: keras.Model) -> int:
    """Return the number of trainable parameters (those the optimiser will change)."""
    return int(sum(keras.ops.size(w) for w in model.trainable_weights))


@dataclass(frozen=True)
class TransferPlan:
    """How notebook 08 trains: pretrained or random weights, and the two stages' epochs and learning rates."""

    profile: str
    backbone: str
    weights: str | None
    head_epochs: int
    fine_tune_epochs: int
    head_learning_rate: float
    fine_tune_learning_rate: float
    fine_tune_layers: int | None
    """Backbone layers unfrozen in stage 2 (None: all of them)."""
    batch_size: int
    max_train_faces: int | None
    """Train on only this many faces (the smoke check); None: all."""
    run_eagerly: bool = False
    """Train without tracing graphs (see :func:`compile_transfer`): only for the smoke check's single steps."""

    def to_dict(self) -> dict:
        """Return the plan as a plain dict."""
        return asdict(self)


def transfer_plan(profile_name: str | None = None, backbone: str = "mobilenet_v3_small") -> TransferPlan:
    """Return the plan for a profile: ``gpu`` (full), ``cpu`` (short) or ``smoke`` (random weights, one step)."""
    from fer_helpers.profiles import get_profile

    name = get_profile(profile_name).name
    if name == "smoke":  # CI: no internet for the ImageNet weights, seconds of CPU; checks only that the code runs
        # One step per stage, run eagerly and (stage 2) on the top 20 layers only: tracing the whole backbone's
        # train step into a graph would take longer than the step itself.
        return TransferPlan(name, backbone, None, 1, 1, 1e-3, 1e-4, 20, 16, 16, run_eagerly=True)
    if name == "cpu":
        return TransferPlan(name, backbone, "imagenet", 1, 2, 1e-3, 1e-4, 60, 64, None)
    return TransferPlan(name, backbone, "imagenet", 3, 12, 1e-3, 1e-4, None, 64, None)
