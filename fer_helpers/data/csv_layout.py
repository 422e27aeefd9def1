"""Read the original ``fer2013.csv`` (columns ``emotion,pixels,Usage``) into :class:`ImageSet` objects."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from fer_helpers.data.classes import CSV_EMOTION_NAMES, label_from_csv_emotion
from fer_helpers.data.decoded_cache import cached_image_sets, fingerprint
from fer_helpers.data.imageset import IMAGE_SIZE, ImageSet
from fer_helpers.errors import FERDataError

USAGE_TO_SPLIT = {"Training": "train", "PublicTest": "test", "PrivateTest": "private_test"}
"""``Usage`` column value -> split name used by the course."""

REQUIRED_COLUMNS = ("emotion", "pixels", "Usage")


def parse_pixels(text: str, where: str) -> np.ndarray:
    """Return a space-separated row of 2304 pixel values as a 48x48 uint8 array; raise naming ``where``."""
    try:
        values = np.array(text.split(), dtype=np.int64)
    except ValueError as err:
        raise FERDataError(f"{where}: pixels are not all integers ({err}). Fix or delete that line.") from err
    if values.size != IMAGE_SIZE * IMAGE_SIZE:
        raise FERDataError(
            f"{where}: {values.size} pixel values, expected {IMAGE_SIZE * IMAGE_SIZE} (48x48). Fix or delete that line."
        )
    if values.min() < 0 or values.max() > 255:
        raise FERDataError(f"{where}: pixel values must lie in 0-255. Fix or delete that line.")
    return values.reshape(IMAGE_SIZE, IMAGE_SIZE).astype(np.uint8)


def load_csv_layout(path: Path) -> dict[str, ImageSet]:
    """Return ``{"train", "test", "private_test"}`` ImageSets from ``fer2013.csv`` (only splits present)."""
    path = Path(path)
    if not path.is_file():
        raise FERDataError(f"CSV file {path} does not exist. Point at fer2013.csv (columns emotion,pixels,Usage).")
    return cached_image_sets(f"csv:{path.resolve()}", fingerprint([(path, 0)], "csv"), lambda: _parse_csv(path))


def _parse_csv(path: Path) -> dict[str, ImageSet]:
    """Return the splits of ``fer2013.csv`` at ``path``, checking every row (see :func:`load_csv_layout`)."""
    try:
        return _parse_rows(path)
    except UnicodeDecodeError as err:
        raise FERDataError(f"{not_utf8_line(path)}. {UTF8_FIX}") from err


UTF8_FIX = "The course reads fer2013.csv as UTF-8: save it as UTF-8 (in Excel: 'CSV UTF-8'), or fix that line."


def not_utf8_line(path: Path) -> str:
    """Return ``"path:line: ..."`` for the first line of ``path`` that is not UTF-8, naming the byte and column."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as err:
                return (
                    f"{path}:{number}: not UTF-8 text (byte 0x{line[err.start]:02x} at column {err.start + 1}; "
                    "saved as Latin-1 or Windows-1252?)"
                )
    return f"{path}: not UTF-8 text"


def _parse_rows(path: Path) -> dict[str, ImageSet]:
    """Read and check every row of the CSV at ``path`` (UTF-8)."""
    rows: dict[str, tuple[list[np.ndarray], list[int], list[str]]] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:  # -sig: Excel starts a saved CSV with a BOM
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise FERDataError(
                f"{path}: header lacks column(s) {', '.join(missing)}; expected 'emotion,pixels,Usage' "
                "as in the original fer2013.csv."
            )
        for row in reader:
            where = f"{path}:{reader.line_num}"
            usage = (row["Usage"] or "").strip()
            if usage not in USAGE_TO_SPLIT:
                raise FERDataError(
                    f"{where}: unknown Usage {usage!r}; expected one of {', '.join(USAGE_TO_SPLIT)}. "
                    "Fix or delete that line."
                )
            try:
                label = label_from_csv_emotion(int(row["emotion"]))
            except (KeyError, TypeError, ValueError) as err:
                raise FERDataError(
                    f"{where}: emotion {row['emotion']!r} is not an id 0-6 "
                    f"({', '.join(f'{k} {v}' for k, v in CSV_EMOTION_NAMES.items())}). Fix or delete that line."
                ) from err
            images, labels, origins = rows.setdefault(USAGE_TO_SPLIT[usage], ([], [], []))
            images.append(parse_pixels(row["pixels"] or "", where))
            labels.append(label)
            origins.append(where)
    if not rows:
        raise FERDataError(f"{path} holds no data rows. Point at the full fer2013.csv.")
    return {
        split: ImageSet(np.stack(images), np.array(labels, dtype=np.int64), origins)
        for split, (images, labels, origins) in rows.items()
    }
