"""A run folder's life, so that no run is ever lost: new, interrupted (resumable), trained, finished.

- A **finished** run is never trained again by accident: the same call loads it, other settings are refused
  until the caller asks to overwrite it.
- An **interrupted** run resumes only with the settings it was started with (recorded in ``train_state.json``).
- **Starting over** (overwrite, or a run that died before it could be resumed) first sets the earlier run's files
  aside in ``.previous-run/``. They are deleted once the new run has finished its first epoch, and put back if it
  fails before that, or on the next call if it was killed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fer_helpers.data.dataset import FERData
    from fer_helpers.profiles import Profile

import json
import shutil
import warnings
from pathlib import Path

from fer_helpers import atomic_files
from fer_helpers.errors import FERDataWarning

BEST_CHECKPOINT = "best.keras"
BACKUP_DIR = "backup"
HISTORY_FILE = "history.csv"
STATE_FILE = "train_state.json"
MODEL_FILE = "model.keras"
METRICS_FILE = "metrics.json"
FIGURE_FILES = ("confusion_matrix.png", "learning_curves.png")
RUN_FILES = (BEST_CHECKPOINT, BACKUP_DIR, HISTORY_FILE, STATE_FILE, MODEL_FILE, METRICS_FILE, *FIGURE_FILES)
"""Everything a run writes into its folder (other files there are left alone)."""
PREVIOUS_RUN_DIR = ".previous-run"

NEW, ABANDONED, RESUMABLE, TRAINED, FINISHED = "new", "abandoned", "resumable", "trained", "finished"
"""Run states: nothing yet; files of a run that cannot resume; interrupted with a backup; trained but not yet
evaluated; trained and evaluated (``metrics.json`` and ``model.keras`` written)."""


class RunFolderError(ValueError):
    """A run folder that cannot be used as asked; the message names the folder and the fix."""


def read_state(out_dir: Path) -> dict:
    """Return the run's ``train_state.json`` ({} if absent); see :func:`read_state_file`."""
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
    from fer_helpers.training.run_folder import read_history

    seconds = [s for s in read_history(path.parent / HISTORY_FILE).get("epoch_seconds", []) if s == s]
    warnings.warn(
        f"{path} is unreadable (torn by a crash?): rebuilt from {HISTORY_FILE} ({len(seconds)} epochs). "
        "The time plan starts afresh and the run's settings are no longer checked.",
        FERDataWarning,
        stacklevel=2,
    )
    return {"elapsed_seconds": float(sum(seconds)), "epochs_done": len(seconds), "epoch_seconds": seconds}


def write_state_file(path: Path, state: dict) -> None:
    """Write a state file (``train_state.json``) atomically."""
    atomic_files.write_text(path, json.dumps(state, indent=2))


def has_backup(out_dir: Path) -> bool:
    """Return True if ``out_dir`` holds a non-empty ``backup/`` (an interrupted run)."""
    backup = Path(out_dir) / BACKUP_DIR
    return backup.is_dir() and any(backup.iterdir())


def run_status(out_dir: str | Path) -> str:
    """Return the state of the run in ``out_dir``: ``new``, ``abandoned``, ``resumable``, ``trained`` or ``finished``.

    Runs written before the state file recorded ``finished`` count as trained when they left no backup.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return NEW
    state = read_state(out_dir) if (out_dir / STATE_FILE).is_file() else {}
    legacy_done = bool(state) and "finished" not in state and not has_backup(out_dir)
    if (state.get("finished") is True or legacy_done) and (out_dir / BEST_CHECKPOINT).is_file():
        complete = (out_dir / METRICS_FILE).is_file() and (out_dir / MODEL_FILE).is_file()
        return FINISHED if complete else TRAINED
    if has_backup(out_dir):
        return RESUMABLE
    return ABANDONED if any((out_dir / name).exists() for name in RUN_FILES) else NEW


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


def recorded_settings(out_dir: Path) -> dict | None:
    """Return the settings the run in ``out_dir`` was started with, as far as its files tell (None: unknown).

    Runs from before ``train_state.json`` recorded them are read from their ``metrics.json``.
    """
    settings = read_state(out_dir).get("settings")
    if settings is not None:
        return settings
    try:
        metrics = json.loads((Path(out_dir) / METRICS_FILE).read_text())
        data, training = metrics["data"], metrics["training"]
        return {
            "model": metrics["model"],
            "profile": metrics["profile"],
            "class_weights": training["class_weights"],
            "augment": training["augment"],
            "seed": training["seed"],
            "data": {
                "source": data["source"],
                "location": str(Path(data["location"]).expanduser().resolve()),
                "validation": data["val_images"] > 0,
                "train": data["train_images"],
                "val": data["val_images"],
            },
        }
    except (OSError, ValueError, KeyError, TypeError):
        return None


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


def set_aside_previous_run(out_dir: Path) -> bool:
    """Move the files of an earlier run in ``out_dir`` into ``.previous-run/``; return True if there were any."""
    out_dir = Path(out_dir)
    present = [name for name in RUN_FILES if (out_dir / name).exists()]
    if not present:
        return False
    aside = out_dir / PREVIOUS_RUN_DIR
    shutil.rmtree(aside, ignore_errors=True)
    aside.mkdir()
    for name in present:
        (out_dir / name).rename(aside / name)
    return True


def restore_previous_run(out_dir: Path) -> bool:
    """Put a set-aside earlier run back (removing the new run's files); return True if there was one."""
    out_dir = Path(out_dir)
    aside = out_dir / PREVIOUS_RUN_DIR
    if not aside.is_dir():
        return False
    for name in RUN_FILES:
        if (aside / name).exists():
            _remove(out_dir / name)
            (aside / name).rename(out_dir / name)
    shutil.rmtree(aside, ignore_errors=True)
    return True


def discard_previous_run(out_dir: Path) -> None:
    """Delete a set-aside earlier run: the new run has proved it can train."""
    shutil.rmtree(Path(out_dir) / PREVIOUS_RUN_DIR, ignore_errors=True)


def recover_previous_run(out_dir: Path) -> None:
    """Put back an earlier run that a killed new run had set aside before finishing its first epoch."""
    if (Path(out_dir) / PREVIOUS_RUN_DIR).is_dir():
        if has_backup(out_dir):  # the new run got past its first epoch: the old one was meant to go
            discard_previous_run(out_dir)
        elif restore_previous_run(out_dir):
            print(
                f"Put back the earlier run in {out_dir}: the run that was to replace it stopped before its first epoch."
            )


def _remove(path: Path) -> None:
    """Delete a file or folder if it exists."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def read_history(path: str | Path) -> dict[str, list[float]]:
    """Return the CSV history as column -> values, one row per epoch (a resumed epoch's last row wins).

    Columns with no value at all are left out: Keras's CSVLogger adds ``val_*`` columns of "NA" to a run
    without validation.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file() or not path.stat().st_size:
        return {}
    table = pd.read_csv(path, na_values=["NA"], on_bad_lines="skip").apply(pd.to_numeric, errors="coerce")
    if "epoch" not in table:
        return {}
    table = table.dropna(subset=["epoch"]).drop_duplicates("epoch", keep="last").sort_values("epoch")
    return {column: values.astype(float).tolist() for column, values in table.dropna(axis="columns", how="all").items()}


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


def check_same_run(out_dir: Path, settings: dict, status: str) -> None:
    """Raise :class:`RunFolderError` if the run in ``out_dir`` was started with other ``settings``."""
    differences = settings_differences(recorded_settings(out_dir), settings)
    if not differences:
        return
    what = "an interrupted run" if status == RESUMABLE else "a finished run"
    action = "resume it" if status == RESUMABLE else "load it"
    raise RunFolderError(
        f"{out_dir} holds {what} with other settings ({'; '.join(differences[:4])}"
        f"{'; ...' if len(differences) > 4 else ''}). Use the same settings to {action}, another folder for a new "
        "run, or overwrite=True (fer-train --overwrite) to replace it."
    )
