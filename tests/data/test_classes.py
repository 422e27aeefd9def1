"""The CSV ids and the Kaggle folder names must map to the same classes."""

from pathlib import Path

import numpy as np

from fer_helpers.data.classes import (
    CLASS_INDEX,
    CLASS_NAMES,
    CSV_EMOTION_NAMES,
    label_from_csv_emotion,
)
from fer_helpers.data.csv_layout import load_csv_layout
from fer_helpers.data.folder_layout import load_folder_layout
from tests.conftest import write_face


def test_class_list_is_kaggle_folder_order():
    assert CLASS_NAMES == ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")


def test_csv_ids_follow_the_original_fer2013_order():
    # FER2013's CSV: 0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral
    expected = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    assert [CSV_EMOTION_NAMES[i] for i in range(7)] == expected
    assert [CLASS_NAMES[label_from_csv_emotion(i)] for i in range(7)] == expected
    assert label_from_csv_emotion(4) == CLASS_INDEX["sad"] and label_from_csv_emotion(6) == CLASS_INDEX["neutral"]


def test_same_face_gets_same_label_from_csv_and_from_folders(tmp_path: Path):
    """Write every class once as a CSV row and once as a folder image: both loaders must agree."""
    rows = ["emotion,pixels,Usage"]
    for csv_id, name in CSV_EMOTION_NAMES.items():
        pixels = np.full(48 * 48, 10 * csv_id, dtype=np.uint8)
        rows.append(f"{csv_id},{' '.join(map(str, pixels))},Training")
        rows.append(f"{csv_id},{' '.join(map(str, pixels))},PublicTest")
        for split in ("train", "test"):
            write_face(tmp_path / "fer" / split / name / "a.png", value=0)
            from PIL import Image

            Image.fromarray(pixels.reshape(48, 48)).save(tmp_path / "fer" / split / name / "a.png")
    (tmp_path / "fer2013.csv").write_text("\n".join(rows) + "\n")
    from_csv = load_csv_layout(tmp_path / "fer2013.csv")["train"]
    from_folders = load_folder_layout(tmp_path / "fer")["train"]
    csv_by_pixel = {int(img[0, 0]): int(label) for img, label in zip(from_csv.images, from_csv.labels)}
    folder_by_pixel = {int(img[0, 0]): int(label) for img, label in zip(from_folders.images, from_folders.labels)}
    assert csv_by_pixel == folder_by_pixel
    assert len(csv_by_pixel) == 7
