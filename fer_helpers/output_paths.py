"""Check, before any work, that an output folder or file can be written: fail in a second, not after an hour."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fer_helpers.errors import FERDataError


class OutputPathError(FERDataError):
    """An output path that cannot be written: a file where a folder is wanted, a folder, a read-only place."""


def check_writable_folder(path: str | Path, option: str = "--out") -> Path:
    """Return ``path`` if it is (or can become) a writable folder; else raise :class:`OutputPathError` naming it.

    Nothing is created: a missing folder is checked through the nearest folder above it that exists.
    """
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{option} {path} is a file, not a folder; give a folder (it is created if missing).")
    _check_can_write_in(_nearest_existing_folder(path, option), option, path)
    return path


def check_writable_file(path: str | Path, option: str) -> Path:
    """Return ``path`` if a file can be written there; else raise :class:`OutputPathError` naming it."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise OutputPathError(f"{option} {path} is a folder; give a file name, for example {path / 'metrics.json'}.")
    _check_can_write_in(_nearest_existing_folder(path.parent, option), option, path)
    return path


def _nearest_existing_folder(path: Path, option: str) -> Path:
    """Return ``path`` or the nearest folder above it that exists; raise if that is a file."""
    for folder in (path, *path.absolute().parents):
        if folder.exists():
            if not folder.is_dir():
                raise OutputPathError(
                    f"Cannot create {option} {path}: {folder} is a file, not a folder. Choose another path."
                )
            return folder
    return Path.cwd()


def _check_can_write_in(folder: Path, option: str, wanted: Path) -> None:
    """Raise :class:`OutputPathError` if no file can be created in ``folder`` (read-only, no permission, full)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise OutputPathError(
            f"Cannot write {option} {wanted}: {folder} is not writable ({err.strerror or err}). "
            "Choose a folder you can write to, or fix its permissions."
        ) from err
