"""Loading the Kaggle folder layout, and every kind of bad input it must explain."""

import hashlib
import warnings
from pathlib import Path

import numpy as np
import pytest

from fer_helpers.classes import CLASS_NAMES
from fer_helpers.errors import FERDataError, FERDataWarning
from fer_helpers.folder_layout import load_folder_layout
from tests.conftest import write_face


def test_loads_both_splits_with_labels(tiny_layout: Path):
    splits = load_folder_layout(tiny_layout)
    assert len(splits["train"]) == 21 and len(splits["test"]) == 7
    assert splits["train"].images.shape == (21, 48, 48) and splits["train"].images.dtype == np.uint8
    assert splits["train"].class_counts() == {name: 3 for name in CLASS_NAMES}
    assert splits["train"].origins[0].endswith("Training_00.jpg")


def test_missing_root_names_it_and_the_fix(tmp_path: Path):
    with pytest.raises(FERDataError, match=r"nowhere.*does not exist.*FER2013_DIR"):
        load_folder_layout(tmp_path / "nowhere")


def test_root_without_splits(tmp_path: Path):
    (tmp_path / "train").mkdir()
    with pytest.raises(FERDataError, match=r"has no test/ folder"):
        load_folder_layout(tmp_path)


def test_empty_class_folder(tiny_layout: Path):
    for f in (tiny_layout / "train" / "fear").iterdir():
        f.unlink()
    with pytest.raises(FERDataError, match=r"train/fear holds no images"):
        load_folder_layout(tiny_layout)


def test_unknown_class_folder(tiny_layout: Path):
    write_face(tiny_layout / "test" / "contempt" / "x.png")
    with pytest.raises(FERDataError, match=r"Unknown class folder .*contempt.*angry, disgust"):
        load_folder_layout(tiny_layout)


def test_corrupt_image_names_the_file(tiny_layout: Path):
    bad = tiny_layout / "train" / "happy" / "broken.jpg"
    bad.write_bytes(b"this is not a jpeg")
    with pytest.raises(FERDataError, match=r"broken\.jpg.*corrupt or not an image"):
        load_folder_layout(tiny_layout)


def test_corrupt_image_can_be_skipped_with_a_warning(tiny_layout: Path):
    (tiny_layout / "train" / "happy" / "broken.jpg").write_bytes(b"\x00\x01")
    with pytest.warns(FERDataWarning, match="broken.jpg"):
        splits = load_folder_layout(tiny_layout, skip_bad_files=True)
    assert len(splits["train"]) == 21


def test_non_image_files_are_ignored(tiny_layout: Path):
    (tiny_layout / "train" / "sad" / "notes.txt").write_text("labelling notes")
    (tiny_layout / "train" / "sad" / ".DS_Store").write_bytes(b"\x00")
    assert len(load_folder_layout(tiny_layout)["train"]) == 21


def test_rgb_and_odd_sizes_are_converted_with_a_warning(tiny_layout: Path):
    write_face(tiny_layout / "train" / "angry" / "colour.png", mode="RGB")
    write_face(tiny_layout / "train" / "angry" / "big.png", size=96)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        splits = load_folder_layout(tiny_layout)
    messages = [str(w.message) for w in caught if issubclass(w.category, FERDataWarning)]
    assert any("colour.png: RGB image converted to grayscale" in m for m in messages)
    assert any("big.png: 96x96 image resized to 48x48" in m for m in messages)
    assert splits["train"].images.shape[1:] == (48, 48)
    assert len(splits["train"]) == 23


def test_zero_images(tmp_path: Path):
    (tmp_path / "train").mkdir()
    (tmp_path / "test").mkdir()
    with pytest.raises(FERDataError, match=r"train holds no images"):
        load_folder_layout(tmp_path)


def test_data_is_never_modified(tiny_layout: Path):
    write_face(tiny_layout / "train" / "angry" / "colour.png", mode="RGB")

    def snapshot():
        return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(tiny_layout.rglob("*")) if p.is_file()}

    before = snapshot()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_folder_layout(tiny_layout)
    assert snapshot() == before
