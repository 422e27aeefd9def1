"""The callbacks of a training run: the budgeted learning-rate schedules and the list ``fit`` gets (notebook 04)."""

from __future__ import annotations

import math
import time
from pathlib import Path

import keras
import numpy as np

from fer_helpers.profiles import Profile
from fer_helpers.training import run_folder
from fer_helpers.training.checkpoints import (
    DiscardReplacedRun,
    SafeBackupCopy,
    best_checkpoint,
)
from fer_helpers.training.run_folder import BACKUP_DIR, BEST_CHECKPOINT, HISTORY_FILE

FROZEN_TAIL_EPOCHS = 2
"""In the last this-many planned epochs the plan may shrink but no longer grow."""


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
