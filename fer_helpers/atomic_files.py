"""Write files so that a crash (power cut, ``kill -9``, a full disk) leaves the old file or the new one, never half.

The new content goes to a temporary file in the same folder, is flushed to disk, and then replaces the target with
``os.replace``, which is atomic on POSIX and Windows file systems.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

_UMASK = os.umask(0)
os.umask(_UMASK)  # read once: the permissions a plain open() would give a new file


@contextlib.contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix); when the block ends without error, it replaces ``path``.

    For writers that need a file name (``model.save``, ``np.savez``). On an error the temporary file is removed
    and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".partial{path.suffix}")
    os.close(handle)
    temporary = Path(name)
    # mkstemp makes the file private (0600): give it the permissions the file had, or a new file would get
    os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_UMASK)
    try:
        yield temporary
        _flush_to_disk(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    path = Path(path)
    with replacing(path) as temporary:
        temporary.write_bytes(data)
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    return write_bytes(path, text.encode("utf-8"))


def _flush_to_disk(path: Path) -> None:
    """Make sure the bytes of ``path`` are on disk before it is renamed over the old file."""
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())
