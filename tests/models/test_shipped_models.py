"""The default shipped model: the cpu model, unless a gpu model beats it on the same validation split."""

from __future__ import annotations

import json
from pathlib import Path

import keras

from fer_helpers.models import shipped as course_model
from fer_helpers.training.course_model import load_course_model

SPLIT = {"data": {"source": "fer2013-folders", "val_images": 2871}, "training": {"seed": 42}}


def ship(project_dir: Path, name: str, validation_accuracy: float | None, split: dict = SPLIT) -> Path:
    """Save a tiny model as models/<name>.keras with a provenance JSON recording ``validation_accuracy``."""
    inputs = keras.Input((48, 48, 1))
    outputs = keras.layers.Dense(7, activation="softmax")(keras.layers.GlobalAveragePooling2D()(inputs))
    path = project_dir / "models" / f"{name}.keras"
    path.parent.mkdir(parents=True, exist_ok=True)
    keras.Model(inputs, outputs, name=name).save(path)
    meta = {**split, **({} if validation_accuracy is None else {"validation_accuracy": validation_accuracy})}
    path.with_suffix(".json").write_text(json.dumps(meta))
    return path


def test_gpu_model_is_the_default_only_when_it_beats_the_cpu_model_on_validation(project_dir: Path):
    cpu = ship(project_dir, "fer_vgg_bn_cpu", 0.675)
    assert course_model.shipped_model_path() == cpu
    gpu = ship(project_dir, "fer_vgg_bn_gpu", 0.675)  # a tie keeps the cpu model
    assert course_model.shipped_model_path() == cpu
    ship(project_dir, "fer_vgg_bn_gpu", 0.721)
    assert course_model.shipped_model_path() == gpu
    path, description = course_model.find_course_model()
    assert path == gpu and "shipped" in description
    model, _ = load_course_model(train_if_missing=False)
    assert model.name == "fer_vgg_bn_gpu"


def test_the_best_of_several_gpu_models_wins(project_dir: Path):
    ship(project_dir, "fer_vgg_bn_cpu", 0.675)
    ship(project_dir, "fer_vgg_bn_gpu", 0.70)
    wide = ship(project_dir, "fer_vgg_bn_wide_gpu", 0.72)
    assert course_model.shipped_model_path() == wide


def test_gpu_model_is_not_compared_across_validation_splits_or_without_a_number(project_dir: Path):
    cpu = ship(project_dir, "fer_vgg_bn_cpu", 0.675)
    other_split = {"data": {"source": "fer2013-folders", "val_images": 2871}, "training": {"seed": 43}}
    ship(project_dir, "fer_vgg_bn_gpu", 0.74, split=other_split)
    assert course_model.shipped_model_path() == cpu
    ship(project_dir, "fer_vgg_bn_gpu", None)
    assert course_model.shipped_model_path() == cpu


def test_a_gpu_model_stands_in_when_the_cpu_model_is_absent(project_dir: Path):
    assert course_model.shipped_model_path() == project_dir / course_model.SHIPPED_MODEL
    gpu = ship(project_dir, "fer_vgg_bn_gpu", 0.70)
    assert course_model.shipped_model_path() == gpu
