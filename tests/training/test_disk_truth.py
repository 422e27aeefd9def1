"""What is on disk is the truth: after a crash, the run's threshold, best checkpoint and reported accuracy agree.

Covers (issue 26): the best checkpoint carries its own record (epoch, validation accuracy), and a resumed run takes
its best-so-far threshold from the checkpoint actually on disk, not from ``history.csv`` (whose row a crash may have
written for a checkpoint it did not keep); a crash during the only best-checkpoint write is recovered by a rerun,
which rebuilds the checkpoint from the backup's weights and measures it. Crashes are simulated as they leave files
(a history row without its checkpoint, a torn staging file). Trains the small baseline on the generated sample.
"""

from __future__ import annotations

import csv
from pathlib import Path

import keras
import numpy as np
import pytest

from fer_helpers.evaluation.metrics import predict_probabilities
from fer_helpers.training.checkpoints import checkpoint_record
from fer_helpers.training.fit import train_model
from tests.training.conftest import StopAfter

pytestmark = pytest.mark.slow


def val_accuracy(model, data) -> float:
    return float(np.mean(predict_probabilities(model, data.val.images).argmax(axis=1) == data.val.labels))


def test_a_resumed_run_takes_its_threshold_from_the_checkpoint_on_disk(data, profile, tmp_path: Path):
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train_model(data, profile, out, epochs=3, verbose=0, extra_callbacks=[StopAfter(1)])
    # A crash while epoch 1's better checkpoint was written would leave this: a history row claiming more
    # than the checkpoint on disk holds.
    rows = list(csv.DictReader((out / "history.csv").open()))
    rows[-1]["val_accuracy"] = "0.999"
    with (out / "history.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    run = train_model(data, profile, out, epochs=3, verbose=0)
    record = checkpoint_record(out / "best.keras")
    assert record is not None and run.best_val_accuracy == pytest.approx(record["val_accuracy"])
    assert run.best_val_accuracy == pytest.approx(val_accuracy(run.model, data), abs=1e-6)
    assert run.best_val_accuracy < 0.999


def test_a_crash_during_the_only_best_checkpoint_write_is_recovered_by_a_rerun(
    data, profile, tmp_path: Path, monkeypatch
):
    out = tmp_path / "run"

    def torn_save(model, filepath, *args, **kwargs):
        Path(filepath).write_bytes(b"PK\x03\x04 half a zip")  # killed in the middle of the write
        raise KeyboardInterrupt("killed while saving")

    with monkeypatch.context() as patch:
        patch.setattr(keras.Model, "save", torn_save)
        with pytest.raises(KeyboardInterrupt, match="killed while saving"):
            train_model(data, profile, out, epochs=1, verbose=0)
    assert not (out / "best.keras").exists()  # the backup holds epoch 1, no checkpoint does
    run = train_model(data, profile, out, epochs=1, verbose=0)
    record = checkpoint_record(out / "best.keras")
    assert record["epoch"] == 1 and run.epochs_run == 1
    assert record["val_accuracy"] == pytest.approx(val_accuracy(run.model, data), abs=1e-6)
    assert run.best_val_accuracy == pytest.approx(record["val_accuracy"])
    assert not list(out.glob("*.staging.keras")) and not (out / "backup").exists()
