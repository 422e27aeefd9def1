"""Checkpoints a crash cannot tear: the best model, and a good copy of Keras's backup to fall back on.

Keras writes ``best.keras`` (``ModelCheckpoint``) and ``backup/latest.weights.h5`` (``BackupAndRestore``) in
place, so a crash in the middle of a write leaves a torn file. Here the best model is written beside the real
one and renamed over it once complete, and after every epoch the backup's weights are copied atomically to
``backup/safe/epoch_NNNN.weights.h5``. Before a run resumes, :func:`check_backup` loads the backup; if it is
torn it says so and resumes from the safe copy instead.

The best model carries its own record (``fer_checkpoint.json`` inside the ``.keras`` zip: its epoch and validation
accuracy), written before the rename, so a resumed run takes its best-so-far threshold from the checkpoint actually
on disk, never from a history row whose checkpoint a crash did not keep.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
import zipfile
from pathlib import Path

import keras

from fer_helpers import atomic_files
from fer_helpers.errors import FERDataWarning, RunFolderError
from fer_helpers.training.run_marker import BACKUP_DIR, BEST_CHECKPOINT, discard_previous_run

KERAS_BACKUP_WEIGHTS = "latest.weights.h5"
KERAS_BACKUP_METADATA = "training_metadata.json"
"""The files ``keras.callbacks.BackupAndRestore`` writes (the same names since Keras 3.0)."""
SAFE_COPY_DIR = "safe"
STAGING_SUFFIX = ".staging.keras"
CHECKPOINT_RECORD = "fer_checkpoint.json"
"""The record inside ``best.keras``: the epoch it holds and that epoch's validation accuracy."""


def staging_path(best: Path) -> Path:
    """Return where the best model is written before it replaces ``best`` (``best.staging.keras``)."""
    return best.with_name(best.stem + STAGING_SUFFIX)


class PromoteStagedCheckpoint(keras.callbacks.Callback):
    """After ``ModelCheckpoint`` has written the staging file, rename it over the real checkpoint (atomically)."""

    def __init__(self, best: Path):
        super().__init__()
        self.best = Path(best)

    def on_epoch_end(self, epoch, logs=None):
        staged = staging_path(self.best)
        if staged.is_file():
            accuracy = (logs or {}).get("val_accuracy")
            record = {"epoch": epoch + 1, "val_accuracy": None if accuracy is None else float(accuracy)}
            with zipfile.ZipFile(staged, "a") as archive:
                archive.writestr(CHECKPOINT_RECORD, json.dumps(record))
            with open(staged, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(staged, self.best)


def best_checkpoint(best: Path, **kwargs) -> list[keras.callbacks.Callback]:
    """Return ``ModelCheckpoint`` (writing to the staging file) and the callback that promotes it to ``best``."""
    return [keras.callbacks.ModelCheckpoint(str(staging_path(best)), **kwargs), PromoteStagedCheckpoint(best)]


class SafeBackupCopy(keras.callbacks.Callback):
    """After ``BackupAndRestore`` has saved an epoch, copy its weights atomically, named by epoch; keep the last."""

    def __init__(self, backup_dir: Path):
        super().__init__()
        self.backup_dir = Path(backup_dir)

    def on_epoch_end(self, epoch, logs=None):
        weights = self.backup_dir / KERAS_BACKUP_WEIGHTS
        if not weights.is_file():
            return
        folder = self.backup_dir / SAFE_COPY_DIR
        target = folder / f"epoch_{epoch + 1:04d}.weights.h5"
        with atomic_files.replacing(target) as temporary:
            shutil.copyfile(weights, temporary)
        for older in folder.glob("epoch_*.weights.h5"):
            if older != target:
                older.unlink(missing_ok=True)


def check_backup(model: keras.Model, out_dir: Path) -> str | None:
    """Check that the backup in ``out_dir`` loads into ``model``; fall back to the safe copy if it does not.

    Returns a note when it fell back (else None). Raises :class:`RunFolderError` naming the files and the fix
    when neither loads. ``model`` must be compiled (its optimizer state is part of the backup).
    """
    backup = Path(out_dir) / BACKUP_DIR
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    problems = []
    latest = backup / KERAS_BACKUP_WEIGHTS
    try:
        int(json.loads((backup / KERAS_BACKUP_METADATA).read_text())["epoch"])
        model.load_weights(latest)
        return None
    except Exception as err:  # h5py, json and Keras raise many types for a torn or missing file
        problems.append(f"{latest.name}: {err.__class__.__name__}: {_first_line(err)}")
    for copy in sorted((backup / SAFE_COPY_DIR).glob("epoch_*.weights.h5"), reverse=True):
        try:
            model.load_weights(copy)
        except Exception as err:
            problems.append(f"{copy.name}: {err.__class__.__name__}: {_first_line(err)}")
            continue
        epoch = int(copy.name.split("_")[1].split(".")[0])
        with atomic_files.replacing(latest) as temporary:  # hand Keras the good copy under its own names
            shutil.copyfile(copy, temporary)
        atomic_files.write_text(backup / KERAS_BACKUP_METADATA, json.dumps({"epoch": epoch, "batch": 0}))
        note = (
            f"The backup {latest} is unreadable ({problems[0]}), probably torn by a crash while it was written: "
            f"resuming from its safe copy after epoch {epoch} instead."
        )
        warnings.warn(note, FERDataWarning, stacklevel=2)
        return note
    raise RunFolderError(
        f"The backup in {backup} is unreadable ({'; '.join(problems)}), probably torn by a crash while it was written, "
        f"and has no good copy. Delete {backup} to start this run over (fer-train --overwrite does that too)."
    )


def best_so_far(out_dir: Path) -> float | None:
    """Return the validation accuracy of the ``best.keras`` on disk in ``out_dir``: a resumed run's threshold.

    None (the next epoch writes the checkpoint, whatever its accuracy) when there is none, or it is torn (with a
    warning), or it carries no record. A leftover staging file (a crash while the best model was written) is removed.
    """
    best = Path(out_dir) / BEST_CHECKPOINT
    staging_path(best).unlink(missing_ok=True)
    if not best.exists():
        return None
    try:
        with zipfile.ZipFile(best) as archive:
            if archive.testzip() is None:
                return (checkpoint_record(best) or {}).get("val_accuracy")
    except (zipfile.BadZipFile, OSError):
        pass
    warnings.warn(
        f"{best} is unreadable (torn by a crash?): the next epoch replaces it, even if it is not the best so far.",
        FERDataWarning,
        stacklevel=2,
    )
    return None


def checkpoint_record(best: Path) -> dict | None:
    """Return the record inside the checkpoint ``best`` (epoch, validation accuracy); None if absent or unreadable."""
    try:
        with zipfile.ZipFile(best) as archive:
            return json.loads(archive.read(CHECKPOINT_RECORD))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def write_best(model: keras.Model, best: Path, val_accuracy: float | None, epoch: int) -> None:
    """Write ``model`` as the checkpoint ``best`` with its record, atomically (a rerun rebuilding a lost checkpoint)."""
    with atomic_files.replacing(best) as temporary:
        model.save(temporary)
        with zipfile.ZipFile(temporary, "a") as archive:
            archive.writestr(CHECKPOINT_RECORD, json.dumps({"epoch": epoch, "val_accuracy": val_accuracy}))


def _first_line(err: BaseException) -> str:
    """Return the first line of an error message, shortened."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return text[:160]


class DiscardReplacedRun(keras.callbacks.Callback):
    """After the first finished epoch, delete the earlier run that ``overwrite`` set aside: the new one trains."""

    def __init__(self, out_dir: Path):
        super().__init__()
        self.out_dir = Path(out_dir)

    def on_epoch_end(self, epoch, logs=None):
        discard_previous_run(self.out_dir)
