"""Read the Kaggle folder layout ``ROOT/{train,test}/<class>/*.jpg`` into :class:`ImageSet` objects.

Kaggle's ``msambare/fer2013`` test/ folder holds both of FER2013's test splits, told apart by the file names:
``PublicTest_*`` files form the ``test`` split (3,589 faces), ``PrivateTest_*`` files the ``private_test`` split
(another 3,589), as the ``Usage`` column of ``fer2013.csv`` does. Files with neither prefix (your own
folders) all count as ``test``. Decoded faces are cached (:mod:`fer_helpers.data.decoded_cache`).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from fer_helpers.data.classes import CLASS_INDEX, CLASS_NAMES
from fer_helpers.data.decoded_cache import cached_image_sets, fingerprint
from fer_helpers.data.image_decoding import read_8bit_image
from fer_helpers.data.imageset import IMAGE_SIZE, ImageSet, to_face_array
from fer_helpers.errors import FERDataError, FERDataWarning
from fer_helpers.quiet import with_progress

SPLITS = ("train", "test")
"""The folders under the data root."""
PRIVATE_TEST = "private_test"
SPLIT_FOLDER = {"train": "train", "test": "test", PRIVATE_TEST: "test"}
"""Split name -> the folder that holds its files."""
PRIVATE_PREFIX = "PrivateTest_"
PUBLIC_PREFIX = "PublicTest_"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
ARCHIVE_SUFFIXES = {".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar"}
IGNORED_FOLDERS = {"__MACOSX", "@eaDir", "$RECYCLE.BIN", "System Volume Information"}
"""Folders that operating systems and archivers leave beside the data (hidden ``.*`` folders are ignored too)."""
BAD_FILE_FIX = (
    "Delete or replace that file, or skip such files: fer-train/fer-evaluate --skip-bad-files, "
    "load_fer2013(skip_bad_files=True)."
)
GET_DATA_HINT = (
    "Get FER2013 (Kaggle 'msambare/fer2013', folders train/<class>/ and test/<class>/) into "
    "data/fer2013, or set FER2013_DIR to its folder; in Colab or on a laptop with Kaggle "
    "credentials, fer_helpers.data.download_fer2013() fetches it."
)


def check_folder_layout(root: Path) -> None:
    """Raise :class:`FERDataError` naming the path and the fix if ``root`` is not a usable Kaggle layout."""
    if not root.exists():
        raise FERDataError(f"Data folder {root} does not exist. {GET_DATA_HINT}")
    if root.suffix.lower() in ARCHIVE_SUFFIXES and root.is_file():
        raise FERDataError(f"{root} is an archive: unpack it first, then point at the folder that holds train/.")
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
        check_split_folder(root / split)


def check_split_folder(split_dir: Path) -> None:
    """Raise :class:`FERDataError` if ``split_dir`` holds an unknown class folder or images outside class folders.

    Hidden folders and the litter of Mac, Windows and Jupyter (``__MACOSX``, ``.ipynb_checkpoints``,
    ``.DS_Store``, ``Thumbs.db``, ``desktop.ini``) are ignored; anything that would be read wrongly is refused.
    """
    if not split_dir.is_dir():
        raise FERDataError(
            f"{split_dir} is not a folder; expected {split_dir}/<class>/*.jpg with classes {', '.join(CLASS_NAMES)}."
        )
    loose, folders = scan_folder(split_dir)
    for sub in folders:
        if sub.name.lower() not in CLASS_INDEX:
            raise FERDataError(
                f"Unknown class folder {sub}: expected only {', '.join(CLASS_NAMES)}. "
                "Rename it to one of these or move it out of the data folder."
            )
    if loose:
        raise FERDataError(
            f"{split_dir} holds {len(loose)} image(s) outside any class folder (first: {os.path.basename(loose[0])}); "
            "the class "
            f"folder gives a face its label. Move them into {split_dir}/<class>/ or out of the data folder."
        )


def scan_folder(folder: Path) -> tuple[list[str], list[Path]]:
    """Return ``(image file paths, sub-folders)`` of ``folder``, each sorted by name.

    Hidden entries, the folders in :data:`IGNORED_FOLDERS` and files that are not images are skipped. Raises
    :class:`FERDataError` for a broken link, which would otherwise vanish without a word. One ``os.scandir``
    pass: listing FER2013's 36,000 files this way takes a fraction of a second.
    """
    images: list[tuple[str, str]] = []
    folders: list[tuple[str, str]] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                if entry.name not in IGNORED_FOLDERS:
                    folders.append((entry.name, entry.path))
            elif os.path.splitext(entry.name)[1].lower() in IMAGE_SUFFIXES:
                if entry.is_symlink() and not os.path.exists(entry.path):
                    raise FERDataError(f"{entry.path} is a link to a file that does not exist. Fix or delete the link.")
                if entry.is_file():
                    images.append((entry.name, entry.path))
    return [path for _, path in sorted(images)], [Path(path) for _, path in sorted(folders)]


def class_folders(split_dir: Path) -> list[Path]:
    """Return the class folders in ``split_dir`` (any case), sorted by name."""
    return [p for p in scan_folder(split_dir)[1] if p.name.lower() in CLASS_INDEX]


def in_split(path: str | Path, split: str) -> bool:
    """Return True if the file ``path`` (in its split's folder) belongs to ``split``, by FER2013's file names."""
    private = os.path.basename(path).lower().startswith(PRIVATE_PREFIX.lower())
    return split == "train" or (split == PRIVATE_TEST) == private


def split_files(root: Path, split: str) -> list[tuple[str, int]]:
    """Return ``(file path, label)`` for every image of ``split`` under ``root``, in class then name order."""
    if split not in SPLIT_FOLDER:
        raise ValueError(f"Unknown split {split!r}; choose one of {', '.join(SPLIT_FOLDER)}.")
    return [pair for pair in folder_files(Path(root) / SPLIT_FOLDER[split]) if in_split(pair[0], split)]


def folder_files(split_dir: Path) -> list[tuple[str, int]]:
    """Return ``(file path, label)`` for every image in the class folders of ``split_dir``, class then name order."""
    check_split_folder(split_dir)
    files: list[tuple[str, int]] = []
    for class_dir in class_folders(split_dir):
        found, nested = scan_folder(class_dir)
        if nested:
            raise FERDataError(
                f"{nested[0]} is a folder inside a class folder; its images would not be read. Move them up into "
                f"{class_dir} (or out of the data folder) and remove the empty folder."
            )
        if not found:
            raise FERDataError(
                f"Class folder {class_dir} holds no images. Put the {class_dir.name.lower()} faces there, "
                "or delete the empty folder."
            )
        label = CLASS_INDEX[class_dir.name.lower()]
        files.extend((f, label) for f in found)
    files.sort(key=lambda pair: (pair[1], os.path.basename(pair[0])))
    return files


def has_private_test(root: Path) -> bool:
    """Return True if ``root/test`` holds FER2013's ``PrivateTest_*`` files (Kaggle's download does; CI's copy not)."""
    return (Path(root) / "test").is_dir() and bool(split_files(root, PRIVATE_TEST))


def read_face(path: str | Path) -> np.ndarray:
    """Return the face in ``path`` as 48x48 uint8; raise :class:`FERDataError` naming the file if unreadable."""
    return to_face_array(read_8bit_image(path, fix=BAD_FILE_FIX), str(path))


def load_split(root: Path, split: str, skip_bad_files: bool = False, progress: bool = False) -> ImageSet:
    """Return the faces of ``split`` (``train``, ``test`` or ``private_test``) under ``root`` as an :class:`ImageSet`.

    Files are only read, never changed. Raises :class:`FERDataError` for a layout it would read wrongly.
    """
    return _load_files(Path(root), split, split_files(root, split), skip_bad_files, progress)


def _load_files(root: Path, split: str, files: list[tuple[str, int]], skip_bad_files: bool, progress: bool) -> ImageSet:
    """Return the faces of ``files`` (the split ``split`` of ``root``), from the cache when they are unchanged."""
    if not files:
        split_dir = root / SPLIT_FOLDER[split]
        if split == PRIVATE_TEST:
            raise FERDataError(
                f"{split_dir} holds no {PRIVATE_PREFIX}* files, so there is no private test split here. Kaggle's "
                "download has 3,589 of them beside the 3,589 PublicTest_* files; evaluate --split test instead."
            )
        if split == "test" and has_private_test(root):
            raise FERDataError(
                f"{split_dir} holds only {PRIVATE_PREFIX}* files (FER2013's private test split) and no test faces. "
                f"Add the {PUBLIC_PREFIX}* files (or your own, without that prefix) to {split_dir}/<class>/."
            )
        raise FERDataError(f"{split_dir} holds no images in any class folder. {GET_DATA_HINT}")
    signature = fingerprint(files, split, skip_bad_files, IMAGE_SIZE)
    name = f"folders:{root.resolve()}:{split}:{skip_bad_files}"
    return cached_image_sets(name, signature, lambda: {split: _decode(files, split, skip_bad_files, progress)})[split]


def _decode(files: list[tuple[str, int]], split: str, skip_bad_files: bool, progress: bool) -> ImageSet:
    """Return the decoded faces of ``files``; with ``skip_bad_files`` unreadable ones are left out with a warning."""
    images = np.empty((len(files), IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    keep = np.ones(len(files), dtype=bool)
    for i, (path, _) in enumerate(with_progress(files, enabled=progress, description=f"reading {split}", unit="img")):
        try:
            images[i] = read_face(path)
        except FERDataError as err:
            if not skip_bad_files:
                raise
            warnings.warn(f"Skipped: {err}", FERDataWarning, stacklevel=2)
            keep[i] = False
    if not keep.any():
        folder = Path(files[0][0]).parent.parent
        raise FERDataError(f"No readable image in the {split} split ({folder}). {GET_DATA_HINT}")
    labels = np.array([label for _, label in files], dtype=np.int64)
    origins = [str(p) for (p, _), k in zip(files, keep) if k]
    return ImageSet(images[keep], labels[keep], origins)


def load_folder_layout(root: Path, skip_bad_files: bool = False, progress: bool = False) -> dict[str, ImageSet]:
    """Return ``{"train", "test"}`` ImageSets from a Kaggle-layout folder, plus ``"private_test"`` when present.

    ``private_test`` holds the ``PrivateTest_*`` files of test/; it is there only when such files exist.
    """
    root = Path(root)
    check_folder_layout(root)
    test_files = folder_files(root / "test")  # listed once for both test splits
    splits = {
        "train": load_split(root, "train", skip_bad_files, progress),
        "test": _load_files(root, "test", [f for f in test_files if in_split(f[0], "test")], skip_bad_files, progress),
    }
    private = [f for f in test_files if in_split(f[0], PRIVATE_TEST)]
    if private:
        splits[PRIVATE_TEST] = _load_files(root, PRIVATE_TEST, private, skip_bad_files, progress)
    return splits
