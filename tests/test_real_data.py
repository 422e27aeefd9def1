"""Checks on the real FER2013 (set FER2013_DIR); skipped when it is absent."""

import os
from pathlib import Path

import pytest

from fer_helpers.data.classes import CLASS_NAMES
from fer_helpers.data.folder_layout import load_folder_layout

FER2013 = os.environ.get("FER2013_DIR")
pytestmark = [
    pytest.mark.real_data,
    pytest.mark.skipif(not FER2013 or not Path(FER2013, "train").is_dir(), reason="FER2013_DIR not set to FER2013"),
]

TRAIN_COUNTS = {
    "angry": 3995,
    "disgust": 436,
    "fear": 4097,
    "happy": 7215,
    "neutral": 4965,
    "sad": 4830,
    "surprise": 3171,
}
TEST_COUNTS = {"angry": 467, "disgust": 56, "fear": 496, "happy": 895, "neutral": 607, "sad": 653, "surprise": 415}


@pytest.fixture(scope="module")
def splits():
    return load_folder_layout(Path(FER2013))


def test_split_sizes(splits):
    assert len(splits["train"]) == 28709
    assert len(splits["test"]) == 3589  # PublicTest only, also where test/ holds Kaggle's 7,178 files
    assert all(Path(origin).name.startswith("PublicTest_") for origin in splits["test"].origins)
    if "private_test" in splits:  # Kaggle's full download; the CI copy holds PublicTest only
        assert len(splits["private_test"]) == 3589


def test_per_class_counts(splits):
    assert splits["train"].class_counts() == TRAIN_COUNTS
    assert splits["test"].class_counts() == TEST_COUNTS
    assert list(splits["train"].class_counts()) == list(CLASS_NAMES)


def test_faces_are_48x48_gray(splits):
    assert splits["train"].images.shape == (28709, 48, 48)
    assert 60 < splits["train"].images.mean() < 200
