"""The decoded-face cache: used while the data is unchanged, rebuilt on any change, safe against torn files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from fer_helpers.data import decoded_cache, folder_layout
from fer_helpers.data.csv_layout import load_csv_layout
from fer_helpers.data.folder_layout import load_folder_layout
from fer_helpers.errors import FERDataWarning
from tests.conftest import write_face


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(decoded_cache.CACHE_ENV_VAR, str(folder))
    return folder


def no_decoding(monkeypatch):
    """Make any decoding fail, so that only a cache hit can load the data."""

    def refuse(path):
        raise AssertionError(f"decoded {path} although the cache holds it")

    monkeypatch.setattr(folder_layout, "read_face", refuse)


def test_second_load_comes_from_the_cache_and_is_identical(tiny_layout: Path, cache: Path, monkeypatch):
    first = load_folder_layout(tiny_layout)
    assert len(list(cache.glob("*.npz"))) == 2  # one entry per split
    no_decoding(monkeypatch)
    second = load_folder_layout(tiny_layout)
    for split in ("train", "test"):
        np.testing.assert_array_equal(first[split].images, second[split].images)
        np.testing.assert_array_equal(first[split].labels, second[split].labels)
        assert first[split].origins == second[split].origins


@pytest.mark.parametrize("change", ["rewrite", "add", "remove", "rename"])
def test_any_change_to_the_files_rebuilds_the_entry(tiny_layout: Path, cache: Path, change: str, monkeypatch):
    load_folder_layout(tiny_layout)
    happy = tiny_layout / "train" / "happy"
    target = sorted(happy.iterdir())[0]
    if change == "rewrite":  # same name, new pixels, same size: the modification time tells
        stat = target.stat()
        write_face(target, value=200)
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    elif change == "add":
        write_face(happy / "Training_new.jpg", value=99)
    elif change == "remove":
        target.unlink()
    else:
        target.rename(tiny_layout / "train" / "sad" / target.name)
    fresh = load_folder_layout(tiny_layout)
    monkeypatch.setenv(decoded_cache.CACHE_ENV_VAR, "off")
    truth = load_folder_layout(tiny_layout)
    np.testing.assert_array_equal(fresh["train"].images, truth["train"].images)
    np.testing.assert_array_equal(fresh["train"].labels, truth["train"].labels)


def test_a_torn_entry_is_rebuilt(tiny_layout: Path, cache: Path):
    expected = load_folder_layout(tiny_layout)["train"].images
    for entry in cache.glob("*.npz"):
        entry.write_bytes(entry.read_bytes()[:100])  # a crash mid-write, or a full disk
    np.testing.assert_array_equal(load_folder_layout(tiny_layout)["train"].images, expected)
    assert all(entry.stat().st_size > 1000 for entry in cache.glob("*.npz"))


def test_off_writes_nothing(tiny_layout: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv(decoded_cache.CACHE_ENV_VAR, "off")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    load_folder_layout(tiny_layout)
    assert decoded_cache.cache_folder() is None and not (tmp_path / "home").exists()


def test_default_folder_is_outside_the_repository(monkeypatch, tmp_path: Path):
    monkeypatch.delenv(decoded_cache.CACHE_ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert decoded_cache.cache_folder() == tmp_path / "xdg" / "fer-course"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert decoded_cache.cache_folder() == Path.home() / ".cache" / "fer-course"


def test_a_cached_load_warns_like_a_fresh_one(tiny_layout: Path, cache: Path):
    write_face(tiny_layout / "train" / "angry" / "colour.png", mode="RGB")
    for _ in range(2):  # decoded, then from the cache
        with pytest.warns(FERDataWarning, match="colour.png: RGB image converted to grayscale"):
            load_folder_layout(tiny_layout)


def test_csv_is_cached_and_rebuilt_when_it_changes(tmp_path: Path, cache: Path):
    pixels = " ".join(["7"] * 2304)
    path = tmp_path / "fer2013.csv"
    path.write_text(f"emotion,pixels,Usage\n3,{pixels},Training\n6,{pixels},PublicTest\n")
    assert len(load_csv_layout(path)["train"]) == 1
    assert len(list(cache.glob("*.npz"))) == 1
    path.write_text(f"emotion,pixels,Usage\n3,{pixels},Training\n3,{pixels},Training\n6,{pixels},PublicTest\n")
    assert len(load_csv_layout(path)["train"]) == 2
