"""The data as given: nothing dropped or misread in silence, and every refusal names the file, class and fix.

Covers (issue 26): a class missing from train/ is refused (or trained with an explicit option), one missing from
test/ is stated and left out of the macro average; ``--out`` inside the data folder is refused; the decoded-face
cache cannot serve a file rewritten with its old size and modification time; an animated GIF says it reads one
frame; a CSV that is not UTF-8 is named with its line; scikit-learn's stratified-split errors are replaced by
ones that name the class, the folder and how many faces are needed. All on generated data.
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fer_helpers.cli.train import fer_train
from fer_helpers.data.classes import CLASS_NAMES
from fer_helpers.data.dataset import load_fer2013, split_train_val, stratified_fraction
from fer_helpers.data.folder_layout import load_split, read_face
from fer_helpers.data.imageset import ImageSet
from fer_helpers.errors import FERDataError, FERDataWarning
from fer_helpers.evaluation.metrics import format_report, metrics_from_probabilities
from tests.conftest import write_face


def test_a_class_missing_from_train_is_refused_unless_asked(tiny_layout: Path):
    shutil.rmtree(tiny_layout / "train" / "disgust")
    with pytest.raises(FERDataError, match=r"train has no faces of disgust.*--allow-missing-classes"):
        load_fer2013(tiny_layout, val_fraction=0, progress=False, verbose=False)
    with pytest.warns(FERDataWarning, match="no faces of disgust: the model never sees them"):
        data = load_fer2013(tiny_layout, val_fraction=0, progress=False, verbose=False, allow_missing_classes=True)
    assert 1 not in set(data.train.labels.tolist())


def test_a_class_missing_from_test_is_stated_and_left_out_of_the_macro_average(tiny_layout: Path):
    shutil.rmtree(tiny_layout / "test" / "disgust")
    with pytest.warns(FERDataWarning, match=r"test has no faces of disgust: left out of the test averages"):
        load_fer2013(tiny_layout, val_fraction=0, progress=False, verbose=False)
    labels = np.array([i for i in range(len(CLASS_NAMES)) if CLASS_NAMES[i] != "disgust"])
    metrics = metrics_from_probabilities(labels, np.eye(len(CLASS_NAMES))[labels])  # every face right
    assert metrics["macro_f1"] == pytest.approx(1.0) and metrics["classes_without_faces"] == ["disgust"]
    assert "no faces of disgust here: left out of the macro F1" in format_report(metrics)


def test_out_inside_the_data_folder_is_refused(tiny_layout: Path, capsys):
    out = tiny_layout / "train" / "runs"
    assert fer_train(["--data", str(tiny_layout), "--profile", "smoke", "--out", str(out)]) == 2
    assert "lies inside the data folder" in capsys.readouterr().err and not out.exists()


def test_the_cache_does_not_serve_a_file_rewritten_with_its_old_size_and_time(tiny_layout: Path):
    first = load_split(tiny_layout, "test")
    path = tiny_layout / "test" / "angry" / "PublicTest_0.png"
    stat = path.stat()
    write_face(path, value=200)  # same size and format, other pixels
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # as cp -p, rsync -t or touch -d leave it
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    again = load_split(tiny_layout, "test")
    index = again.origins.index(str(path))
    assert np.array_equal(again.images[index], read_face(path))
    assert not np.array_equal(again.images[index], first.images[index])


def test_an_animated_gif_says_it_reads_one_frame(tmp_path: Path):
    frames = [Image.fromarray(np.full((48, 48), value, np.uint8)) for value in (10, 200, 90)]
    path = tmp_path / "blink.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    with pytest.warns(FERDataWarning, match=r"blink\.gif: 3 frames .*only the first is read"):
        face = read_face(path)
    assert abs(int(face.mean()) - 10) <= 2


def test_a_csv_that_is_not_utf8_is_named_with_its_line(tmp_path: Path):
    pixels = " ".join(["0"] * 48 * 48)
    text = f"emotion,pixels,Usage\n0,{pixels},Training\n3,{pixels},PublicTest caf\xe9\n"
    path = tmp_path / "fer2013.csv"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(FERDataError, match=rf"{path}:3: not UTF-8 text \(byte 0xe9.*save it as UTF-8"):
        load_fer2013(path, progress=False, verbose=False)


def faces(counts: dict[int, int]) -> ImageSet:
    labels = np.array([label for label, n in counts.items() for _ in range(n)], dtype=np.int64)
    return ImageSet(np.zeros((len(labels), 48, 48), np.uint8), labels, [f"f{i}" for i in range(len(labels))])


def test_split_errors_name_the_class_the_folder_and_the_count_needed():
    one_face = faces({0: 5, 4: 1})
    name = CLASS_NAMES[4]
    with pytest.raises(FERDataError, match=rf"data/train: class {name} has only 1 face; .*needs at least 2"):
        split_train_val(one_face, 0.5, where="data/train")
    few = faces({i: 2 for i in range(7)})
    with pytest.raises(FERDataError, match=r"data/train: 14 faces are too few.*at least 61 faces are needed"):
        split_train_val(few, 0.1, where="data/train")


def test_a_small_class_count_no_longer_trips_the_stratified_subset():
    for per_class in (10, 11, 12):
        kept = stratified_fraction(faces({i: per_class for i in range(7)}), 0.9)
        assert set(kept.labels.tolist()) == set(range(7))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(stratified_fraction(faces({i: 40 for i in range(7)}), 0.5)) == 140
        assert len(stratified_fraction(faces({i: 11 for i in range(7)}), 0.03)) == 7  # smoke's subset: one each
