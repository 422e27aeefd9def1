"""A run folder's life, owned here: its identity (:class:`RunSpec`), its state, its history, and what may be touched.

- The course **marks** a folder as a run's when it starts one there (``.fer-run.json``, see
  :mod:`~fer_helpers.training.run_marker`) and afterwards moves, replaces or deletes only the files that run
  recorded as its own. Files named like a run's that it did not write are refused with their names, never touched.
- A **finished** run is never trained again by accident: the same call loads it, other settings are refused
  until the caller asks to overwrite it. If the user deleted its model or metrics, a rerun says so and how to
  rebuild it.
- An **interrupted** run resumes only with the settings it was started with.
- **Starting over** (overwrite, or a run that died before it could be resumed) first sets the earlier run's own files
  aside in ``.previous-run/``. They are deleted once the new run has finished its first epoch, and put back if it
  fails before that, or on the next call if it was killed.

:func:`resume_or_load` is the one decision all callers share (``fer-train``, ``train_and_evaluate``, ``train_model``).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fer_helpers import atomic_files
from fer_helpers.errors import FERDataWarning, RunFolderError, SettingsError
from fer_helpers.training.run_marker import (
    BACKUP_DIR,
    BEST_CHECKPOINT,
    FIGURE_FILES,
    HISTORY_FILE,
    MARKER_FILE,
    METRICS_FILE,
    MODEL_FILE,
    PREVIOUS_RUN_DIR,
    RUN_FILES,
    STATE_FILE,
    begin_run,
    check_no_foreign_files,
    claim,
    discard_previous_run,
    disk_note,
    has_backup,
    last_error_note,
    new_marker,
    read_marker,
    record_error,
    recover_previous_run,
    restore_previous_run,
    write_marker,
)

if TYPE_CHECKING:
    from fer_helpers.data.dataset import FERData
    from fer_helpers.profiles import Profile

__all__ = [  # the file names, for callers that import them from here
    "BACKUP_DIR",
    "BEST_CHECKPOINT",
    "FIGURE_FILES",
    "HISTORY_FILE",
    "MARKER_FILE",
    "METRICS_FILE",
    "MODEL_FILE",
    "PREVIOUS_RUN_DIR",
    "RUN_FILES",
    "STATE_FILE",
    "begin_run",
    "claim",
    "discard_previous_run",
    "last_error_note",
    "record_error",
    "restore_previous_run",
]

NEW, ABANDONED, RESUMABLE, TRAINED, FINISHED = "new", "abandoned", "resumable", "trained", "finished"
"""Run states: nothing yet; files of a run that cannot resume; interrupted with a backup; trained but not yet
evaluated; trained and evaluated (``metrics.json`` and ``model.keras`` written)."""
LOAD, RESUME, START = "load", "resume", "start"
"""What :func:`resume_or_load` tells a caller to do."""
AUGMENTATIONS = ("full", "baseline", "none")


@dataclass(frozen=True)
class RunSpec:
    """What defines a training run: a run resumes or reloads only with the same (recorded in its marker)."""

    profile: Profile
    model_name: str | None = None
    """The architecture (``fer_helpers.models.builders.build_model``); None: the profile's."""
    epochs: int | None = None
    """A fixed epoch count (no time budget, no early stopping); None: the profile's plan."""
    class_weights: bool = False
    augment: str = "full"
    """``"full"`` (flip, one affine warp, erasing), ``"baseline"`` (the seed project's four layers) or ``"none"``."""
    seed: int = 42

    def __post_init__(self):
        epochs = self.epochs
        if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 1):
            raise SettingsError(
                f"epochs must be a whole number of at least 1 (or None for the profile's), not {epochs!r}."
            )
        if self.augment not in AUGMENTATIONS:
            raise SettingsError(f"augment must be one of {', '.join(AUGMENTATIONS)}, not {self.augment!r}.")

    @property
    def model(self) -> str:
        """The architecture trained: ``model_name`` or the profile's."""
        return self.model_name or self.profile.model

    def settings(self, data: dict) -> dict:
        """Return the run's settings as JSON values; ``data`` is :func:`data_settings` or :func:`fer_data_settings`."""
        return {
            "model": self.model,
            "profile": self.profile.to_dict(),
            "epochs": self.epochs,
            "class_weights": self.class_weights,
            "augment": self.augment,
            "seed": self.seed,
            "data": data,
        }


def fer_data_settings(data: FERData) -> dict:
    """Return :func:`data_settings` for loaded data, with the sizes of its training and validation splits."""
    validation = len(data.val) > 0
    return data_settings(data.source, data.location, validation) | {"train": len(data.train), "val": len(data.val)}


def data_settings(source: str, location: str | Path, validation: bool) -> dict:
    """Return the data part of :meth:`RunSpec.settings` (known before the data is loaded)."""
    return {"source": source, "location": str(Path(location).expanduser().resolve()), "validation": validation}


def read_state(out_dir: Path) -> dict:
    """Return the run's ``train_state.json`` (the time plan; {} if absent); see :func:`read_state_file`."""
    return read_state_file(Path(out_dir) / STATE_FILE)


def read_state_file(path: Path) -> dict:
    """Return the state file at ``path`` ({} if absent); a torn one is rebuilt from ``history.csv`` with a warning."""
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        state = json.loads(path.read_text())
        if isinstance(state, dict):
            return state
    except (ValueError, OSError):
        pass
    seconds = [s for s in read_history(path.parent / HISTORY_FILE).get("epoch_seconds", []) if s == s]
    warnings.warn(
        f"{path} is unreadable (torn by a crash?{disk_note(path.parent)}): rebuilt from {HISTORY_FILE} "
        f"({len(seconds)} epochs). The time plan starts afresh.",
        FERDataWarning,
        stacklevel=2,
    )
    return {"elapsed_seconds": float(sum(seconds)), "epochs_done": len(seconds), "epoch_seconds": seconds}


def write_state_file(path: Path, state: dict) -> None:
    """Write a state file (``train_state.json``) atomically."""
    atomic_files.write_text(path, json.dumps(state, indent=2))


def read_history(path: str | Path) -> dict[str, list[float]]:
    """Return the CSV history as column -> values, one row per epoch (a resumed epoch's last row wins).

    Columns with no value at all are left out: Keras's CSVLogger adds ``val_*`` columns of "NA" to a run
    without validation.
    """
    path = Path(path)
    if not path.is_file() or not path.stat().st_size:
        return {}
    table = pd.read_csv(path, na_values=["NA"], on_bad_lines="skip").apply(pd.to_numeric, errors="coerce")
    if "epoch" not in table:
        return {}
    table = table.dropna(subset=["epoch"]).drop_duplicates("epoch", keep="last").sort_values("epoch")
    return {column: values.astype(float).tolist() for column, values in table.dropna(axis="columns", how="all").items()}


def run_status(out_dir: str | Path) -> str:
    """Return the state of the run in ``out_dir``: ``new``, ``abandoned``, ``resumable``, ``trained`` or ``finished``.

    Read from the run's marker: a finished run stays finished whatever was deleted from it.
    """
    out_dir = Path(out_dir)
    marker = read_marker(out_dir) if out_dir.is_dir() else None
    if marker is None:
        return NEW
    if marker.get("state") in (TRAINED, FINISHED):
        return marker["state"]
    if has_backup(out_dir):
        return RESUMABLE
    return ABANDONED if any((out_dir / name).exists() for name in marker.get("files", [])) else NEW


def set_state(out_dir: Path, state: str) -> None:
    """Record how far the run got (``trained``, ``finished``) in its marker."""
    marker = read_marker(out_dir) or new_marker()
    write_marker(out_dir, {**marker, "state": state})


def flatten(settings: dict, prefix: str = "") -> dict[str, object]:
    """Return nested settings as ``{"profile.batch_size": 64, ...}`` (JSON values, so recorded and new compare)."""
    flat: dict[str, object] = {}
    for key, value in json.loads(json.dumps(settings)).items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def settings_differences(recorded: dict | None, wanted: dict) -> list[str]:
    """Return ``"name: recorded -> wanted"`` for each setting both record with different values."""
    if not recorded:
        return []
    old, new = flatten(recorded), flatten(wanted)
    return [f"{key}: {old[key]!r} -> {new[key]!r}" for key in sorted(old.keys() & new.keys()) if old[key] != new[key]]


def check_same_run(out_dir: Path, settings: dict, status: str) -> None:
    """Raise :class:`RunFolderError` if the run in ``out_dir`` was started with other ``settings``."""
    differences = settings_differences((read_marker(out_dir) or {}).get("settings"), settings)
    if not differences:
        return
    what = "an interrupted run" if status == RESUMABLE else "a finished run"
    action = "resume it" if status == RESUMABLE else "load it"
    raise RunFolderError(
        f"{out_dir} holds {what} with other settings ({'; '.join(differences[:4])}"
        f"{'; ...' if len(differences) > 4 else ''}). Use the same settings to {action}, another folder for a new "
        "run, or overwrite=True (fer-train --overwrite) to replace it."
    )


def describe_finished(out_dir: Path) -> str:
    """Return a short description of the finished run in ``out_dir`` from its ``metrics.json``."""
    try:
        metrics = json.loads((Path(out_dir) / METRICS_FILE).read_text())
        training = metrics.get("training", {})
        return (
            f"{metrics.get('model', '?')} model, {metrics.get('profile', {}).get('name', '?')} profile, "
            f"{training.get('epochs_run', '?')} epochs, test accuracy {metrics['accuracy']:.4f}"
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "its metrics.json is unreadable"


def check_complete(out_dir: Path, status: str) -> None:
    """Raise :class:`RunFolderError` if files a finished (or trained) run needs to be loaded were deleted."""
    if status == FINISHED:
        missing = [name for name in (MODEL_FILE, METRICS_FILE) if not (out_dir / name).is_file()]
    else:
        missing = [] if any((out_dir / n).is_file() for n in (BEST_CHECKPOINT, MODEL_FILE)) else [BEST_CHECKPOINT]
    if missing:
        what = "finished" if status == FINISHED else "trained"
        raise RunFolderError(
            f"{out_dir} holds a {what} run, but its {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
            "gone (deleted?). A finished run is not trained again without asking: rebuild it with the same command "
            "plus --overwrite (overwrite=True), which retrains it and touches only the run's own files; or choose "
            "another --out."
        )


def resume_or_load(out_dir: str | Path, settings: dict, *, overwrite: bool = False, loadable=(FINISHED,)) -> str:
    """Decide what a call on ``out_dir`` does: :data:`LOAD` the run there, :data:`RESUME` it, or :data:`START` one.

    A run whose state is in ``loadable`` with the same ``settings`` is loaded (if its files are there); other
    settings raise :class:`RunFolderError` unless ``overwrite``. An interrupted run resumes (same settings only),
    a trained run not in ``loadable`` goes on (to its evaluation). Run-like files the course did not write are
    refused first, ``overwrite`` or not. Puts back an earlier run a killed overwrite had set aside.
    """
    out_dir = Path(out_dir)
    check_no_foreign_files(out_dir, read_marker(out_dir) if out_dir.is_dir() else None)
    recover_previous_run(out_dir)
    status = run_status(out_dir)
    if status in (TRAINED, FINISHED, RESUMABLE) and not overwrite:
        check_same_run(out_dir, settings, status)
    if status in loadable and not overwrite:
        check_complete(out_dir, status)
        return LOAD
    announce_last_error(out_dir)
    if overwrite:
        return START
    return RESUME if status in (TRAINED, FINISHED, RESUMABLE) else START


def announce_last_error(out_dir: Path) -> None:
    """Print why the last command on this run stopped (a full disk, say), once, before the run goes on."""
    note = last_error_note(out_dir)
    if note:
        print(note, flush=True)
        marker = read_marker(out_dir)
        if marker and marker.pop("last_error", None) is not None:
            write_marker(out_dir, marker)
