"""Where the data lives: explicit path, else ``$FER2013_DIR``, else ``data/fer2013``; plus the download helper."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from fer_helpers.data.folder_layout import PRIVATE_TEST, split_files
from fer_helpers.errors import FERDataError

ENV_VAR = "FER2013_DIR"
KAGGLE_TRAIN_FILES = 28_709
KAGGLE_PUBLIC_TEST_FILES = 3_589
"""Kaggle's ``msambare/fer2013`` test/ folder holds both test splits: 3,589 ``PublicTest_*`` files
(the course's test split) ..."""
KAGGLE_PRIVATE_TEST_FILES = 3_589
"""... and 3,589 ``PrivateTest_*`` (the private test split, held back as the final exam)."""


def project_root(start: Path | None = None) -> Path:
    """Return the nearest folder at or above ``start`` (default: cwd) holding ``pyproject.toml``, else cwd."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "fer_helpers").is_dir():
            return folder
    return here


def data_home() -> Path:
    """Return the course's data folder: ``<project root>/data`` (created on demand)."""
    return project_root() / "data"


def find_fer2013(path: str | os.PathLike | None = None) -> Path | None:
    """Return the FER2013 location: ``path`` if given, else ``$FER2013_DIR``, else ``data/fer2013`` if it exists.

    An explicit path or environment variable is returned even if it does not exist,
    so that loading fails loudly on a typo instead of silently using other data.
    """
    if path is not None:
        return Path(path).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    default = data_home() / "fer2013"
    return default if default.exists() else None


def download_fer2013(target: str | os.PathLike | None = None, dataset: str = "msambare/fer2013") -> Path:
    """Download FER2013 (Kaggle folder layout) with kagglehub and return the folder holding train/ and test/.

    Kaggle's download holds 28,709 ``Training_*`` faces in train/ and 7,178 in test/: 3,589 ``PublicTest_*``
    files (the test split the course reports on) and 3,589 ``PrivateTest_*`` files (the private test split,
    the final exam: evaluate once at the very end, never choose anything on it). It prints those counts.
    Never called implicitly. Needs the optional ``download`` extra
    (``pip install 'fer-course[download]'``) and Kaggle credentials
    (``KAGGLE_USERNAME``/``KAGGLE_KEY`` or ``~/.kaggle/kaggle.json``; in Colab, the secrets panel).
    """
    try:
        import kagglehub
    except ImportError as err:
        raise FERDataError(
            "download_fer2013() needs kagglehub: run `pip install 'fer-course[download]'` "
            "(or `pip install kagglehub`), then try again."
        ) from err
    try:
        downloaded = Path(kagglehub.dataset_download(dataset))
    except Exception as err:  # kagglehub raises several types for auth and network problems
        raise FERDataError(
            f"Downloading Kaggle dataset {dataset!r} failed ({err}). Check your Kaggle credentials: "
            "set KAGGLE_USERNAME and KAGGLE_KEY, or put kaggle.json in ~/.kaggle "
            "(in Colab: add them in the Secrets panel). Or download the archive by hand and "
            f"point {ENV_VAR} at the folder that holds train/ and test/."
        ) from err
    source = _folder_with_splits(downloaded)
    print(describe_download(source))
    if target is None:
        return source
    target = Path(target)
    if not target.exists():
        shutil.copytree(source, target)
    return target


def describe_download(root: Path) -> str:
    """Return what a downloaded FER2013 folder holds, against the numbers Kaggle's download should have."""
    train, test, private = (len(split_files(root, split)) for split in ("train", "test", PRIVATE_TEST))
    expected = (KAGGLE_TRAIN_FILES, KAGGLE_PUBLIC_TEST_FILES, KAGGLE_PRIVATE_TEST_FILES)
    verdict = (
        "as expected"
        if (train, test, private) == expected
        else (
            f"Kaggle's msambare/fer2013 has {KAGGLE_TRAIN_FILES:,}, {KAGGLE_PUBLIC_TEST_FILES:,} and "
            f"{KAGGLE_PRIVATE_TEST_FILES:,}: check the download"
        )
    )
    return (
        f"FER2013 in {root}: train/ {train:,} faces; test/ {test + private:,} faces: {test:,} PublicTest (the test "
        f"split) and {private:,} PrivateTest (the private test split, held back as the final exam); {verdict}."
    )


def _folder_with_splits(root: Path) -> Path:
    """Return ``root`` or the first folder below it that holds both ``train/`` and ``test/``."""
    for folder in (root, *sorted(p for p in root.rglob("*") if p.is_dir())):
        if (folder / "train").is_dir() and (folder / "test").is_dir():
            return folder
    raise FERDataError(f"The download at {root} has no train/ and test/ folders; look inside and set {ENV_VAR}.")
