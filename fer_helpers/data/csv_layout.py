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
