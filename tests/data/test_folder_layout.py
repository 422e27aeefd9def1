"""Loading the Kaggle folder layout, and every kind of bad input it must explain."""

import hashlib
import warnings
from pathlib import Path

import numpy as np
import pytest

from fer_helpers.data.classes import CLASS_NAMES
from fer_helpers.data.folder_layout import load_folder_layout, load_split
from fer_helpers.errors import FERDataError, FERDataWarning
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


# --- FER2013's two test splits in Kaggle's test/ folder -------------------------------------------------------------


def test_kaggle_test_folder_splits_by_file_name(kaggle_layout: Path):
    splits = load_folder_layout(kaggle_layout)
    assert sorted(splits) == ["private_test", "test", "train"]
    assert len(splits["train"]) == 14 and len(splits["test"]) == 14 and len(splits["private_test"]) == 7
    assert all(Path(o).name.startswith("PublicTest_") for o in splits["test"].origins)
    assert all(Path(o).name.startswith("PrivateTest_") for o in splits["private_test"].origins)
    assert splits["private_test"].class_counts() == {name: 1 for name in CLASS_NAMES}


def test_a_test_folder_without_prefixes_loads_as_before(tiny_layout: Path):
    for path in (tiny_layout / "test").rglob("*.png"):
        path.rename(path.with_name(path.name.replace("PublicTest_", "my_face_")))
    splits = load_folder_layout(tiny_layout)
    assert sorted(splits) == ["test", "train"] and len(splits["test"]) == 7


def test_only_private_files_in_test_is_refused_with_the_reason(kaggle_layout: Path):
    for path in (kaggle_layout / "test").rglob("PublicTest_*"):
        path.unlink()
    with pytest.raises(FERDataError, match=r"only PrivateTest_\* files .* no test faces"):
        load_folder_layout(kaggle_layout)


def test_asking_for_an_absent_private_split_says_so(tiny_layout: Path):
    with pytest.raises(FERDataError, match=r"no PrivateTest_\* files, so there is no private test split"):
        load_split(tiny_layout, "private_test")


def test_the_kaggle_download_numbers(tmp_path: Path, monkeypatch, capsys):
    """A constructed Kaggle-style download: test/ holds 7,178 files, 3,589 PublicTest_* and 3,589 PrivateTest_*."""
    import sys
    import types

    from fer_helpers.data import locate

    assert locate.KAGGLE_PUBLIC_TEST_FILES + locate.KAGGLE_PRIVATE_TEST_FILES == 7178
    assert locate.KAGGLE_PUBLIC_TEST_FILES == 3589
    root = tmp_path / "kagglehub" / "datasets" / "msambare" / "fer2013" / "versions" / "1"
    face = write_face(tmp_path / "face.png").read_bytes()
    for prefix in ("PublicTest", "PrivateTest"):
        for i in range(3589):
            folder = root / "test" / CLASS_NAMES[i % 7]
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{prefix}_{i:08d}.jpg").write_bytes(face)  # PNG bytes: read by content
    for name in CLASS_NAMES:
        write_face(root / "train" / name / "Training_00000001.jpg")
    assert sum(1 for _ in (root / "test").rglob("*.jpg")) == 7178
    monkeypatch.setitem(sys.modules, "kagglehub", types.SimpleNamespace(dataset_download=lambda name: str(root)))
    assert locate.download_fer2013() == root
    printed = capsys.readouterr().out
    assert "test/ 7,178 faces: 3,589 PublicTest (the test split) and 3,589 PrivateTest" in printed
    splits = load_folder_layout(root)
    assert len(splits["test"]) == 3589 and len(splits["private_test"]) == 3589


# --- folder oddities a Mac, Windows or Jupyter user leaves behind -------------------------------------------------


LITTER = {
    "train/.DS_Store": b"\x00\x00\x00\x01Bud1",
    "train/happy/.DS_Store": b"\x00\x00\x00\x01Bud1",
    "train/happy/._Training_30.jpg": b"\x00\x05\x16\x07AppleDouble",
    "train/Thumbs.db": b"\xd0\xcf\x11\xe0",
    "train/sad/Thumbs.db": b"\xd0\xcf\x11\xe0",
    "test/desktop.ini": b"[.ShellClassInfo]",
    "test/angry/desktop.ini": b"[.ShellClassInfo]",
    "__MACOSX/train/happy/._Training_30.jpg": b"\x00\x05\x16\x07",
    "train/__MACOSX/happy/._x.jpg": b"\x00\x05\x16\x07",
    "test/.ipynb_checkpoints/notes-checkpoint.ipynb": b"{}",
    "train/fear/.ipynb_checkpoints/Training_20-checkpoint.jpg": b"not read",
    "test/happy/notes.txt": b"labelling notes",
    "train/.Trash-1000/files/x.jpg": b"deleted",
}


@pytest.mark.parametrize("litter", list(LITTER))
def test_litter_is_ignored(tiny_layout: Path, litter: str):
    path = tiny_layout / litter
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(LITTER[litter])
    splits = load_folder_layout(tiny_layout)
    assert len(splits["train"]) == 21 and len(splits["test"]) == 7


def test_upper_case_class_folders_keep_their_labels(tiny_layout: Path):
    (tiny_layout / "train" / "happy").rename(tiny_layout / "train" / "Happy")
    (tiny_layout / "test" / "sad").rename(tiny_layout / "test" / "SAD")
    splits = load_folder_layout(tiny_layout)
    assert splits["train"].class_counts()["happy"] == 3 and splits["test"].class_counts()["sad"] == 1


def test_symlinked_class_folder_and_image_are_followed(tiny_layout: Path, tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    (tiny_layout / "train" / "angry").rename(elsewhere)
    (tiny_layout / "train" / "angry").symlink_to(elsewhere, target_is_directory=True)
    (tiny_layout / "train" / "happy" / "linked.png").symlink_to(elsewhere / "Training_00.jpg")
    splits = load_folder_layout(tiny_layout)
    assert splits["train"].class_counts()["angry"] == 3 and splits["train"].class_counts()["happy"] == 4


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("broken_link", r"link to a file that does not exist"),
        ("misspelt_test_class", r"Unknown class folder .*hapy"),
        ("trailing_space_class", r"Unknown class folder .*happy "),
        ("loose_test_image", r"1 image\(s\) outside any class folder \(first: loose\.png\)"),
        ("nested_folder", r"folder inside a class folder"),
        ("only_non_images", r"test/angry holds no images"),
        ("archive", r"is an archive: unpack it first"),
        ("one_level_up", r"has no train/ or test/ folder.*one level further down"),
    ],
)
def test_layouts_read_wrongly_are_refused(tiny_layout: Path, change: str, message: str):
    root = tiny_layout
    if change == "broken_link":
        (root / "train" / "sad" / "gone.jpg").symlink_to(root / "nowhere.jpg")
    elif change == "misspelt_test_class":
        (root / "test" / "happy").rename(root / "test" / "hapy")
    elif change == "trailing_space_class":
        (root / "train" / "happy").rename(root / "train" / "happy ")
    elif change == "loose_test_image":
        write_face(root / "test" / "loose.png")
    elif change == "nested_folder":
        write_face(root / "train" / "happy" / "more" / "Training_99.jpg")
    elif change == "only_non_images":
        for path in (root / "test" / "angry").iterdir():
            path.unlink()
        (root / "test" / "angry" / "readme.txt").write_text("faces go here")
    elif change == "archive":
        root = root.parent / "fer2013.zip"
        root.write_bytes(b"PK\x03\x04")
    elif change == "one_level_up":
        root = root.parent
    with pytest.raises(FERDataError, match=message):
        load_folder_layout(root)


def test_empty_image_can_be_skipped(tiny_layout: Path):
    (tiny_layout / "test" / "happy" / "PublicTest_empty.jpg").write_bytes(b"")
    with pytest.raises(FERDataError, match=r"PublicTest_empty\.jpg: the file is empty"):
        load_folder_layout(tiny_layout)
    with pytest.warns(FERDataWarning, match="PublicTest_empty.jpg"):
        assert len(load_folder_layout(tiny_layout, skip_bad_files=True)["test"]) == 7
