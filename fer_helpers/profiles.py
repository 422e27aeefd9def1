"""Training profiles: ``smoke`` (seconds; tests, CI), ``cpu`` (a 60-minute budget on 2 cores), ``gpu`` (full recipe)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from fer_helpers.errors import SettingsError
from fer_helpers.provenance import gpu_names

PROFILE_ENV_VAR = "FER_PROFILE"
OPTIMIZERS = ("adamw", "sgd")
SCHEDULES = ("cosine", "plateau")


@dataclass(frozen=True)
class Profile:
    """Everything a training run needs to know besides the data."""

    name: str
    model: str
    max_epochs: int
    batch_size: int
    learning_rate: float
    weight_decay: float
    warmup_epochs: float
    patience: int
    time_budget_minutes: float | None
    """Wall-clock budget for training; the epoch count is fitted to it after the first epochs."""
    subset: float
    """Fraction of each split used (smoke runs use a small stratified part)."""
    mixed_precision: bool
    deterministic: bool
    """Turn on TensorFlow op determinism so that two seeded runs give identical numbers."""
    label_smoothing: float = 0.0
    """Share of each target spread over all classes, so that the model is not pushed to full certainty on
    FER2013's ambiguous faces; 0 turns it off."""
    ema_momentum: float | None = None
    """Keep an exponential moving average of the weights (AdamW's ``use_ema``) with this momentum per step;
    validation, checkpoints and the saved model then use the averaged weights. None turns it off."""
    dropout: float | None = None
    """Dropout rate of the model's head; None keeps the model's default (0.3 for the VGG-BN models). A short run
    that underfits wants less dropout than a long one. docs/results.md says how each profile's settings were chosen."""

    # Augmentation, optimiser and evaluation options; each default is what the course did before the option existed.
    shift: float = 0.1
    """Largest random shift, as a fraction of the face's size (the published recipe shifts up to 0.2)."""
    zoom: float = 0.1
    """Largest random zoom in or out, as a fraction of the face's size (0 when crops scale the face instead)."""
    crop_scale: tuple[float, float] | None = None
    """Random resized crops covering this range of the face's area, e.g. (0.8, 1.2), in the same single warp
    (see ``augmentation.RandomAffine``); None: no crops."""
    erasing: float = 0.25
    """Probability of random erasing per face (0 turns it off)."""
    erasing_scale: tuple[float, float] = (0.02, 0.15)
    """Area range of an erased patch, as fractions of the face (the published recipe: 0.02-0.33)."""
    optimizer: str = "adamw"
    """``"adamw"`` (AdamW) or ``"sgd"`` (SGD with Nesterov momentum 0.9, as the published FER2013 VGG trains).
    Both decay weights apart from the gradient (see ``training.build_optimizer``)."""
    schedule: str = "cosine"
    """``"cosine"``: warm-up, then a cosine decay fitted to the time budget. ``"plateau"``: warm-up (if any), then
    the rate is multiplied by ``plateau_factor`` whenever validation accuracy has not improved for
    ``plateau_patience`` epochs (``keras.callbacks.ReduceLROnPlateau``); the budget still stops the run in time."""
    plateau_factor: float = 0.75
    """Factor applied to the learning rate on a plateau (``schedule="plateau"``)."""
    plateau_patience: int = 5
    """Epochs without a better validation accuracy that make a plateau (``schedule="plateau"``)."""
    ten_crop_tta: bool = False
    """Also report accuracy with ten-crop test-time augmentation: on test, and on validation beside no TTA and flip
    TTA, with the mode chosen there (``experiment.ten_crop_metrics``)."""

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}.")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"Unknown schedule {self.schedule!r}; choose one of {', '.join(SCHEDULES)}.")

    def to_dict(self) -> dict:
        """Return the profile as a plain dict (for JSON provenance)."""
        return asdict(self)


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        model="vgg_bn",
        max_epochs=2,
        batch_size=32,
        learning_rate=1e-3,
        weight_decay=1e-4,
        warmup_epochs=0.0,
        patience=2,
        time_budget_minutes=None,
        subset=0.03,
        mixed_precision=False,
        deterministic=True,
    ),
    "cpu": Profile(
        name="cpu",
        model="vgg_bn",
        max_epochs=40,
        batch_size=64,
        learning_rate=2e-3,
        weight_decay=1e-4,
        warmup_epochs=1.0,
        patience=10,
        time_budget_minutes=60.0,
        subset=1.0,
        mixed_precision=False,
        deterministic=False,
        dropout=0.1,
    ),
    "gpu": Profile(
        name="gpu",
        model="vgg_bn_wide",
        max_epochs=80,
        batch_size=128,
        learning_rate=2e-3,
        weight_decay=5e-4,
        warmup_epochs=2.0,
        patience=20,
        time_budget_minutes=None,
        subset=1.0,
        mixed_precision=True,
        deterministic=False,
    ),
}


def default_profile_name() -> str:
    """Return ``$FER_PROFILE`` if set, else ``gpu`` with a GPU, ``smoke`` when ``$CI`` is set, else ``cpu``."""
    chosen = os.environ.get(PROFILE_ENV_VAR, "").strip().lower()
    if chosen:
        return chosen
    if gpu_names():  # the GPUs Keras's backend sees
        return "gpu"
    if os.environ.get("CI"):
        return "smoke"
    return "cpu"


def get_profile(name: str | None = None) -> Profile:
    """Return the named profile, or the automatic choice (:func:`default_profile_name`) when ``name`` is None."""
    name = (name or default_profile_name()).lower()
    if name not in PROFILES:
        raise SettingsError(
            f"Unknown profile {name!r}; choose one of {', '.join(PROFILES)} (or set {PROFILE_ENV_VAR})."
        )
    return PROFILES[name]
