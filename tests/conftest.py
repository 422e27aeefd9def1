"""Shared fixtures: tiny data sets generated in temporary folders."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import fer_helpers.quiet  # noqa: F401  (before TensorFlow: keeps its start-up log out of the test output)
from fer_helpers.data.classes import CLASS_NAMES
from fer_helpers.data.synthetic import generate_synthetic_fer


def write_face(path: Path, value: int = 128, size: int = 48, mode: str = "L") -> Path:
    """Write a small image file with a gradient so that faces differ; return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = (np.add.outer(np.arange(size), np.arange(size)) + value) % 256
    image = Image.fromarray(pixels.astype(np.uint8), "L")
    if mode != "L":
        image = image.convert(mode)
    image.save(path)
    return path


CACHE_ENV_VAR = "FER_CACHE_DIR"
"""fer_helpers.data.decoded_cache.CACHE_ENV_VAR (named here so that the tests also run against older code)."""


@pytest.fixture(scope="session", autouse=True)
def private_decoded_cache(tmp_path_factory: pytest.TempPathFactory):
    """Give the test session its own decoded-face cache (removed with the session's temporary files)."""
    previous = os.environ.get(CACHE_ENV_VAR)
    os.environ[CACHE_ENV_VAR] = str(tmp_path_factory.mktemp("decoded_cache"))
    yield
    if previous is None:
        os.environ.pop(CACHE_ENV_VAR, None)
    else:
        os.environ[CACHE_ENV_VAR] = previous


@pytest.fixture
def tiny_layout(tmp_path: Path) -> Path:
    """Return a Kaggle-layout folder with 3 train and 1 test face per class."""
    root = tmp_path / "fer"
    for label, name in enumerate(CLASS_NAMES):
        for i in range(3):
            write_face(root / "train" / name / f"Training_{label}{i}.jpg", value=label * 30 + i)
        write_face(root / "test" / name / f"PublicTest_{label}.png", value=label * 30 + 7)
    return root


@pytest.fixture
def kaggle_layout(tmp_path: Path) -> Path:
    """Return a folder laid out like Kaggle's msambare/fer2013 download, with its real file names.

    train/ holds ``Training_*`` files (2 per class); test/ mixes ``PublicTest_*`` (2 per class) and
    ``PrivateTest_*`` (1 per class) files, as Kaggle's test/ folder does.
    """
    root = tmp_path / "msambare_fer2013"
    for label, name in enumerate(CLASS_NAMES):
        for i in range(2):
            write_face(root / "train" / name / f"Training_{10000 * label + i:08d}.jpg", value=label * 30 + i)
            write_face(root / "test" / name / f"PublicTest_{20000 * label + i:08d}.jpg", value=label * 30 + 10 + i)
        write_face(root / "test" / name / f"PrivateTest_{30000 * label:08d}.jpg", value=label * 30 + 20)
    return root


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return a temporary project root (cwd) with no FER2013, so the automatic source is the generated sample, and
    no shipped models (the installed package's are hidden)."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'scratch'\n")
    (tmp_path / "fer_helpers").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FER2013_DIR", raising=False)
    monkeypatch.setattr("fer_helpers.models.shipped.installed_model_folders", lambda: [])
    return tmp_path


@pytest.fixture(scope="session")
def small_synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a generated sample with 20 train and 6 test faces per class (shared by the session)."""
    return generate_synthetic_fer(tmp_path_factory.mktemp("synthetic"), train_per_class=20, test_per_class=6, seed=3)
