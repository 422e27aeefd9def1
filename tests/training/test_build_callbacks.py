"""The callbacks train_model gives fit (notebook 04 prints them beside the ones it builds by hand)."""

import dataclasses
from pathlib import Path

import keras

from fer_helpers.profiles import get_profile
from fer_helpers.training.callbacks import BudgetedCosineSchedule, build_callbacks


def schedule(tmp_path: Path, max_epochs: int = 40) -> BudgetedCosineSchedule:
    return BudgetedCosineSchedule(1e-3, max_epochs, 1.0, None, tmp_path / "state.json")


def names(callbacks) -> list[str]:
    return [type(callback).__name__ for callback in callbacks]


def test_build_callbacks_in_the_order_fit_calls_them(tmp_path: Path):
    planned = schedule(tmp_path)
    callbacks = build_callbacks(profile=get_profile("cpu"), out_dir=tmp_path, schedule=planned)
    assert names(callbacks) == [
        "BackupAndRestore", "SafeBackupCopy", "BudgetedCosineSchedule", "CSVLogger", "ModelCheckpoint",
        "PromoteStagedCheckpoint", "EarlyStopping", "DiscardReplacedRun",
    ]  # fmt: skip
    backup, _, _, log, checkpoint, promote, stopper, _ = callbacks
    assert callbacks[2] is planned
    assert backup.backup_dir == str(tmp_path / "backup")
    # the checkpoint is written beside best.keras, then renamed over it: a crash cannot tear best.keras
    assert checkpoint.filepath == str(tmp_path / "best.staging.keras") and checkpoint.save_best_only
    assert promote.best == tmp_path / "best.keras"
    # Keras 3.10 keeps ModelCheckpoint's mode only as its comparison (monitor_op); later versions keep `mode` too
    checkpoint_mode = getattr(checkpoint, "mode", None) or ("max" if checkpoint.monitor_op(1, 0) else "min")
    assert (checkpoint.monitor, checkpoint_mode, stopper.monitor, stopper.mode) == ("val_accuracy", "max") * 2
    assert stopper.patience == get_profile("cpu").patience and stopper.start_from_epoch == 20  # half of 40
    assert log.filename == str(tmp_path / "history.csv") and log.append


def test_build_callbacks_options(tmp_path: Path):
    extra = keras.callbacks.Callback()
    averaged = dataclasses.replace(get_profile("smoke"), ema_momentum=0.999)
    callbacks = build_callbacks(
        profile=averaged,
        out_dir=tmp_path,
        schedule=schedule(tmp_path, max_epochs=7),
        validate=False,
        stop_early=False,
        best_so_far=0.6,
        extra_callbacks=[extra],
    )
    assert "EarlyStopping" not in names(callbacks) and "SwapEMAWeights" in names(callbacks)
    assert callbacks[-1] is extra and names(callbacks)[-2] == "DiscardReplacedRun"
    checkpoint = next(c for c in callbacks if isinstance(c, keras.callbacks.ModelCheckpoint))
    assert not checkpoint.save_best_only  # no validation: the last epoch is kept
    assert checkpoint.best == 0.6  # a resumed run only overwrites a better checkpoint


def test_build_callbacks_lowers_the_rate_on_a_plateau_only_with_validation(tmp_path: Path):
    plateau = dataclasses.replace(get_profile("cpu"), schedule="plateau")
    with_validation = names(build_callbacks(profile=plateau, out_dir=tmp_path, schedule=schedule(tmp_path)))
    assert with_validation[2:4] == ["BudgetedCosineSchedule", "ReduceLROnPlateau"]
    refit = build_callbacks(profile=plateau, out_dir=tmp_path, schedule=schedule(tmp_path), validate=False)
    assert "ReduceLROnPlateau" not in names(refit)
