"""One training code path for ``fer-train`` and notebook 04: seeded, checkpointed, resumable, time-budgeted."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import keras

from fer_helpers.augmentation.layers import baseline_augmentation, build_augmentation
from fer_helpers.augmentation.pipeline import make_dataset
from fer_helpers.data.dataset import FERData
from fer_helpers.errors import RunFolderError
from fer_helpers.models.builders import build_model
from fer_helpers.output_paths import check_writable_folder
from fer_helpers.profiles import Profile
from fer_helpers.training import run_folder
from fer_helpers.training.callbacks import budgeted_schedule, build_callbacks
from fer_helpers.training.checkpoints import STAGING_SUFFIX, best_so_far, check_backup, checkpoint_record, write_best
from fer_helpers.training.losses import balanced_class_weights
from fer_helpers.training.optim import compile_model
from fer_helpers.training.run_folder import (
    AUGMENTATIONS,
    BACKUP_DIR,
    BEST_CHECKPOINT,
    HISTORY_FILE,
    LOAD,
    MODEL_FILE,
    RESUME,
    STATE_FILE,
    RunSpec,
    fer_data_settings,
    read_history,
    resume_or_load,
)
from fer_helpers.training.run_marker import run_lock

__all__ = ["AUGMENTATIONS", "RunSpec", "TrainingRun", "fit_run", "load_trained_run", "train_model"]


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


def load_trained_run(out_dir: Path) -> TrainingRun:
    """Return the :class:`TrainingRun` of a run that finished training in ``out_dir``, loaded from its files.

    The model comes from ``best.keras``, or from ``model.keras`` (the same weights) if ``best.keras`` was deleted.
    """
    state = run_folder.read_state(out_dir)
    path = out_dir / BEST_CHECKPOINT if (out_dir / BEST_CHECKPOINT).is_file() else out_dir / MODEL_FILE
    best = keras.models.load_model(path, compile=False)
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
        best_val_accuracy=recorded_best(out_dir, history),
        resumed=bool(state.get("resumed", False)),
        earlier_seconds=seconds,
        reloaded=True,
    )


def recorded_best(out_dir: Path, history: dict) -> float | None:
    """Return the validation accuracy of the checkpoint on disk (its own record), else the history's best."""
    recorded = (checkpoint_record(out_dir / BEST_CHECKPOINT) or {}).get("val_accuracy")
    if recorded is not None:
        return float(recorded)
    return max(history["val_accuracy"]) if history.get("val_accuracy") else None


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
    calling again after a crash resumes from it), ``history.csv``, ``train_state.json`` (the time plan) and
    ``.fer-run.json`` (the run's marker: its settings and the files it wrote). Called again on a run that has
    finished, it loads that run instead of training again; other settings raise ``RunFolderError`` unless
    ``overwrite`` (which starts a new run, deleting the earlier one's files only once the new one has finished its
    first epoch). Files the course did not write are never touched; see :mod:`fer_helpers.training.run_folder`.
    ``augment`` is ``"full"`` (flip, one affine warp, erasing), ``"baseline"`` (the seed project's four layers)
    or ``"none"``;
    ``extra_callbacks`` run after the course's own (checkpoint, backup, schedule, early stopping, CSV log).
    """
    spec = RunSpec(profile, model_name, epochs, class_weights, augment, seed)
    return fit_run(data, spec, out_dir, verbose=verbose, extra_callbacks=extra_callbacks, overwrite=overwrite)


def fit_run(
    data: FERData,
    spec: RunSpec,
    out_dir: str | Path,
    *,
    verbose: int | str = "auto",
    extra_callbacks: list[keras.callbacks.Callback] | None = None,
    overwrite: bool = False,
) -> TrainingRun:
    """:func:`train_model` for a :class:`RunSpec`: holds the folder's lock, then loads, resumes or starts the run."""
    out_dir = Path(out_dir).expanduser()
    settings = spec.settings(fer_data_settings(data))
    if not out_dir.is_dir():
        check_writable_folder(out_dir, option="the run folder")
    with run_lock(out_dir):
        action = resume_or_load(
            out_dir, settings, overwrite=overwrite, loadable=(run_folder.TRAINED, run_folder.FINISHED)
        )
        if action == LOAD:
            print(f"{out_dir} holds a finished run with these settings: loaded it instead of training again.")
            return load_trained_run(out_dir)
        check_writable_folder(out_dir, option="the run folder")
        try:
            return _train(data, spec, out_dir, settings, action == RESUME, verbose, extra_callbacks)
        except OSError as err:
            run_folder.record_error(out_dir, err)
            raise


def _train(data, spec: RunSpec, out_dir: Path, settings: dict, resumed: bool, verbose, extra_callbacks) -> TrainingRun:
    """Train the run in ``out_dir`` (locked, checked): resume it, or start it, setting an earlier run aside."""
    profile, seed = spec.profile, spec.seed
    state = run_folder.read_state(out_dir) if resumed else {}
    earlier_seconds = float(state.get("elapsed_seconds", 0.0))
    keras.utils.set_random_seed(seed)
    if profile.deterministic and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    # A resumed run must not replay epoch 1's shuffle order and augmentations: offset the data seed.
    data_seed = seed + int(state.get("epochs_done", 0))
    augmentation = augmentation_for(profile, spec.augment, seed=data_seed)
    on_device = augmentation is not None and augments_inside_model()
    if profile.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_model(spec.model, dropout=profile.dropout)
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
        threshold = best_so_far(out_dir)  # the checkpoint actually on disk, not the history
    else:
        threshold = None
    set_aside = run_folder.begin_run(out_dir, settings, resume=resumed)
    run_folder.claim(out_dir, BACKUP_DIR, HISTORY_FILE, STATE_FILE, BEST_CHECKPOINT, "best" + STAGING_SUFFIX)
    run_folder.write_state_file(out_dir / STATE_FILE, {**state, "finished": False, "resumed": resumed})

    epochs = spec.epochs
    max_epochs = epochs or profile.max_epochs
    budget = profile.time_budget_minutes * 60 if profile.time_budget_minutes and epochs is None else None
    schedule = budgeted_schedule(profile, max_epochs, budget, out_dir / STATE_FILE)
    callbacks = build_callbacks(
        profile=profile,
        out_dir=out_dir,
        schedule=schedule,
        validate=validate,
        stop_early=epochs is None and validate,  # a fixed epoch count means exactly that many
        best_so_far=threshold,
        extra_callbacks=extra_callbacks,
    )
    try:
        trainee.fit(
            train_ds,
            validation_data=val_ds,
            epochs=max_epochs,
            callbacks=callbacks,
            class_weight=balanced_class_weights(data.train.labels) if spec.class_weights else None,
            shuffle=False,  # the input pipeline shuffles
            verbose=verbose,
        )
    except BaseException:
        if set_aside and not run_folder.has_backup(out_dir):  # failed before its first epoch: nothing replaced
            run_folder.restore_previous_run(out_dir)
        raise
    history = read_history(out_dir / HISTORY_FILE)
    best_path = out_dir / BEST_CHECKPOINT
    if best_so_far(out_dir) is None and not _loads(best_path):
        # a crash tore the only checkpoint write after the backup was saved: rebuild it from the backup's weights
        accuracy = float(trainee.evaluate(val_ds, verbose=0, return_dict=True)["accuracy"]) if validate else None
        write_best(trainee, best_path, accuracy, epoch=len(history.get("epoch", [])))
        print(f"Rebuilt {best_path} from the backup (epoch {len(history.get('epoch', []))}): a crash had torn it.")
    try:
        best = keras.models.load_model(best_path, compile=False)
    except Exception as err:  # the backup is still there: the run can be resumed or started over
        raise RunFolderError(
            f"Training ended, but {best_path} cannot be read ({err.__class__.__name__}: {err}). "
            f"The backup is kept; rerun to try again, or start over with overwrite=True (fer-train --overwrite)."
        ) from err
    if on_device:  # the checkpoint holds augmentation + model: keep the model
        best = best.get_layer(model.name)
    run_folder.write_state_file(out_dir / STATE_FILE, {**schedule.state, "finished": True})
    run_folder.set_state(out_dir, run_folder.TRAINED)
    shutil.rmtree(backup_dir, ignore_errors=True)
    return TrainingRun(
        model=best,
        out_dir=out_dir,
        history=history,
        training_seconds=float(schedule.state["elapsed_seconds"]),
        epochs_run=len(history.get("epoch", [])),
        planned_epochs=int(schedule.state["planned_epochs"]),
        best_val_accuracy=recorded_best(out_dir, history) if validate else None,
        resumed=resumed,
        earlier_seconds=earlier_seconds,
    )


def _loads(path: Path) -> bool:
    """Return True if ``path`` is a complete ``.keras`` zip."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except (OSError, zipfile.BadZipFile):
        return False
