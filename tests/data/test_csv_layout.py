"""Loading fer2013.csv, and its bad rows named by line."""

from pathlib import Path

import numpy as np
import pytest

from fer_helpers.data.classes import CLASS_INDEX
from fer_helpers.data.csv_layout import load_csv_layout
from fer_helpers.errors import FERDataError

PIXELS = " ".join(["7"] * 2304)


def write_csv(path: Path, *rows: str, header: str = "emotion,pixels,Usage") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_splits_and_labels(tmp_path: Path):
    path = write_csv(
        tmp_path / "fer2013.csv",
        f"3,{PIXELS},Training",
        f"4,{PIXELS},Training",
        f"6,{PIXELS},PublicTest",
        f"0,{PIXELS},PrivateTest",
    )
    splits = load_csv_layout(path)
    assert sorted(splits) == ["private_test", "test", "train"]
    assert splits["train"].labels.tolist() == [CLASS_INDEX["happy"], CLASS_INDEX["sad"]]
    assert splits["test"].labels.tolist() == [CLASS_INDEX["neutral"]]
    assert splits["train"].images.shape == (2, 48, 48) and np.all(splits["train"].images == 7)
    assert splits["test"].origins == [f"{path}:4"]


def test_malformed_pixel_row_names_the_line(tmp_path: Path):
    path = write_csv(tmp_path / "f.csv", f"3,{PIXELS},Training", "3,1 2 3,Training")
    with pytest.raises(FERDataError, match=r"f\.csv:3: 3 pixel values, expected 2304"):
        load_csv_layout(path)


def test_non_numeric_pixels(tmp_path: Path):
    path = write_csv(tmp_path / "f.csv", f"3,{PIXELS[:-1]}x,Training")
    with pytest.raises(FERDataError, match=r"f\.csv:2: pixels are not all integers"):
        load_csv_layout(path)


def test_unknown_usage(tmp_path: Path):
    path = write_csv(tmp_path / "f.csv", f"3,{PIXELS},Validation")
    with pytest.raises(FERDataError, match=r"f\.csv:2: unknown Usage 'Validation'.*Training, PublicTest, PrivateTest"):
        load_csv_layout(path)


def test_unknown_emotion(tmp_path: Path):
    path = write_csv(tmp_path / "f.csv", f"9,{PIXELS},Training")
    with pytest.raises(FERDataError, match=r"f\.csv:2: emotion '9' is not an id 0-6"):
        load_csv_layout(path)


def test_missing_column(tmp_path: Path):
    path = write_csv(tmp_path / "f.csv", f"3,{PIXELS}", header="emotion,pixels")
    with pytest.raises(FERDataError, match=r"header lacks column\(s\) Usage"):
        load_csv_layout(path)


def test_no_rows(tmp_path: Path):
    with pytest.raises(FERDataError, match=r"holds no data rows"):
        load_csv_layout(write_csv(tmp_path / "f.csv"))


def test_missing_file(tmp_path: Path):
    with pytest.raises(FERDataError, match=r"does not exist"):
        load_csv_layout(tmp_path / "nope.csv")


def test_a_csv_saved_by_excel_with_a_byte_order_mark_loads(tmp_path: Path):
    path = tmp_path / "fer2013.csv"
    path.write_bytes(
        b"\xef\xbb\xbf" + f"emotion,pixels,Usage\r\n3,{PIXELS},Training\r\n6,{PIXELS},PublicTest\r\n".encode()
    )
    splits = load_csv_layout(path)
    assert len(splits["train"]) == 1 and len(splits["test"]) == 1


def test_a_semicolon_csv_names_the_expected_header(tmp_path: Path):
    path = tmp_path / "fer2013.csv"
    path.write_text(f"emotion;pixels;Usage\n3;{PIXELS};Training\n")
    with pytest.raises(FERDataError, match=r"header lacks column\(s\) emotion, pixels, Usage"):
        load_csv_layout(path)
