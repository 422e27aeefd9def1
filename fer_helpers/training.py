"""One training code path for ``fer-train`` and notebook 04: seeded, checkpointed, resumable, time-budgeted."""

from __future__ import annotations

import csv
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from sklearn.utils.class_weight import compute_class_weight

from fer_helpers import run_folder
from fer_helpers.augmentation import baseline_augmentation, build_augmentation
from fer_helpers.checkpoints import (
    DiscardReplacedRun,
    SafeBackupCopy,
    best_checkpoint,
    check_backup,
    check_best_checkpoint,
)
from fer_helpers.classes import NUM_CLASSES
from fer_helpers.dataset import FERData
from fer_helpers.models import build_model
from fer_helpers.output_paths import check_writable_folder
from fer_helpers.pipeline import make_dataset
from fer_helpers.profiles import Profile
from fer_helpers.run_folder import BACKUP_DIR, BEST_CHECKPOINT, HISTORY_FILE, STATE_FILE, RunFolderError

AUGMENTATIONS = ("full", "baseline", "none")
FROZEN_TAIL_EPOCHS = 2
"""In the last this-many planned epochs the plan may shrink but no longer grow."""
SGD_MOMENTUM = 0.9
"""Nesterov momentum of the ``sgd`` optimizer option (the published FER2013 VGG's)."""


class BudgetedCosineSchedule(keras.callbacks.Callback):
    """Warm up, then cosine-decay the learning rate over a number of epochs fitted to a wall-clock budget.

    From the second epoch on it re-plans the epoch count so that training ends inside ``budget_seconds``.
    It plans from the 75th percentile of the epoch times so far, leaving out the first epoch (which also
    compiles and fills caches), so one slow epoch on a busy machine does not cut the whole run short and a
    run that speeds up gets its time back, except in the last two planned epochs, where an extra epoch would
    train at a learning rate near zero. A re-plan moves the remaining cosine by an epoch or two at most,
    and the last planned epoch still ends at zero. Training stops when the next epoch would overrun.
    Elapsed time, epoch times and the plan are saved in
    ``state_path`` so a resumed run keeps them.
    """

    frozen_tail_epochs = FROZEN_TAIL_EPOCHS

    def __init__(
        self, base_lr: float, max_epochs: int, warmup_epochs: float, budget_seconds: float | None, state_path: Path
    ):
        super().__init__()
        self.base_lr = base_lr
        self.warmup_epochs = warmup_epochs
        self.budget_seconds = budget_seconds
        self.state_path = Path(state_path)
        self.max_epochs = max_epochs
        self.state = {"planned_epochs": max_epochs, "elapsed_seconds": 0.0, "epochs_done": 0, "epoch_seconds": []}
        self.steps_per_epoch = 1
        self._epoch = 0
        self._epoch_start = 0.0

    def on_train_begin(self, logs=None):
        if self.state_path.is_file():
            self.state.update(run_folder.read_state_file(self.state_path))
        self.steps_per_epoch = max(1, int(self.params.get("steps") or 1))

    def learning_rate_at(self, progress_epochs: float) -> float:
        """Return the learning rate after ``progress_epochs`` epochs (fractional) of training."""
        if progress_epochs < self.warmup_epochs:
            return self.base_lr * (0.1 + 0.9 * progress_epochs / self.warmup_epochs)
        span = max(self.state["planned_epochs"] - self.warmup_epochs, 1e-9)
        done = min(1.0, (progress_epochs - self.warmup_epochs) / span)
        return self.base_lr * 0.5 * (1 + math.cos(math.pi * done))

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._epoch_start = time.perf_counter()

    def on_train_batch_begin(self, batch, logs=None):
        if keras.backend.backend() == "jax":
            # JAX carries the optimizer's state between steps: write it back so the new rate is read next step.
            self.model.jax_state_sync()
        self.model.optimizer.learning_rate = self.learning_rate_at(self._epoch + batch / self.steps_per_epoch)

    def on_epoch_end(self, epoch, logs=None):
        epoch_seconds = time.perf_counter() - self._epoch_start
        state = self.state
        state["elapsed_seconds"] += epoch_seconds
        state["epochs_done"] = epoch + 1
        state.setdefault("epoch_seconds", []).append(epoch_seconds)
        if logs is not None:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
            logs["epoch_seconds"] = epoch_seconds
        if self.budget_seconds:
            remaining = self.budget_seconds - state["elapsed_seconds"]
            # The first epoch also fills caches and compiles (minutes under XLA): plan from later epochs only.
            timed = state["epoch_seconds"][1:]
            if timed:
                typical = float(np.percentile(timed, 75))
                fits = min(self.max_epochs, epoch + 1 + int(max(remaining, 0.0) // typical))
                if state["planned_epochs"] - (epoch + 1) <= self.frozen_tail_epochs:
                    # The cosine is nearly at zero: epochs added now would train at a learning rate of ~0.
                    fits = min(fits, state["planned_epochs"])
                state["planned_epochs"] = max(epoch + 1, fits)
            if remaining <= 0 or (timed and remaining < typical):
                self.model.stop_training = True
        if epoch + 1 >= state["planned_epochs"]:
            self.model.stop_training = True
        run_folder.write_state_file(self.state_path, state)


class BudgetedPlateauSchedule(BudgetedCosineSchedule):
    """The budget of :class:`BudgetedCosineSchedule` (re-planning, stopping in time, saved state) without its decay.

    It warms the learning rate up (if the profile asks), then leaves the rate alone: a
    ``keras.callbacks.ReduceLROnPlateau`` (see :func:`plateau_callbacks`) lowers it when validation accuracy
    stalls. With no decay to protect, the plan may still grow in its last epochs.
    """

    frozen_tail_epochs = 0

    def on_train_batch_begin(self, batch, logs=None):
        progress = self._epoch + batch / self.steps_per_epoch
        if progress < self.warmup_epochs + 1 / self.steps_per_epoch:  # the warm-up; its last step sets the base rate
            super().on_train_batch_begin(batch, logs)


def budgeted_schedule(
    profile: Profile, max_epochs: int, budget_seconds: float | None, state_path: Path
) -> BudgetedCosineSchedule:
    """Return the learning-rate schedule the profile names (``cosine`` or ``plateau``), fitted to the budget."""
    kind = BudgetedPlateauSchedule if profile.schedule == "plateau" else BudgetedCosineSchedule
    return kind(profile.learning_rate, max_epochs, profile.warmup_epochs, budget_seconds, state_path)


def plateau_callbacks(profile: Profile, validate: bool) -> list[keras.callbacks.Callback]:
    """Return ``[ReduceLROnPlateau]`` on validation accuracy for a ``plateau`` profile with validation, else ``[]``.

    Without validation faces (a refit) there is nothing to watch: the rate stays at its base value. A resumed run
    keeps its lowered rate (the optimizer's state is in the backup) but counts the epochs without progress afresh.
    """
    if profile.schedule != "plateau" or not validate:
        return []
    return [
        keras.callbacks.ReduceLROnPlateau(
            monitor="val_accuracy", mode="max", factor=profile.plateau_factor, patience=profile.plateau_patience
        )
    ]


@keras.saving.register_keras_serializable(package="fer_helpers")
class SmoothedSparseCrossentropy(keras.losses.Loss):
    """Cross-entropy on integer labels with label smoothing (Keras's sparse loss has no smoothing option)."""

    def __init__(self, label_smoothing: float = 0.1, num_classes: int = NUM_CLASSES, **kwargs):
        kwargs.setdefault("name", "smoothed_sparse_crossentropy")
        super().__init__(**kwargs)
        self.label_smoothing = label_smoothing
        self.num_classes = num_classes

    def call(self, y_true, y_pred):
        labels = keras.ops.reshape(keras.ops.cast(y_true, "int32"), (-1,))
        targets = keras.ops.one_hot(labels, self.num_classes, dtype=y_pred.dtype)
        return keras.losses.categorical_crossentropy(targets, y_pred, label_smoothing=self.label_smoothing)

    def get_config(self) -> dict:
        """Return the constructor arguments (for saving)."""
        return {**super().get_config(), "label_smoothing": self.label_smoothing, "num_classes": self.num_classes}


@dataclass
class TrainingRun:
    """What a finished training run leaves: the best model and where its files are."""

    model: keras.Model
    out_dir: Path
    history: dict[str, list[float]]
    training_seconds: float
    epochs_run: int
    planned_epochs: int
    best_val_accuracy: float | None
    """None when there was no validation split."""
    resumed: bool
    earlier_seconds: float = 0.0
    """Training seconds spent before this call (by the interrupted run it resumed, or the finished run it loaded)."""
    reloaded: bool = False
    """True when the run had already finished and was loaded from its folder instead of trained again."""


def balanced_class_weights(labels: np.ndarray) -> dict[int, float]:
    """Return scikit-learn's 'balanced' class weights (rare classes such as disgust weigh more)."""
    weights = compute_class_weight("balanced", classes=np.arange(NUM_CLASSES), y=labels)
    return {i: float(w) for i, w in enumerate(weights)}


def read_history(path: str | Path) -> dict[str, list[float]]:
    """Return the CSV history as column -> values, one row per epoch (a resumed epoch's last row wins).

    Columns with no value at all are left out: Keras's CSVLogger adds ``val_*`` columns of "NA" to a run
    without validation.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    with path.open(newline="") as handle:
        rows = {int(row["epoch"]): row for row in csv.DictReader(handle) if row.get("epoch")}
    ordered = [rows[e] for e in sorted(rows)]
    missing = ("", None, "NA")
    columns = [c for c in (ordered[0] if ordered else []) if any(r[c] not in missing for r in ordered)]
    return {c: [float(r[c]) if r[c] not in missing else float("nan") for r in ordered] for c in columns}


def augments_inside_model() -> bool:
    """Return True where training augments inside the model's compiled step rather than in the input pipeline.

    TensorFlow augments in its parallel ``tf.data`` pipeline. JAX and PyTorch have no such pipeline, and
    augmenting batch by batch in Python starved an H200 (5,100 against 50,000 images/s), so there the
    augmentation layers run first in the train step, on the accelerator (Keras's "preprocessing on device").
    """
    return keras.backend.backend() != "tensorflow"


def with_augmentation(model: keras.Model, augmentation: keras.Layer) -> keras.Model:
    """Return ``model`` behind ``augmentation`` as one model: faces are augmented in training, untouched otherwise."""
    return keras.Sequential([keras.Input(model.input_shape[1:]), augmentation, model], name=f"augmented_{model.name}")


def augmentation_for(profile: Profile, augment: str, seed: int) -> keras.Sequential | None:
    """Return the augmentation ``augment`` names: ``"full"`` (the profile's settings), ``"baseline"``, else None."""
    if augment == "full":
        return build_augmentation(
            shift=profile.shift,
            zoom=profile.zoom,
            crop_scale=profile.crop_scale,
            erasing=profile.erasing,
            erasing_scale=profile.erasing_scale,
            seed=seed,
        )
    if augment == "baseline":
        return baseline_augmentation(seed=seed)
    return None


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


def build_callbacks(
    *,
    profile: Profile,
    out_dir: str | Path,
    schedule: BudgetedCosineSchedule,
    validate: bool = True,
    stop_early: bool = True,
    best_so_far: float | None = None,
    extra_callbacks: list[keras.callbacks.Callback] | None = None,
) -> list[keras.callbacks.Callback]:
    """Return the callbacks :func:`train_model` gives ``fit``, in the order Keras calls them.

    The backup (``backup/`` under ``out_dir``, with a safe copy of its weights), ``schedule``, ``ReduceLROnPlateau``
    (a ``plateau`` profile with validation, see :func:`plateau_callbacks`), the weight average's swap (if the
    profile keeps one), the CSV history (``history.csv``), the best checkpoint on validation accuracy
    (``best.keras``, written atomically; without validation every epoch overwrites it), early stopping (with
    ``stop_early``), the clean-up of a run set aside by ``overwrite``, then ``extra_callbacks``. ``best_so_far`` is a
    resumed run's best validation accuracy: the checkpoint only overwrites a better one.
    """
    out_dir = Path(out_dir)
    backup_dir = out_dir / BACKUP_DIR
    # The backup keeps the raw weights (and the average, inside the optimizer); with a weight average,
    # validation, early stopping and the best checkpoint all see the averaged weights.
    weight_average = [keras.callbacks.SwapEMAWeights(swap_on_epoch=True)] if profile.ema_momentum is not None else []
    # Early stopping counts from half the maximum epoch count on: validation accuracy lags while the rate is high.
    stopper = keras.callbacks.EarlyStopping(
        monitor="val_accuracy", mode="max", patience=profile.patience, start_from_epoch=schedule.max_epochs // 2
    )
    # Order matters at the end of an epoch: the backup first (raw weights, before a weight average is swapped
    # in), and the history before the best checkpoint, so that a crash while the model is written loses no row.
    return [
        keras.callbacks.BackupAndRestore(str(backup_dir), delete_checkpoint=False),
        SafeBackupCopy(backup_dir),
        schedule,
        *plateau_callbacks(profile, validate),
        *weight_average,
        keras.callbacks.CSVLogger(str(out_dir / HISTORY_FILE), append=True),
        *best_checkpoint(
            out_dir / BEST_CHECKPOINT,
            monitor="val_accuracy",
            mode="max",
            save_best_only=validate,  # no validation: every epoch overwrites it, so the last one stays
            initial_value_threshold=best_so_far,
        ),
        *([stopper] if stop_early else []),
        DiscardReplacedRun(out_dir),
        *(extra_callbacks or []),
    ]


def run_settings(
    profile: Profile,
    model_name: str | None,
    epochs: int | None,
    class_weights: bool,
    augment: str,
    seed: int,
    data: dict,
) -> dict:
    """Return what defines a run (recorded in ``train_state.json``): a run resumes or reloads only with the same.

    ``data`` is :func:`data_settings` (what ``fer-train`` knows before loading), or :func:`fer_data_settings`.
    """
    return {
        "model": model_name or profile.model,
        "profile": profile.to_dict(),
        "epochs": epochs,
        "class_weights": class_weights,
        "augment": augment,
        "seed": seed,
        "data": data,
    }


def fer_data_settings(data: FERData) -> dict:
    """Return :func:`data_settings` for loaded data, with the sizes of its training and validation splits."""
    validation = len(data.val) > 0
    return data_settings(data.source, data.location, validation) | {"train": len(data.train), "val": len(data.val)}


def data_settings(source: str, location: str | Path, validation: bool) -> dict:
    """Return the data part of :func:`run_settings` (known before the data is loaded)."""
    return {"source": source, "location": str(Path(location).expanduser().resolve()), "validation": validation}


def check_training_arguments(epochs: int | None, augment: str) -> None:
    """Raise ``ValueError`` for an epoch count below 1 or an unknown augmentation, before anything is touched."""
    if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 1):
        raise ValueError(f"epochs must be a whole number of at least 1 (or None for the profile's), not {epochs!r}.")
    if augment not in AUGMENTATIONS:
        raise ValueError(f"augment must be one of {', '.join(AUGMENTATIONS)}, not {augment!r}.")


def check_same_run(out_dir: Path, settings: dict, status: str) -> None:
    """Raise :class:`RunFolderError` if the run in ``out_dir`` was started with other ``settings``."""
    differences = run_folder.settings_differences(run_folder.recorded_settings(out_dir), settings)
    if not differences:
        return
    what = "an interrupted run" if status == run_folder.RESUMABLE else "a finished run"
    action = "resume it" if status == run_folder.RESUMABLE else "load it"
    raise RunFolderError(
        f"{out_dir} holds {what} with other settings ({'; '.join(differences[:4])}"
        f"{'; ...' if len(differences) > 4 else ''}). Use the same settings to {action}, another folder for a new "
        "run, or overwrite=True (fer-train --overwrite) to replace it."
    )


def load_trained_run(out_dir: Path) -> TrainingRun:
    """Return the :class:`TrainingRun` of a run that finished training in ``out_dir``, loaded from its files."""
    state = run_folder.read_state(out_dir)
    best = keras.models.load_model(out_dir / BEST_CHECKPOINT, compile=False)
    if "augmentation" in [layer.name for layer in best.layers]:  # augmentation + model: keep the model
        best = next(layer for layer in best.layers if layer.name != "augmentation")
    history = read_history(out_dir / HISTORY_FILE)
    seconds = float(state.get("elapsed_seconds", 0.0))
    return TrainingRun(
        model=best,
        out_dir=out_dir,
        history=history,
        training_seconds=seconds,
        epochs_run=len(history.get("epoch", [])),
        planned_epochs=int(state.get("planned_epochs", len(history.get("epoch", [])))),
        best_val_accuracy=max(history["val_accuracy"]) if history.get("val_accuracy") else None,
        resumed=bool(state.get("resumed", False)),
        earlier_seconds=seconds,
        reloaded=True,
    )


def train_model(
    data: FERData,
    profile: Profile,
    out_dir: str | Path,
    model_name: str | None = None,
    epochs: int | None = None,
    class_weights: bool = False,
    augment: str = "full",
    seed: int = 42,
    verbose: int | str = "auto",
    extra_callbacks: list[keras.callbacks.Callback] | None = None,
    overwrite: bool = False,
) -> TrainingRun:
    """Train ``model_name`` (default: the profile's) on ``data`` and return the best model by validation accuracy.

    With no validation faces (a final refit on all of train) it returns the last epoch's model.
    Files under ``out_dir``: ``best.keras`` (best checkpoint), ``backup/`` (removed when training ends;
    calling again after a crash resumes from it), ``history.csv`` and ``train_state.json`` (the time plan and the
    run's settings). Called again on a run that has finished, it loads that run instead of training again; other
    settings raise :class:`RunFolderError` unless ``overwrite`` (which starts a new run, deleting the earlier one
    only once the new one has finished its first epoch).
    ``augment`` is ``"full"`` (flip, one affine warp, erasing), ``"baseline"`` (the seed project's four layers)
    or ``"none"``;
    ``extra_callbacks`` run after the course's own (checkpoint, backup, schedule, early stopping, CSV log).
    """
    check_training_arguments(epochs, augment)
    out_dir = Path(out_dir).expanduser()
    run_folder.recover_previous_run(out_dir)
    settings = run_settings(profile, model_name, epochs, class_weights, augment, seed, fer_data_settings(data))
    status = run_folder.run_status(out_dir)
    if status in (run_folder.TRAINED, run_folder.FINISHED) and not overwrite:
        check_same_run(out_dir, settings, status)
        print(f"{out_dir} holds a finished run with these settings: loaded it instead of training again.")
        return load_trained_run(out_dir)
    check_writable_folder(out_dir, option="the run folder")
    resumed = status == run_folder.RESUMABLE and not overwrite
    if resumed:
        check_same_run(out_dir, settings, status)
    state = run_folder.read_state(out_dir) if resumed else {}
    earlier_seconds = float(state.get("elapsed_seconds", 0.0))

    keras.utils.set_random_seed(seed)
    if profile.deterministic and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    # A resumed run must not replay epoch 1's shuffle order and augmentations: offset the data seed.
    data_seed = seed + int(state.get("epochs_done", 0))
    augmentation = augmentation_for(profile, augment, seed=data_seed)
    on_device = augmentation is not None and augments_inside_model()
    if profile.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_model(model_name or profile.model, dropout=profile.dropout)
        trainee = compile_model(with_augmentation(model, augmentation) if on_device else model, profile)
    finally:
        keras.mixed_precision.set_global_policy("float32")

    train_ds = make_dataset(
        data.train,
        profile.batch_size,
        training=True,
        augmentation=None if on_device else augmentation,
        seed=data_seed,
    )
    validate = len(data.val) > 0
    val_ds = make_dataset(data.val, batch_size=256) if validate else None

    backup_dir = out_dir / BACKUP_DIR
    if resumed:  # before anything changes: a torn backup falls back to its safe copy, or stops here
        check_backup(trainee, out_dir)
        best_is_readable = check_best_checkpoint(out_dir)
        set_aside = False
    else:
        best_is_readable = True
        out_dir.mkdir(parents=True, exist_ok=True)
        set_aside = run_folder.set_aside_previous_run(out_dir)
    run_folder.write_state_file(
        out_dir / STATE_FILE, {**state, "settings": settings, "finished": False, "resumed": resumed}
    )

    max_epochs = epochs or profile.max_epochs
    budget = profile.time_budget_minutes * 60 if profile.time_budget_minutes and epochs is None else None
    schedule = budgeted_schedule(profile, max_epochs, budget, out_dir / STATE_FILE)
    earlier = read_history(out_dir / HISTORY_FILE).get("val_accuracy", [])
    callbacks = build_callbacks(
        profile=profile,
        out_dir=out_dir,
        schedule=schedule,
        validate=validate,
        stop_early=epochs is None and validate,  # a fixed epoch count means exactly that many
        best_so_far=max(earlier) if resumed and earlier and best_is_readable else None,
        extra_callbacks=extra_callbacks,
    )
    try:
        trainee.fit(
            train_ds,
            validation_data=val_ds,
            epochs=max_epochs,
            callbacks=callbacks,
            class_weight=balanced_class_weights(data.train.labels) if class_weights else None,
            shuffle=False,  # the input pipeline shuffles
            verbose=verbose,
        )
    except BaseException:
        if set_aside and not run_folder.has_backup(out_dir):  # failed before its first epoch: nothing replaced
            run_folder.restore_previous_run(out_dir)
        raise
    history = read_history(out_dir / HISTORY_FILE)
    try:
        best = keras.models.load_model(out_dir / BEST_CHECKPOINT, compile=False)
    except Exception as err:  # the backup is still there: the run can be resumed or started over
        raise RunFolderError(
            f"Training ended, but {out_dir / BEST_CHECKPOINT} cannot be read ({err.__class__.__name__}: {err}). "
            f"The backup is kept; rerun to try again, or start over with overwrite=True (fer-train --overwrite)."
        ) from err
    if on_device:  # the checkpoint holds augmentation + model: keep the model
        best = best.get_layer(model.name)
    run_folder.write_state_file(out_dir / STATE_FILE, {**schedule.state, "finished": True})
    shutil.rmtree(backup_dir, ignore_errors=True)
    return TrainingRun(
        model=best,
        out_dir=out_dir,
        history=history,
        training_seconds=float(schedule.state["elapsed_seconds"]),
        epochs_run=len(history.get("epoch", [])),
        planned_epochs=int(schedule.state["planned_epochs"]),
        best_val_accuracy=max(history["val_accuracy"]) if validate and history.get("val_accuracy") else None,
        resumed=resumed,
        earlier_seconds=earlier_seconds,
    )
