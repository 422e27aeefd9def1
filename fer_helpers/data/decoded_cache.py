"""Keep decoded faces on disk, so that FER2013's 32,000 JPEGs (or its CSV) are decoded once, not in every notebook.

Each entry is one ``.npz`` file (uint8 faces, labels, origins, and the warnings decoding raised) under
:func:`cache_folder`, by default ``~/.cache/fer-course`` (outside the repository, so it is never committed).
An entry is used only while its *fingerprint* still matches: the data's file names, labels, and each file's size,
modification time, inode and status-change time (``ctime``), and :data:`CACHE_FORMAT`. Any change to the data
rebuilds it. One ``stat`` per file keeps this cheap (a content hash would read 32,000 files on every load), and the
``ctime`` makes it sound: the system sets it on every write and no tool can set it back, so a file rewritten with
its old size and modification time restored (``cp -p``, ``rsync -t``, ``touch -d``, an editor that keeps times)
still rebuilds the entry; a file replaced by another gets a new inode. Copying the data elsewhere costs one decode.
Entries are written atomically, and an unreadable entry is rebuilt, so a crash mid-write costs one decode, never
wrong faces. ``FER_CACHE_DIR`` moves the cache; ``FER_CACHE_DIR=off`` turns it off.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from fer_helpers import atomic_files
from fer_helpers.data.imageset import ImageSet
from fer_helpers.errors import FERDataWarning

CACHE_ENV_VAR = "FER_CACHE_DIR"
OFF_VALUES = ("off", "0", "no", "false", "none")
CACHE_FORMAT = 1
"""Bump when decoding changes what a file's faces look like: every older entry is then rebuilt."""


def cache_folder() -> Path | None:
    """Return the cache folder: ``$FER_CACHE_DIR``, else ``$XDG_CACHE_HOME/fer-course`` or ``~/.cache/fer-course``.

    Returns None when ``FER_CACHE_DIR`` is ``off`` (or ``0``, ``no``, ``false``, ``none``).
    """
    chosen = os.environ.get(CACHE_ENV_VAR, "").strip()
    if chosen.lower() in OFF_VALUES:
        return None
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fer-course"


def fingerprint(files: Iterable[tuple[str | Path, int]], *details: object) -> str:
    """Return a digest of ``(path, label)`` pairs with each file's size, modification time, inode and status-change
    time, plus ``details``."""
    digest = hashlib.sha256(repr((CACHE_FORMAT, details)).encode())
    for path, label in files:
        stat = os.stat(path)
        digest.update(
            f"{path}\0{label}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ino}\0{stat.st_ctime_ns}\n".encode()
        )
    return digest.hexdigest()


def cached_image_sets(name: str, signature: str, build: Callable[[], dict[str, ImageSet]]) -> dict[str, ImageSet]:
    """Return ``build()``'s image sets, from the cache entry ``name`` when its fingerprint is ``signature``.

    ``build`` runs when the entry is missing, stale or unreadable, and its result is stored. The
    :class:`FERDataWarning` s it raised are stored too and raised again on every later load, so a cached
    load says exactly what a fresh one says.
    """
    folder = cache_folder()
    entry = folder / f"{hashlib.sha256(name.encode()).hexdigest()[:32]}.npz" if folder else None
    stored = _read_entry(entry, signature) if entry else None
    if stored is not None:
        sets, messages = stored
        for message in messages:
            warnings.warn(message, FERDataWarning, stacklevel=3)
        return sets
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FERDataWarning)
        sets = build()
    messages = [str(w.message) for w in caught if issubclass(w.category, FERDataWarning)]
    for other in (w for w in caught if not issubclass(w.category, FERDataWarning)):
        warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
    for message in messages:
        warnings.warn(message, FERDataWarning, stacklevel=3)
    if entry is not None:
        _write_entry(entry, signature, name, sets, messages)
    return sets


def _read_entry(entry: Path, signature: str) -> tuple[dict[str, ImageSet], list[str]] | None:
    """Return the image sets and warnings stored in ``entry``, or None if it is absent, stale or unreadable."""
    if not entry.is_file():
        return None
    try:
        with np.load(entry, allow_pickle=False) as stored:
            if str(stored["fingerprint"]) != signature:
                return None
            splits = [str(s) for s in stored["splits"]]
            sets = {
                split: ImageSet(
                    stored[f"{split}.images"], stored[f"{split}.labels"], stored[f"{split}.origins"].tolist()
                )
                for split in splits
            }
            return sets, [str(m) for m in stored["warnings"]]
    except Exception:  # a torn or foreign file: decode again and overwrite it
        return None


def _write_entry(entry: Path, signature: str, name: str, sets: dict[str, ImageSet], messages: list[str]) -> None:
    """Store ``sets`` in ``entry`` atomically; a cache that cannot be written (full disk, read-only) is skipped."""
    arrays: dict[str, np.ndarray] = {
        "fingerprint": np.array(signature),
        "name": np.array(name),
        "splits": np.array(list(sets), dtype=str),
        "warnings": np.array(messages, dtype=str),
    }
    for split, faces in sets.items():
        arrays[f"{split}.images"] = faces.images
        arrays[f"{split}.labels"] = faces.labels
        arrays[f"{split}.origins"] = np.array(faces.origins, dtype=str)
    try:
        with atomic_files.replacing(entry) as temporary:
            np.savez(temporary, **arrays)
    except OSError:
        pass
