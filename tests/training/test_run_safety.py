"""No run is lost: finished runs are kept, checkpoints survive torn writes, starting over deletes nothing too early.

Crashes are simulated as a crash leaves files: truncated in the middle of a write, or a process stopped
between two steps. Training uses the small baseline model on the generated sample for 2-3 epochs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import keras
import numpy as np
import pytest

from fer_helpers.errors import FERDataWarning
from fer_helpers.training.experiment import train_and_evaluate
from fer_helpers.training.fit import train_model
from fer_helpers.training.run_folder import read_history
from tests.training.conftest import StopAfter

pytestmark = pytest.mark.slow

# The files of a run, by name: these tests also run against the code before run folders were made safe.
BACKUP_DIR, BEST_CHECKPOINT, PREVIOUS_RUN_DIR = "backup", "best.keras", ".previous-run"
KERAS_BACKUP_WEIGHTS, KERAS_BACKUP_METADATA, SAFE_COPY_DIR = "latest.weights.h5", "training_metadata.json", "safe"
RunFolderError = ValueError  # fer_helpers.training.run_folder.RunFolderError is one


class FailAtStart(keras.callbacks.Callback):
    """Fail in the first batch, before any epoch ends (an out-of-memory error, a bug in new settings...)."""

    def on_train_batch_begin(self, batch, logs=None):
        raise RuntimeError("cannot start")


def interrupted(data, profile, out: Path, after: int, epochs: int = 3) -> None:
    with pytest.raises(KeyboardInterrupt):
        train_model(data, profile, out, epochs=epochs, verbose=0, extra_callbacks=[StopAfter(after)])


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Return every file under ``folder`` with its content hash and modification time (the run's marker, which
    records the run's state, by content only)."""
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            0 if p.name == ".fer-run.json" else p.stat().st_mtime_ns,
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def test_a_torn_backup_falls_back_to_its_safe_copy(data, profile, tmp_path: Path):
    out = tmp_path / "run"
    interrupted(data, profile, out, after=2)
    truncate(out / BACKUP_DIR / KERAS_BACKUP_WEIGHTS)  # killed while Keras wrote the backup
    with pytest.warns(FERDataWarning, match=r"latest\.weights\.h5 is unreadable .* safe copy after epoch 2"):
        run = train_model(data, profile, out, epochs=3, verbose=0)
    assert run.resumed and read_history(out / "history.csv")["epoch"] == [0, 1, 2]
    assert not (out / BACKUP_DIR).exists()


def test_torn_backup_metadata_falls_back_too(data, profile, tmp_path: Path):
    out = tmp_path / "run"
    interrupted(data, profile, out, after=1)
    (out / BACKUP_DIR / KERAS_BACKUP_METADATA).write_text('{"epo')
    with pytest.warns(FERDataWarning, match="safe copy after epoch 1"):
        assert train_model(data, profile, out, epochs=3, verbose=0).epochs_run == 3


def test_a_torn_backup_without_a_good_copy_names_the_file_and_the_fix_and_changes_nothing(
    data, profile, tmp_path: Path
):
    out = tmp_path / "run"
    interrupted(data, profile, out, after=1)
    for copy in (out / BACKUP_DIR / SAFE_COPY_DIR).glob("*.h5"):
        truncate(copy)
    truncate(out / BACKUP_DIR / KERAS_BACKUP_WEIGHTS)
    before = snapshot(out)
    with pytest.raises(RunFolderError, match=rf"latest\.weights\.h5: OSError.*Delete {out / BACKUP_DIR}"):
        train_model(data, profile, out, epochs=3, verbose=0)
    assert snapshot(out) == before


def test_a_torn_best_checkpoint_is_found_at_start_and_replaced(data, profile, tmp_path: Path):
    out = tmp_path / "run"
    interrupted(data, profile, out, after=1)
    truncate(out / BEST_CHECKPOINT)
    with pytest.warns(FERDataWarning, match=r"best\.keras is unreadable"):
        run = train_model(data, profile, out, epochs=3, verbose=0)
    assert run.epochs_run == 3 and keras.models.load_model(out / BEST_CHECKPOINT, compile=False)


def test_a_crash_while_the_best_model_is_written_leaves_the_earlier_one(data, profile, tmp_path: Path, monkeypatch):
    out = tmp_path / "run"
    refit = dataclasses.replace(data, val=data.train.subset(np.array([], dtype=int)))  # saves after every epoch
    with pytest.raises(KeyboardInterrupt):
        train_model(refit, profile, out, epochs=3, verbose=0, extra_callbacks=[StopAfter(1)])
    before = (out / BEST_CHECKPOINT).read_bytes()

    def torn_save(model, filepath, *args, **kwargs):
        Path(filepath).write_bytes(b"PK\x03\x04 half a zip")  # the process dies in the middle of the write
        raise KeyboardInterrupt("killed while saving")

    with monkeypatch.context() as patch:
        patch.setattr(keras.Model, "save", torn_save)
        with pytest.raises(KeyboardInterrupt, match="killed while saving"):
            train_model(refit, profile, out, epochs=3, verbose=0)
    assert (out / BEST_CHECKPOINT).read_bytes() == before  # intact: the torn bytes went to the staging file
    run = train_model(refit, profile, out, epochs=3, verbose=0)
    assert run.epochs_run == 3 and not list(out.glob("*.staging.keras"))


def test_a_finished_run_is_loaded_not_trained_again_and_nothing_changes(data, profile, tmp_path: Path):
    out = tmp_path / "run"
    first = train_and_evaluate(data, profile, out, epochs=2, verbose=0)
    before = snapshot(out)
    again = train_and_evaluate(data, profile, out, epochs=2, verbose=0)
    assert snapshot(out) == before
    assert again.run.reloaded and again.metrics == json.loads(json.dumps(first.metrics))  # tuples read as lists


def test_a_finished_run_with_other_settings_is_refused_until_overwrite(data, profile, tmp_path: Path):
    out = tmp_path / "run"
    train_and_evaluate(data, profile, out, epochs=2, verbose=0)
    before = snapshot(out)
    with pytest.raises(RunFolderError, match=r"finished run with other settings \(epochs: 2 -> 1\).*overwrite"):
        train_and_evaluate(data, profile, out, epochs=1, verbose=0)
    assert snapshot(out) == before
    rerun = train_and_evaluate(data, profile, out, epochs=1, verbose=0, overwrite=True)
    assert rerun.metrics["training"]["epochs_run"] == 1 and not (out / PREVIOUS_RUN_DIR).exists()


def test_overwrite_that_fails_before_its_first_epoch_puts_the_old_run_back(data, profile, tmp_path: Path):
    out = tmp_path / "run"
    train_and_evaluate(data, profile, out, epochs=1, verbose=0)
    before = snapshot(out)
    with pytest.raises(RuntimeError, match="cannot start"):
        train_and_evaluate(data, profile, out, epochs=2, verbose=0, overwrite=True, extra_callbacks=[FailAtStart()])
    assert snapshot(out) == before


def test_an_overwrite_killed_before_its_first_epoch_is_undone_on_the_next_call(data, profile, tmp_path: Path):
    out = tmp_path / "run"
    train_and_evaluate(data, profile, out, epochs=1, verbose=0)
    before = snapshot(out)
    from fer_helpers.training import run_folder

    run_folder.begin_run(out, settings={}, resume=False)  # what the overwrite did before it was killed ...
    run_folder.claim(out, "history.csv")
    (out / "history.csv").write_text("epoch,loss\n")  # ... with the first files of the new run
    assert run_folder.run_status(out) == run_folder.ABANDONED
    again = train_and_evaluate(data, profile, out, epochs=1, verbose=0)
    assert again.run.reloaded and snapshot(out) == before


def test_resuming_with_other_settings_is_refused(data, profile, tmp_path: Path):
    out = tmp_path / "run"
    interrupted(data, profile, out, after=1)
    before = snapshot(out)
    with pytest.raises(RunFolderError, match=r"interrupted run with other settings \(.*seed: 42 -> 7"):
        train_model(data, profile, out, epochs=3, seed=7, verbose=0)
    assert snapshot(out) == before


def test_a_resumed_run_never_reports_more_training_than_total_time(data, profile, tmp_path: Path):
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train_and_evaluate(data, profile, out, epochs=2, verbose=0, extra_callbacks=[StopAfter(1)])
    state = json.loads((out / "train_state.json").read_text())
    state.update(elapsed_seconds=600.0, epoch_seconds=[600.0])  # the first session trained for ten minutes
    (out / "train_state.json").write_text(json.dumps(state))
    result = train_and_evaluate(data, profile, out, epochs=2, verbose=0)
    training = result.metrics["training"]
    assert training["resumed"] and training["training_seconds"] > 600
    assert training["training_seconds"] <= training["total_seconds"]


def test_bad_epoch_counts_are_refused_before_anything_is_touched(data, profile, tmp_path: Path):
    out = tmp_path / "run"
    interrupted(data, profile, out, after=1)
    before = snapshot(out)
    for epochs in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="epochs must be a whole number of at least 1"):
            train_model(data, profile, out, epochs=epochs, verbose=0)
    assert snapshot(out) == before


def test_atomic_writes_keep_the_old_file_when_the_writer_fails(tmp_path: Path):
    from fer_helpers import atomic_files

    path = atomic_files.write_text(tmp_path / "metrics.json", "old")
    with pytest.raises(RuntimeError):
        with atomic_files.replacing(path) as temporary:
            temporary.write_text("half of the ne")
            raise RuntimeError("disk full")
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["metrics.json"]
