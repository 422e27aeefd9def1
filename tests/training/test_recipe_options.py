"""Profile options of the GPU candidates: optimizer, plateau schedule, crops and erasing; off by default."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import keras
import numpy as np
import pytest

from fer_helpers.augmentation.layers import build_augmentation
from fer_helpers.profiles import PROFILES, Profile, get_profile
from fer_helpers.training.callbacks import (
    BudgetedCosineSchedule,
    BudgetedPlateauSchedule,
    budgeted_schedule,
    plateau_callbacks,
)
from fer_helpers.training.fit import augmentation_for
from fer_helpers.training.optim import build_optimizer
from fer_helpers.training.run_folder import read_history

NEW_OPTIONS = {
    "shift": 0.1,
    "zoom": 0.1,
    "crop_scale": None,
    "erasing": 0.25,
    "erasing_scale": (0.02, 0.15),
    "optimizer": "adamw",
    "schedule": "cosine",
    "ten_crop_tta": False,
}


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_existing_profiles_keep_what_they_did_before_the_options(name: str):
    profile = get_profile(name)
    assert {option: getattr(profile, option) for option in NEW_OPTIONS} == NEW_OPTIONS
    assert {f.name: f.default for f in fields(Profile) if f.name in NEW_OPTIONS} == NEW_OPTIONS


def test_the_profiles_augmentation_is_the_courses_unless_the_options_change_it():
    faces = np.random.default_rng(0).uniform(0, 255, (8, 48, 48, 1)).astype("float32")
    default = augmentation_for(get_profile("cpu"), "full", seed=3)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(default(faces, training=True)),
        keras.ops.convert_to_numpy(build_augmentation(seed=3)(faces, training=True)),
    )
    paper = replace(
        get_profile("gpu"), shift=0.2, zoom=0.0, crop_scale=(0.8, 1.2), erasing=0.5, erasing_scale=(0.02, 0.33)
    )
    layers = augmentation_for(paper, "full", seed=3)
    affine, erasing = layers.get_layer("affine"), layers.get_layer("erasing")
    assert (affine.shift, affine.zoom, affine.crop_scale) == (0.2, 0.0, (0.8, 1.2))
    assert tuple(erasing.factor) == (0.5, 0.5) and erasing.scale == (0.02, 0.33)
    assert [layer.name for layer in augmentation_for(paper, "baseline", seed=3).layers][0] == "flip"
    assert augmentation_for(paper, "none", seed=3) is None


def test_optimizer_option():
    adamw = build_optimizer(get_profile("gpu"))
    assert isinstance(adamw, keras.optimizers.AdamW) and adamw.weight_decay == pytest.approx(5e-4)
    sgd = build_optimizer(replace(get_profile("gpu"), optimizer="sgd", learning_rate=0.01, weight_decay=1e-3))
    assert isinstance(sgd, keras.optimizers.SGD) and not isinstance(sgd, keras.optimizers.AdamW)
    assert (sgd.momentum, sgd.nesterov, sgd.weight_decay) == (0.9, True, pytest.approx(1e-3))
    assert float(keras.ops.convert_to_numpy(sgd.learning_rate)) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="Unknown optimizer 'adam'"):
        replace(get_profile("gpu"), optimizer="adam")
    with pytest.raises(ValueError, match="Unknown schedule"):
        replace(get_profile("gpu"), schedule="step")


def test_schedule_option_picks_the_callbacks(tmp_path: Path):
    cosine, plateau = get_profile("gpu"), replace(get_profile("gpu"), schedule="plateau", plateau_patience=3)
    assert type(budgeted_schedule(cosine, 10, None, tmp_path / "s.json")) is BudgetedCosineSchedule
    assert type(budgeted_schedule(plateau, 10, None, tmp_path / "s.json")) is BudgetedPlateauSchedule
    assert plateau_callbacks(cosine, validate=True) == [] and plateau_callbacks(plateau, validate=False) == []
    (reducer,) = plateau_callbacks(plateau, validate=True)
    assert isinstance(reducer, keras.callbacks.ReduceLROnPlateau)
    assert (reducer.monitor, reducer.mode, reducer.factor, reducer.patience) == ("val_accuracy", "max", 0.75, 3)


def test_plateau_schedule_warms_up_then_leaves_the_rate_alone(tmp_path: Path):
    schedule = BudgetedPlateauSchedule(0.01, 10, 1.0, None, tmp_path / "state.json")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    schedule.set_model(model)
    schedule.set_params({"steps": 4, "epochs": 10})
    schedule.on_train_begin()
    rates = []
    for epoch in range(3):
        schedule.on_epoch_begin(epoch)
        for batch in range(4):
            schedule.on_train_batch_begin(batch)
            rates.append(float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)))
        model.optimizer.learning_rate = 0.003  # what ReduceLROnPlateau would do at the epoch's end
    assert rates[0] == pytest.approx(0.001) and rates[3] < 0.01  # warm-up from a tenth of the rate
    assert rates[4:8] == pytest.approx([0.01] * 4)  # the warm-up's end sets the base rate ...
    assert rates[8:] == pytest.approx([0.003] * 4)  # ... then the rate is left to the plateau callback


@pytest.mark.slow
def test_plateau_profile_lowers_the_rate_when_validation_accuracy_stalls(tmp_path: Path, small_synthetic: Path):
    from fer_helpers.data.dataset import load_fer2013
    from fer_helpers.training.fit import train_model

    data = load_fer2013(small_synthetic, progress=False, verbose=False)
    # A rate too small to change any prediction: validation accuracy stays flat, so every epoch after the first stalls.
    profile = replace(
        get_profile("smoke"),
        subset=1.0,
        optimizer="sgd",
        learning_rate=1e-9,
        schedule="plateau",
        plateau_factor=0.5,
        plateau_patience=1,
        crop_scale=(0.8, 1.2),
        erasing=0.5,
    )
    run = train_model(data, profile, tmp_path, model_name="baseline", epochs=3, verbose=0)
    assert read_history(tmp_path / "history.csv")["learning_rate"] == pytest.approx([1e-9, 1e-9, 5e-10])
    assert run.epochs_run == 3
