"""Training: the budgeted LR schedule, class weights, reproducibility and resuming after a kill."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from fer_helpers.data.classes import CLASS_INDEX
from fer_helpers.training.callbacks import BudgetedCosineSchedule
from fer_helpers.training.losses import balanced_class_weights
from fer_helpers.training.run_folder import read_history


def make_schedule(tmp_path: Path, budget=None, max_epochs=10, warmup=1.0) -> BudgetedCosineSchedule:
    schedule = BudgetedCosineSchedule(1e-3, max_epochs, warmup, budget, tmp_path / "state.json")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    schedule.set_model(model)
    schedule.set_params({"steps": 10, "epochs": max_epochs})
    return schedule


def plans_over_epochs(schedule: BudgetedCosineSchedule, durations: list[float], monkeypatch) -> list[int]:
    """Run the schedule through epochs of the given seconds (a fake clock); return the plan after each epoch."""
    ends = np.cumsum(durations)
    starts = np.concatenate([[0.0], ends[:-1]])
    clock = iter([t for pair in zip(starts, ends) for t in pair])
    monkeypatch.setattr("fer_helpers.training.callbacks.time.perf_counter", lambda: next(clock))
    plans = []
    for epoch in range(len(durations)):
        schedule.on_epoch_begin(epoch)
        schedule.on_epoch_end(epoch, {})
        plans.append(schedule.state["planned_epochs"])
        if schedule.model.stop_training:
            break
    return plans


def test_schedule_warms_up_then_decays_to_zero(tmp_path: Path):
    s = make_schedule(tmp_path)
    assert s.learning_rate_at(0) == pytest.approx(1e-4)
    assert s.learning_rate_at(1.0) == pytest.approx(1e-3)
    assert s.learning_rate_at(5.5) == pytest.approx(5e-4)
    assert s.learning_rate_at(10) == pytest.approx(0.0, abs=1e-12)
    rates = [s.learning_rate_at(e) for e in np.linspace(1, 10, 20)]
    assert all(a >= b for a, b in zip(rates, rates[1:]))


def test_schedule_fits_the_epoch_count_to_the_time_budget(tmp_path: Path, monkeypatch):
    s = make_schedule(tmp_path, budget=100.0, max_epochs=40)
    s.on_train_begin()
    clock = iter([0.0, 12.0, 12.0, 24.0])  # two epochs of 12 s each
    monkeypatch.setattr("fer_helpers.training.callbacks.time.perf_counter", lambda: next(clock))
    for epoch in range(2):
        s.on_epoch_begin(epoch)
        s.on_epoch_end(epoch, {})
    # 100 s budget at 12 s/epoch: 8 epochs fit
    assert s.state["planned_epochs"] == 8
    saved = json.loads((tmp_path / "state.json").read_text())
    assert saved["elapsed_seconds"] == pytest.approx(24.0) and saved["epochs_done"] == 2


def test_schedule_stops_before_overrunning_the_budget(tmp_path: Path, monkeypatch):
    s = make_schedule(tmp_path, budget=30.0, max_epochs=40)
    s.on_train_begin()
    # a first epoch slowed by compiling, then a steady 8 s one: 2 s left, so a third epoch would overrun
    assert plans_over_epochs(s, [20.0, 8.0], monkeypatch) == [40, 2]  # one epoch says nothing of the pace
    assert s.model.stop_training


def test_schedule_stops_when_the_first_epoch_alone_spends_the_budget(tmp_path: Path, monkeypatch):
    s = make_schedule(tmp_path, budget=30.0, max_epochs=40)
    s.on_train_begin()
    assert plans_over_epochs(s, [31.0, 8.0], monkeypatch) == [40]
    assert s.model.stop_training


def test_one_slow_epoch_does_not_cut_the_plan_for_good(tmp_path: Path, monkeypatch):
    s = make_schedule(tmp_path, budget=200.0, max_epochs=40)
    s.on_train_begin()
    durations = [12.0, 10.0, 40.0, 10.0, 10.0, 10.0, 10.0]  # first epoch fills caches; epoch 3 hit a busy machine
    plans = plans_over_epochs(s, durations, monkeypatch)
    assert plans[2] < plans[1]  # the slow epoch shrinks the plan ...
    assert plans[-1] > plans[2]  # ... and the normal ones that follow win the time back
    # 102 s used, 98 s left; the 75th percentile of the timed epochs is 10 s: 9 more epochs
    assert plans[-1] == len(durations) + 9 and not s.model.stop_training


def test_balanced_class_weights_favour_rare_classes():
    labels = np.array([CLASS_INDEX["happy"]] * 50 + [CLASS_INDEX["disgust"]] * 5 + list(range(7)) * 5)
    weights = balanced_class_weights(labels)
    assert weights[CLASS_INDEX["disgust"]] > 3 * weights[CLASS_INDEX["happy"]]


def fer_train(out: Path, data: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fer_helpers.cli.train",
            "--data",
            str(data),
            "--profile",
            "smoke",
            "--out",
            str(out),
            *extra,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow
def test_two_seeded_smoke_runs_give_identical_metrics(tmp_path: Path, small_synthetic: Path):
    runs = [fer_train(tmp_path / name, small_synthetic, "--epochs", "2") for name in ("a", "b")]
    for run in runs:
        output, _ = run.communicate(timeout=300)
        assert run.returncode == 0, output
    a, b = (json.loads((tmp_path / name / "metrics.json").read_text()) for name in ("a", "b"))
    assert a["test"]["confusion_matrix"] == b["test"]["confusion_matrix"]
    assert a["loss"] == b["loss"] and a["accuracy"] == b["accuracy"]
    assert read_history(tmp_path / "a" / "history.csv")["loss"] == read_history(tmp_path / "b" / "history.csv")["loss"]


@pytest.mark.slow
def test_killed_run_resumes_from_backup_and_finishes_all_epochs(tmp_path: Path, small_synthetic: Path):
    out = tmp_path / "run"
    first = fer_train(out, small_synthetic, "--epochs", "5")
    deadline = time.time() + 240
    while time.time() < deadline and len(read_history(out / "history.csv").get("epoch", [])) < 2:
        assert first.poll() is None, first.communicate()[0]
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    done_before = len(read_history(out / "history.csv")["epoch"])
    assert 2 <= done_before < 5, "the run should have been killed mid-way"
    assert (out / "backup").is_dir(), "BackupAndRestore should have left a backup"

    second = fer_train(out, small_synthetic, "--epochs", "5")
    output, _ = second.communicate(timeout=300)
    assert second.returncode == 0, output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["training"]["resumed"] is True
    history = read_history(out / "history.csv")
    assert history["epoch"] == [0, 1, 2, 3, 4]
    assert f"Epoch {done_before + 1}/5" in output and "Epoch 1/5" not in output
    assert not (out / "backup").exists()


def test_smoothed_loss_matches_keras_categorical_crossentropy():
    from fer_helpers.training.losses import SmoothedSparseCrossentropy

    probs = np.array([[0.7, 0.1, 0.05, 0.05, 0.04, 0.03, 0.03], [0.1, 0.1, 0.5, 0.1, 0.1, 0.05, 0.05]], "float32")
    labels = np.array([0, 3])
    expected = keras.losses.CategoricalCrossentropy(label_smoothing=0.1)(np.eye(7)[labels], probs)
    assert float(SmoothedSparseCrossentropy(0.1)(labels, probs)) == pytest.approx(float(expected), rel=1e-5)
    plain = keras.losses.SparseCategoricalCrossentropy()(labels, probs)
    assert float(SmoothedSparseCrossentropy(0.0)(labels, probs)) == pytest.approx(float(plain), rel=1e-5)
    restored = SmoothedSparseCrossentropy.from_config(SmoothedSparseCrossentropy(0.2).get_config())
    assert restored.label_smoothing == 0.2


def test_plan_does_not_grow_once_the_cosine_is_nearly_done(tmp_path: Path, monkeypatch):
    s = make_schedule(tmp_path, budget=100.0, max_epochs=40)
    s.on_train_begin()
    durations = [10.0] * 8 + [3.0] * 20  # the machine speeds up just as the cosine reaches zero
    plans = plans_over_epochs(s, durations, monkeypatch)
    # Without the frozen tail the plan would grow to 12, adding two epochs at a learning rate of ~0.
    assert plans[1:] == [10] * 9 and s.model.stop_training


@pytest.mark.slow
def test_weight_average_is_what_validation_and_the_checkpoint_see(tmp_path: Path, small_synthetic: Path):
    from dataclasses import replace

    from fer_helpers.data.dataset import load_fer2013
    from fer_helpers.profiles import get_profile
    from fer_helpers.training.fit import train_model

    data = load_fer2013(small_synthetic, progress=False, verbose=False)
    profile = replace(get_profile("smoke"), subset=1.0, ema_momentum=0.9)
    raw, averaged = {}, {}

    class KeepWeights(keras.callbacks.Callback):
        def weights(self):
            return [keras.ops.convert_to_numpy(w).copy() for w in self.model.trainable_weights]

        def on_train_batch_end(self, batch, logs=None):  # during the epoch the model trains on its raw weights
            raw[self.epoch] = self.weights()

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_epoch_end(self, epoch, logs=None):  # after the swap the model holds the average
            averaged[epoch] = self.weights()

    run = train_model(data, profile, tmp_path, epochs=2, verbose=0, extra_callbacks=[KeepWeights()])
    best = int(np.argmax(run.history["val_accuracy"]))
    saved = [keras.ops.convert_to_numpy(w) for w in run.model.trainable_weights]
    for kept, weight in zip(averaged[best], saved):
        np.testing.assert_allclose(weight, kept)
    assert any(not np.allclose(r, w) for r, w in zip(raw[best], saved)), "the checkpoint holds the raw weights"


@pytest.mark.slow
def test_refit_trains_on_all_of_train_and_keeps_the_last_epoch(tmp_path: Path, small_synthetic: Path):
    out = tmp_path / "refit"
    run = fer_train(out, small_synthetic, "--epochs", "2", "--refit")
    output, _ = run.communicate(timeout=300)
    assert run.returncode == 0, output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data"]["val_images"] == 0 and metrics["data"]["train_images"] == 20 * 7
    assert metrics["training"]["best_val_accuracy"] is None and metrics["training"]["epochs_run"] == 2
    assert "val_accuracy" not in read_history(out / "history.csv")
    assert (out / "learning_curves.png").is_file()


def test_augmentation_in_front_of_the_model_acts_in_training_only():
    from fer_helpers.augmentation.layers import build_augmentation
    from fer_helpers.models.builders import build_model
    from fer_helpers.training.fit import with_augmentation

    model = build_model("baseline")
    wrapped = with_augmentation(model, build_augmentation(seed=1))
    faces = np.random.default_rng(0).uniform(0, 255, (4, 48, 48, 1)).astype("float32")
    np.testing.assert_allclose(wrapped.predict(faces, verbose=0), model.predict(faces, verbose=0), atol=1e-6)
    augmented = keras.ops.convert_to_numpy(wrapped.get_layer("augmentation")(faces, training=True))
    assert not np.allclose(augmented, faces)
    assert wrapped.get_layer(model.name) is model


@pytest.mark.slow
def test_training_can_augment_inside_the_model_and_returns_the_bare_model(
    tmp_path: Path, small_synthetic: Path, monkeypatch
):
    """The JAX/PyTorch path (augmentation in the train step), run here on TensorFlow."""
    from dataclasses import replace

    from fer_helpers.augmentation import pipeline
    from fer_helpers.data.dataset import load_fer2013
    from fer_helpers.profiles import get_profile
    from fer_helpers.training.fit import train_model
    from fer_helpers.training.run_folder import BEST_CHECKPOINT

    seen = []

    def recording_make_dataset(*args, augmentation=None, **kwargs):
        seen.append(augmentation)
        return pipeline.make_dataset(*args, **kwargs)

    monkeypatch.setattr("fer_helpers.training.fit.augments_inside_model", lambda: True)
    monkeypatch.setattr("fer_helpers.training.fit.make_dataset", recording_make_dataset)
    data = load_fer2013(small_synthetic, progress=False, verbose=False)
    profile = replace(get_profile("smoke"), subset=1.0, dropout=0.1)
    run = train_model(data, profile, tmp_path, epochs=2, verbose=0)
    assert seen == [None, None], "the input pipeline must not augment as well"
    assert run.model.name == "vgg_bn" and "augmentation" not in [layer.name for layer in run.model.layers]
    assert [layer.rate for layer in run.model.layers if isinstance(layer, keras.layers.Dropout)] == [0.1, 0.1]
    checkpoint = keras.models.load_model(tmp_path / BEST_CHECKPOINT, compile=False)
    assert [layer.name for layer in checkpoint.layers] == ["augmentation", "vgg_bn"]
    assert len(run.history["val_accuracy"]) == 2
