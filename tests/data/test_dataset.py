"""Finding the data, the generated sample, the validation split and the input pipelines (tf.data and PyDataset)."""

from pathlib import Path

import numpy as np
import pytest

from fer_helpers.augmentation.layers import build_augmentation
from fer_helpers.augmentation.pipeline import FaceBatches, as_model_input, make_dataset
from fer_helpers.data.dataset import load_fer2013, resolve_source, split_train_val, stratified_fraction
from fer_helpers.data.folder_layout import load_folder_layout
from fer_helpers.data.synthetic import SYNTHETIC_NOTICE, generate_synthetic_fer
from fer_helpers.errors import FERDataError


def test_source_order_explicit_then_env_then_data_folder_then_synthetic(
    project_dir: Path, tiny_layout: Path, monkeypatch
):
    assert resolve_source() == ("synthetic", project_dir / "data" / "synthetic")
    (project_dir / "data" / "fer2013" / "train").mkdir(parents=True)
    assert resolve_source() == ("fer2013-folders", project_dir / "data" / "fer2013")
    monkeypatch.setenv("FER2013_DIR", str(tiny_layout))
    assert resolve_source() == ("fer2013-folders", tiny_layout)
    assert resolve_source(project_dir / "x.csv") == ("fer2013-csv", project_dir / "x.csv")
    assert resolve_source("synthetic")[0] == "synthetic"


def test_csv_inside_data_folder_is_found(project_dir: Path):
    (project_dir / "data" / "fer2013").mkdir(parents=True)
    (project_dir / "data" / "fer2013" / "fer2013.csv").write_text("emotion,pixels,Usage\n")
    assert resolve_source() == ("fer2013-csv", project_dir / "data" / "fer2013" / "fer2013.csv")


def test_explicit_missing_path_fails_loudly_instead_of_using_other_data(project_dir: Path):
    with pytest.raises(FERDataError, match="does not exist"):
        load_fer2013(project_dir / "typo", progress=False)


def test_synthetic_fallback_says_so_loudly(project_dir: Path, capsys):
    data = load_fer2013(progress=False)
    assert data.is_synthetic and data.source == "synthetic"
    out = capsys.readouterr().out
    assert SYNTHETIC_NOTICE.strip() in out and "NOT FER2013" in out
    assert len(data.test) == 7 * 30 and len(data.train) + len(data.val) == 7 * 150


def test_synthetic_sample_is_deterministic_and_seed_dependent(tmp_path: Path):
    a = load_folder_layout(generate_synthetic_fer(tmp_path / "a", 4, 2, seed=1))["train"].images
    b = load_folder_layout(generate_synthetic_fer(tmp_path / "b", 4, 2, seed=1))["train"].images
    c = load_folder_layout(generate_synthetic_fer(tmp_path / "c", 4, 2, seed=2))["train"].images
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_synthetic_faces_vary_but_classes_differ(small_synthetic: Path):
    train = load_folder_layout(small_synthetic)["train"]
    assert train.images.std() > 20  # nuisance variation: not a constant image
    means = np.stack([train.images[train.labels == k].mean(axis=0) for k in range(7)])
    # class-mean faces differ (expressions), e.g. surprise's open mouth vs neutral's closed one
    assert np.abs(means[6] - means[4]).max() > 20


def test_validation_split_is_stratified_seeded_and_disjoint(small_synthetic: Path):
    train = load_folder_layout(small_synthetic)["train"]
    fit, val = split_train_val(train, 0.1, seed=5)
    assert len(val) == 14 and len(fit) == 126
    assert set(fit.origins).isdisjoint(val.origins)
    assert all(n == 2 for n in val.class_counts().values())
    assert split_train_val(train, 0.1, seed=5)[1].origins == val.origins
    assert split_train_val(train, 0.1, seed=6)[1].origins != val.origins
    everything, none = split_train_val(train, 0.0)
    assert len(everything) == 140 and len(none) == 0 and none.images.shape[1:] == (48, 48)
    with pytest.raises(ValueError, match="val_fraction"):
        split_train_val(train, 1.0)


def test_test_split_is_untouched_by_the_validation_split(small_synthetic: Path):
    data = load_fer2013(small_synthetic, progress=False, verbose=False)
    assert len(data.test) == 42
    assert all("/test/" in o for o in data.test.origins)
    assert not any("/test/" in o for o in data.train.origins + data.val.origins)


def test_subset_keeps_every_class(small_synthetic: Path):
    train = load_folder_layout(small_synthetic)["train"]
    part = stratified_fraction(train, 0.25)
    assert len(part) == 35 and set(part.class_counts().values()) == {5}


def test_pipeline_yields_float_batches(small_synthetic: Path):
    train = load_folder_layout(small_synthetic)["train"]
    x, y = next(iter(make_dataset(train, batch_size=16, training=True, augmentation=build_augmentation())))
    assert x.shape == (16, 48, 48, 1) and x.dtype.name == "float32" and y.shape == (16,)
    assert 0.0 <= float(x.numpy().min()) and float(x.numpy().max()) <= 255.0
    batches = list(make_dataset(train, batch_size=64))
    assert sum(len(b[1]) for b in batches) == len(train)
    # evaluation order is the data order (no shuffling outside training)
    assert np.array_equal(np.concatenate([b[1].numpy() for b in batches]), train.labels)


def test_face_batches_reshuffle_each_epoch_and_augment_only_training(small_synthetic: Path):
    # The pipeline used on Keras's JAX and PyTorch backends (plain arrays, no TensorFlow).
    train = load_folder_layout(small_synthetic)["train"]
    batches = FaceBatches(train, batch_size=32, training=True, seed=3)
    first = np.concatenate([batches[i][1] for i in range(len(batches))])
    batches.on_epoch_end()
    second = np.concatenate([batches[i][1] for i in range(len(batches))])
    assert len(batches) == len(train) // 32 and len(first) == len(batches) * 32  # one batch shape when training
    assert not np.array_equal(first, second)
    assert len(FaceBatches(train, batch_size=32)) == -(-len(train) // 32)  # evaluation keeps every face
    x, y = FaceBatches(train, batch_size=32, augmentation=build_augmentation())[0]  # not training: untouched
    assert np.array_equal(x, as_model_input(train.images[:32])) and np.array_equal(y, train.labels[:32])
    faces, _ = FaceBatches(train, 32, training=True, seed=3)[0]
    warped, _ = FaceBatches(train, 32, training=True, augmentation=build_augmentation(), seed=3)[0]
    assert warped.shape == faces.shape == (32, 48, 48, 1) and warped.dtype == np.float32
    assert not np.array_equal(warped, faces)


def test_augmentation_changes_faces_but_keeps_shape(small_synthetic: Path):
    faces = load_folder_layout(small_synthetic)["train"].images[:8].astype("float32")[..., None]
    out = build_augmentation(seed=1)(faces, training=True).numpy()
    assert out.shape == faces.shape
    assert not np.allclose(out, faces)
    assert np.allclose(build_augmentation()(faces, training=False).numpy(), faces)
