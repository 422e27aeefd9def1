"""One training code path for ``fer-train`` and notebook 04: seeded, checkpointed, resumable, time-budgeted."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from fer_helpers.augmentation.layers import baseline_augmentation, build_augmentation
from fer_helpers.augmentation.pipeline import make_dataset
from fer_helpers.data.dataset import FERData
from fer_helpers.models.builders import build_model
from fer_helpers.output_paths import check_writable_folder
from fer_helpers.profiles import Profile
from fer_helpers.training import run_folder
from fer_helpers.training.callbacks import budgeted_schedule, build_callbacks
from fer_helpers.training.checkpoints import (
    check_backup,
    check_best_checkpoint,
)
from fer_helpers.training.losses import balanced_class_weights
from fer_helpers.training.optim import compile_model
from fer_helpers.training.run_folder import (
    BACKUP_DIR,
    BEST_CHECKPOINT,
    HISTORY_FILE,
    STATE_FILE,
    RunFolderError,
    check_same_run,
    fer_data_settings,
    read_history,
    run_settings,
)

AUGMENTATIONS = ("full", "baseline", "none")


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


def check_training_arguments(epochs: int | None, augment: str) -> None:
    """Raise ``ValueError`` for an epoch count below 1 or an unknown augmentation, before anything is touched."""
    if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 1):
        raise ValueError(f"epochs must be a whole number of at least 1 (or None for the profile's), not {epochs!r}.")
    if augment not in AUGMENTATIONS:
        raise ValueError(f"augment must be one of {', '.join(AUGMENTATIONS)}, not {augment!r}.")


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
