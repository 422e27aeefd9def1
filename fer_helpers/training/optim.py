"""The optimizer and ``compile`` of a training run: AdamW or SGD, the loss, accuracy (notebook 04)."""

from __future__ import annotations

import keras

from fer_helpers.profiles import Profile
from fer_helpers.training.losses import SmoothedSparseCrossentropy

SGD_MOMENTUM = 0.9
"""Nesterov momentum of the ``sgd`` optimizer option (the published FER2013 VGG's)."""


def build_optimizer(profile: Profile) -> keras.optimizers.Optimizer:
    """Return the profile's optimizer: AdamW, or SGD with Nesterov momentum; either keeps a weight average if asked.

    Keras decays weights apart from the gradient (each step ``w -= learning_rate * weight_decay * w``) for
    both. PyTorch's SGD instead adds ``weight_decay * w`` to the gradient, which momentum 0.9 then repeats about
    tenfold: its 1e-4 acts like about 1e-3 here.
    """
    average = {"use_ema": profile.ema_momentum is not None, "ema_momentum": profile.ema_momentum or 0.99}
    if profile.optimizer == "sgd":
        return keras.optimizers.SGD(
            learning_rate=profile.learning_rate,
            momentum=SGD_MOMENTUM,
            nesterov=True,
            weight_decay=profile.weight_decay,
            **average,
        )
    return keras.optimizers.AdamW(learning_rate=profile.learning_rate, weight_decay=profile.weight_decay, **average)


def compile_model(model: keras.Model, profile: Profile) -> keras.Model:
    """Compile ``model`` with the profile's optimizer (:func:`build_optimizer`), cross-entropy and accuracy.

    The loss is label-smoothed per the profile. On TensorFlow, XLA stays off: it is slower on the course's
    CPUs. JAX and PyTorch keep Keras's default ("auto": JAX compiles the step, without which it runs op by op).
    """
    smoothing = profile.label_smoothing
    model.compile(
        optimizer=build_optimizer(profile),
        loss=SmoothedSparseCrossentropy(smoothing) if smoothing else "sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=False if keras.backend.backend() == "tensorflow" else "auto",
    )
    return model
