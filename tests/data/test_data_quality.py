"""Unit tests for fer_helpers.data.quality on tiny generated arrays (no FER2013 needed)."""

from __future__ import annotations

import numpy as np
import pytest

from fer_helpers.data.classes import CLASS_NAMES, NUM_CLASSES
from fer_helpers.data.folder_layout import load_folder_layout
from fer_helpers.data.imageset import ImageSet
from fer_helpers.data.quality import (
    NEAR_BLANK_STD,
    cross_split_indices,
    duplicate_summary,
    duplicates_by_splits,
    face_brightness_contrast,
    find_exact_duplicates,
    find_near_blank,
    image_digest,
    mean_faces,
    pixel_statistics,
)
from fer_helpers.data.synthetic import generate_synthetic_fer


def random_faces(n: int, seed: int) -> np.ndarray:
    """Return ``n`` distinct random 48x48 uint8 faces."""
    return np.random.default_rng(seed).integers(0, 256, size=(n, 48, 48), dtype=np.uint8)


@pytest.fixture
def splits() -> dict[str, ImageSet]:
    """Train with one internal duplicate pair, test sharing one train face (with another label), val clean."""
    train = random_faces(6, seed=1)
    train[4] = train[1]  # duplicate within train
    test = random_faces(3, seed=2)
    test[2] = train[0]  # leak: train[0] reappears in test
    val = random_faces(2, seed=3)
    return {
        "train": ImageSet(train, np.array([0, 3, 3, 4, 3, 5])),
        "val": ImageSet(val, np.array([1, 2])),
        "test": ImageSet(test, np.array([6, 6, 2])),  # test[2] is labelled fear, train[0] angry
    }


def test_image_digest_equal_only_for_identical_pixels() -> None:
    face = random_faces(1, seed=0)[0]
    changed = face.copy()
    changed[10, 10] ^= 1
    assert image_digest(face) == image_digest(face.copy())
    assert image_digest(face) != image_digest(changed)
    assert image_digest(face) != image_digest(face.reshape(24, 96))  # same bytes, other shape


def test_find_exact_duplicates_within_and_across_splits(splits: dict[str, ImageSet]) -> None:
    groups = find_exact_duplicates(splits)
    assert len(groups) == 2
    by_members = {g.members: g for g in groups}
    within = by_members[(("train", 1), ("train", 4))]
    across = by_members[(("train", 0), ("test", 2))]
    assert not within.crosses_splits and within.labels == (3, 3) and not within.has_conflicting_labels
    assert across.crosses_splits and across.splits == ("train", "test")
    assert across.labels == (0, 2) and across.has_conflicting_labels


def test_find_exact_duplicates_orders_largest_group_first() -> None:
    faces = random_faces(5, seed=4)
    faces[2] = faces[3] = faces[4] = faces[1]
    splits = {"train": ImageSet(faces[:3], np.zeros(3, int)), "test": ImageSet(faces[3:], np.ones(2, int))}
    groups = find_exact_duplicates(splits)
    assert len(groups) == 1
    assert groups[0].members == (("train", 1), ("train", 2), ("test", 0), ("test", 1))


def test_no_duplicates_in_distinct_faces() -> None:
    assert find_exact_duplicates({"train": ImageSet(random_faces(20, seed=5), np.zeros(20, int))}) == []


def test_duplicate_summaries(splits: dict[str, ImageSet]) -> None:
    groups = find_exact_duplicates(splits)
    assert duplicate_summary(groups) == {
        "duplicate groups": 2,
        "redundant copies": 2,
        "groups within one split": 1,
        "groups across splits": 1,
        "groups with conflicting labels": 1,
    }
    assert duplicates_by_splits(groups) == {"test+train": 1, "train": 1}
    assert cross_split_indices(groups, "test").tolist() == [2]
    assert cross_split_indices(groups, "train").tolist() == [0]
    assert cross_split_indices(groups, "val").tolist() == []


def test_find_near_blank_flags_flat_faces_only() -> None:
    faces = random_faces(5, seed=6)
    faces[1] = 0  # all black
    faces[3] = 200  # flat gray ...
    faces[3, 0, :4] = 205  # ... with a few barely different pixels
    assert find_near_blank(faces).tolist() == [1, 3]
    assert find_near_blank(faces, std_threshold=0.0).tolist() == []


def test_face_brightness_contrast_values() -> None:
    faces = np.zeros((2, 48, 48), np.uint8)
    faces[0] = 100
    faces[1, :, :24] = 255  # half white, half black
    brightness, contrast = face_brightness_contrast(faces)
    np.testing.assert_allclose(brightness, [100.0, 127.5])
    np.testing.assert_allclose(contrast, [0.0, 127.5])


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_face_brightness_contrast_match_numpy_across_chunks(dtype) -> None:
    faces = np.random.default_rng(7).integers(0, 256, (4100, 6, 6)).astype(dtype)  # more faces than one chunk
    faces[5] = 17  # flat: contrast exactly 0
    if dtype == np.float32:
        faces[6] += 0.25  # pixels between the integers
    brightness, contrast = face_brightness_contrast(faces)
    flat = faces.reshape(len(faces), -1).astype(np.float64)
    np.testing.assert_allclose(brightness, flat.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(contrast, flat.std(axis=1), rtol=1e-9, atol=1e-9)
    assert contrast[5] == 0.0
    assert face_brightness_contrast(faces[:0])[0].shape == (0,)


def test_mean_faces_shape_values_and_empty_class() -> None:
    images = np.zeros((3, 48, 48), np.uint8)
    images[0] = 10
    images[1] = 30
    images[2] = 200
    means = mean_faces(ImageSet(images, np.array([0, 0, 3])))
    assert means.shape == (NUM_CLASSES, 48, 48) and means.dtype == np.float32
    np.testing.assert_allclose(means[0], 20.0)
    np.testing.assert_allclose(means[3], 200.0)
    assert np.isnan(means[1]).all() and np.isnan(means[6]).all()


def test_pixel_statistics_table() -> None:
    images = np.zeros((3, 48, 48), np.uint8)
    images[0, :, :24] = 255
    images[1] = 100
    images[2] = 50
    table = pixel_statistics(ImageSet(images, np.array([0, 0, 5])))
    assert list(table.index) == [*CLASS_NAMES, "all"]
    assert table.loc["angry", "faces"] == 2 and table.loc["all", "faces"] == 3
    assert table.loc["angry", "brightness mean"] == pytest.approx((127.5 + 100) / 2, abs=0.05)
    assert table.loc["sad", "near-blank"] == 1 and table.loc["all", "near-blank"] == 2
    assert np.isnan(table.loc["disgust", "brightness mean"]) and table.loc["disgust", "faces"] == 0


def test_on_generated_sample(tmp_path) -> None:
    """The generated sample has no duplicates or blank faces until we plant them."""
    splits = load_folder_layout(generate_synthetic_fer(tmp_path, train_per_class=4, test_per_class=2))
    assert find_exact_duplicates(splits) == []
    assert len(find_near_blank(splits["train"].images)) == 0
    splits["test"].images[0] = splits["train"].images[5]
    splits["test"].images[1] = 0
    groups = find_exact_duplicates(splits)
    assert [g.members for g in groups] == [(("train", 5), ("test", 0))]
    assert find_near_blank(splits["test"].images, NEAR_BLANK_STD).tolist() == [1]
    assert mean_faces(splits["train"]).shape == (NUM_CLASSES, 48, 48)
