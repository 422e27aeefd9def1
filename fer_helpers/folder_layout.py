"""Read the Kaggle folder layout ``ROOT/{train,test}/<class>/*.jpg`` into :class:`ImageSet` objects."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from fer_helpers.classes import CLASS_INDEX, CLASS_NAMES
from fer_helpers.errors import FERDataError, FERDataWarning
from fer_helpers.imageset import IMAGE_SIZE, ImageSet, to_face_array
from fer_helpers.locate import GET_DATA_HINT

SPLITS = ("train", "test")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}


def check_folder_layout(root: Path) -> None:
    """Raise :class:`FERDataError` naming the path and the fix if ``root`` is not a usable Kaggle layout."""
    if not root.exists():
        raise FERDataError(f"Data folder {root} does not exist. {GET_DATA_HINT}")
    if not root.is_dir():
        raise FERDataError(f"{root} is a file, not a folder; point at the folder that holds train/ and test/.")
    missing = [s for s in SPLITS if not (root / s).is_dir()]
    if missing:
        raise FERDataError(
            f"{root} has no {' or '.join(s + '/' for s in missing)} folder. Expected {root}/train/<class>/*.jpg "
            f"and {root}/test/<class>/*.jpg with classes {', '.join(CLASS_NAMES)}. If you unpacked an archive, "
            "point at the folder one level further down."
        )
    for split in SPLITS:
        for sub in sorted(p for p in (root / split).iterdir() if p.is_dir()):
            if sub.name.lower() not in CLASS_INDEX:
                raise FERDataError(
                    f"Unknown class folder {sub}: expected only {', '.join(CLASS_NAMES)}. "
                    "Rename it to one of these or move it out of the data folder."
                )


def image_files(class_dir: Path) -> list[Path]:
    """Return the image files in ``class_dir`` sorted by name (hidden files and non-images skipped)."""
    return sorted(
        p
        for p in class_dir.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES
    )


def read_face(path: Path) -> np.ndarray:
    """Return the face in ``path`` as 48x48 uint8; raise :class:`FERDataError` naming the file if unreadable."""
    try:
        with Image.open(path) as image:
            image.load()
            return to_face_array(image, str(path))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise FERDataError(
            f"Cannot read image {path} ({err.__class__.__name__}: {err}). Delete or replace that file "
            "(it is corrupt or not an image), or pass skip_bad_files=True to skip it."
        ) from err


def load_split(root: Path, split: str, skip_bad_files: bool = False, progress: bool = False) -> ImageSet:
    """Return the faces of ``root/split/<class>/*`` as an :class:`ImageSet` (files are only read, never changed)."""
    split_dir = Path(root) / split
    files: list[tuple[Path, int]] = []
    for name in CLASS_NAMES:
        class_dirs = [p for p in split_dir.iterdir() if p.is_dir() and p.name.lower() == name]
        for class_dir in class_dirs:
            found = image_files(class_dir)
            if not found:
                raise FERDataError(
                    f"Class folder {class_dir} holds no images. Put the {name} faces there, or delete the empty folder."
                )
            files.extend((f, CLASS_INDEX[name]) for f in found)
    if not files:
        raise FERDataError(f"{split_dir} holds no images in any class folder. {GET_DATA_HINT}")
    images = np.empty((len(files), IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    keep = np.ones(len(files), dtype=bool)
    for i, (path, _) in enumerate(_with_progress(files, progress, f"reading {split}/")):
        try:
            images[i] = read_face(path)
        except FERDataError as err:
            if not skip_bad_files:
                raise
            warnings.warn(f"Skipped: {err}", FERDataWarning, stacklevel=2)
            keep[i] = False
    labels = np.array([label for _, label in files], dtype=np.int64)
    origins = [str(p) for (p, _), k in zip(files, keep) if k]
    if not keep.any():
        raise FERDataError(f"No readable image in {split_dir}. {GET_DATA_HINT}")
    return ImageSet(images[keep], labels[keep], origins)


def load_folder_layout(root: Path, skip_bad_files: bool = False, progress: bool = False) -> dict[str, ImageSet]:
    """Return ``{"train": ImageSet, "test": ImageSet}`` read from a Kaggle-layout folder."""
    root = Path(root)
    check_folder_layout(root)
    return {split: load_split(root, split, skip_bad_files, progress) for split in SPLITS}


def _with_progress(items: list, enabled: bool, description: str):
    """Return ``items`` wrapped in a tqdm progress bar when ``enabled``."""
    if not enabled:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=description, unit="img", mininterval=1.0)
