"""How the course knows a run folder is its own: a marker file, written first, that lists what the run wrote.

``.fer-run.json`` holds the run's id, the settings it was started with, how far it got (``training``, ``trained``,
``finished``) and the names of the files the run wrote (each recorded *before* it is written). The course moves,
replaces or deletes only those files; anything else in the folder is the user's and stays, ``--overwrite``
included. A folder without a marker that holds files named like a run's is refused with their names (they may
be a user's files, or a run written before the course marked its folders).

Starting over sets the earlier run's own files aside in ``.previous-run/`` (the new marker records both runs
first), deletes them once the new run has trained an epoch, and puts them back if it fails before that.

One command per run folder at a time: :func:`run_lock` holds ``.fer-run.lock`` (an ``flock``, which the system
releases when its process ends, ``kill -9`` included, so a dead process's lock is taken over), and the file records
the holder (process id, machine, start, command) for the second command's message. Where ``flock`` is missing (a
network file system) the recorded process id decides. Taking the lock again in the same process nests.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import json
import os
import shutil
import socket
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from fer_helpers import atomic_files
from fer_helpers.errors import RunFolderError, RunLockedError

try:
    import fcntl
except ImportError:  # Windows: the process-id check alone
    fcntl = None

MARKER_FILE = ".fer-run.json"
LOCK_FILE = ".fer-run.lock"
BEST_CHECKPOINT = "best.keras"
BACKUP_DIR = "backup"
HISTORY_FILE = "history.csv"
STATE_FILE = "train_state.json"
MODEL_FILE = "model.keras"
METRICS_FILE = "metrics.json"
FIGURE_FILES = ("confusion_matrix.png", "learning_curves.png")
PREVIOUS_RUN_DIR = ".previous-run"
RUN_FILES = (BEST_CHECKPOINT, BACKUP_DIR, HISTORY_FILE, STATE_FILE, MODEL_FILE, METRICS_FILE, *FIGURE_FILES)
"""Everything a run writes into its folder, besides the marker, its lock and ``.previous-run/``."""
RUN_LIKE = (*RUN_FILES, PREVIOUS_RUN_DIR, "best.staging.keras")
"""Names that look like a run's files: in a folder the course did not mark, they are refused, never touched."""


def read_marker(out_dir: Path) -> dict | None:
    """Return the marker of the run in ``out_dir`` (None if none); an unreadable one raises :class:`RunFolderError`."""
    path = Path(out_dir) / MARKER_FILE
    if not path.is_file():
        return None
    try:
        marker = json.loads(path.read_text())
        if isinstance(marker, dict) and "run_id" in marker:
            return marker
    except (ValueError, UnicodeDecodeError):
        pass
    raise RunFolderError(
        f"{path} is not a run marker the course wrote (unreadable). The course will not guess which files in "
        f"{out_dir} are its own: move the files you want to keep, delete {path}, then rerun; or choose another --out."
    )


def write_marker(out_dir: Path, marker: dict) -> dict:
    """Write ``marker`` to ``out_dir`` atomically and return it."""
    atomic_files.write_text(Path(out_dir) / MARKER_FILE, json.dumps(marker, indent=2))
    return marker


def new_marker(settings: dict | None = None, previous: dict | None = None) -> dict:
    """Return the marker of a new run (a fresh id, nothing written yet)."""
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    marker = {"run_id": uuid.uuid4().hex, "created": now, "state": "training", "settings": settings, "files": []}
    if previous is not None:
        marker["previous"] = previous
        marker["files"] = [PREVIOUS_RUN_DIR]
    return marker


def owned_names(marker: dict | None) -> set[str]:
    """Return the names in the folder that the run (or the run it is replacing) wrote."""
    if not marker:
        return set()
    return set(marker.get("files", [])) | set((marker.get("previous") or {}).get("files", []))


def foreign_run_files(out_dir: Path, marker: dict | None) -> list[str]:
    """Return the run-like names in ``out_dir`` that the marked run did not write (all of them without a marker)."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    owned = owned_names(marker)
    return sorted(name for name in RUN_LIKE if (out_dir / name).exists() and name not in owned)


def check_no_foreign_files(out_dir: Path, marker: dict | None) -> None:
    """Raise :class:`RunFolderError` naming the run-like files in ``out_dir`` the course did not write."""
    foreign = foreign_run_files(out_dir, marker)
    if foreign:
        whose = "the run recorded in its " + MARKER_FILE if marker else "a run the course marked"
        raise RunFolderError(
            f"{out_dir} holds {', '.join(foreign)}, named like a run's files but not written by {whose}. The course "
            "never moves or deletes files it did not write (--overwrite neither): move them elsewhere, or choose "
            "another --out (a new or empty folder)."
        )


def claim(out_dir: Path, *names: str) -> None:
    """Record ``names`` in the marker of ``out_dir`` as written by its run, before they are written."""
    marker = read_marker(out_dir)
    if marker is None:
        raise RunFolderError(f"{out_dir} has no {MARKER_FILE}: the course writes only into run folders it marked.")
    new = [name for name in names if name not in marker["files"]]
    if new:
        write_marker(out_dir, {**marker, "files": [*marker["files"], *new]})


def has_backup(out_dir: Path) -> bool:
    """Return True if ``out_dir`` holds a non-empty ``backup/`` (an interrupted run)."""
    backup = Path(out_dir) / BACKUP_DIR
    return backup.is_dir() and any(backup.iterdir())


def begin_run(out_dir: Path, settings: dict, resume: bool) -> bool:
    """Mark ``out_dir`` for the run about to train; return True if an earlier run's files were set aside.

    Resuming keeps the marker (and forgets a recorded error); otherwise an earlier run's own files move to
    ``.previous-run/`` and a new marker (new run id) is written first.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    marker = read_marker(out_dir)
    if resume and marker is not None:
        marker.pop("last_error", None)
        write_marker(out_dir, {**marker, "settings": marker.get("settings") or settings})
        return False
    present = [name for name in (marker or {}).get("files", []) if (out_dir / name).exists()]
    if not present:
        write_marker(out_dir, new_marker(settings))
        return False
    write_marker(out_dir, new_marker(settings, previous=marker))  # first: the old files stay recorded
    aside = out_dir / PREVIOUS_RUN_DIR
    aside.mkdir(exist_ok=True)
    for name in present:
        (out_dir / name).rename(aside / name)
    return True


def restore_previous_run(out_dir: Path) -> bool:
    """Put a set-aside earlier run back (removing the new run's own files); return True if there was one."""
    out_dir = Path(out_dir)
    marker = read_marker(out_dir)
    previous = (marker or {}).get("previous")
    if previous is None:
        return False
    aside = out_dir / PREVIOUS_RUN_DIR
    for name in marker.get("files", []):
        if name != PREVIOUS_RUN_DIR:
            _remove(out_dir / name)
    for name in previous.get("files", []):
        if (aside / name).exists():
            _remove(out_dir / name)
            (aside / name).rename(out_dir / name)
    _remove_empty(aside)
    write_marker(out_dir, previous)
    return True


def discard_previous_run(out_dir: Path) -> None:
    """Delete a set-aside earlier run's own files: the new run has proved it can train."""
    out_dir = Path(out_dir)
    marker = read_marker(out_dir)
    if not marker or "previous" not in marker:
        return
    previous = marker.pop("previous")
    aside = out_dir / PREVIOUS_RUN_DIR
    for name in previous.get("files", []):
        _remove(aside / name)
    _remove_empty(aside)
    marker["files"] = [name for name in marker.get("files", []) if name != PREVIOUS_RUN_DIR]
    write_marker(out_dir, marker)


def recover_previous_run(out_dir: Path) -> None:
    """Put back an earlier run that a killed new run had set aside before finishing its first epoch."""
    marker = read_marker(out_dir) if Path(out_dir).is_dir() else None
    if marker and "previous" in marker:
        if has_backup(out_dir) or marker.get("state") in (
            "trained",
            "finished",
        ):  # the new run got past its first epoch
            discard_previous_run(out_dir)
        elif restore_previous_run(out_dir):
            print(
                f"Put back the earlier run in {out_dir}: the run that was to replace it stopped before its first epoch."
            )


def record_error(out_dir: Path, err: OSError) -> None:
    """Note in the marker that the run stopped on ``err`` while writing (best effort: the disk may be full)."""
    try:
        marker = read_marker(out_dir)
        if marker is not None:
            reason = err.strerror or str(err)
            write_marker(
                out_dir, {**marker, "last_error": {"errno": err.errno, "reason": reason, "file": str(err.filename)}}
            )
    except (OSError, RunFolderError):
        pass


def last_error_note(out_dir: Path) -> str | None:
    """Return a sentence about the error that stopped the last command on this run, if one was recorded."""
    marker = read_marker(out_dir) if Path(out_dir).is_dir() else None
    if marker is None:
        return None
    error = marker.get("last_error")
    if not error:  # not recorded (the disk was too full for that too?): say what the disk holds
        note = disk_note(out_dir)
        return f"Note: the run in {out_dir} did not finish{note}." if note else None
    cause = " (the disk was full)" if error.get("errno") == errno.ENOSPC else ""
    return f"The last command on {out_dir} stopped while writing {error.get('file')}: {error.get('reason')}{cause}."


def disk_note(folder: Path, low_bytes: int = 200 * 2**20) -> str:
    """Return "; the disk holding it has only N MB free" when ``folder``'s disk is nearly full, else ""."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return ""
    return (
        f"; the disk holding it has only {free / 2**20:.0f} MB free: a full disk is the likely cause"
        if free < low_bytes
        else ""
    )


def _remove(path: Path) -> None:
    """Delete a file or folder the run wrote, if it exists."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _remove_empty(folder: Path) -> None:
    """Remove ``folder`` if it is empty; anything left in it is not the run's and stays."""
    try:
        folder.rmdir()
    except OSError:
        pass


_held: dict[Path, list] = {}  # folder -> [open file, nesting depth]


def _holder() -> dict:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])[:200] if sys.argv and sys.argv[0] else "python",
    }


def describe_holder(path: Path) -> str:
    """Return who holds the lock file at ``path``, as recorded in it."""
    try:
        info = json.loads(Path(path).read_text())
        return f"process {info['pid']} on {info['host']}, since {info['started']}: {info['command']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


def _pid_alive(info: dict) -> bool:
    if info.get("host") != socket.gethostname():
        return True  # another machine's process cannot be checked: assume it runs
    try:
        os.kill(int(info["pid"]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, ValueError, KeyError, TypeError):
        return True
    return True


def _acquire(folder: Path):
    """Return the open, locked lock file of ``folder``; raise :class:`RunLockedError` if a live process holds it."""
    path = folder / LOCK_FILE
    while True:
        handle = open(path, "a+")  # noqa: SIM115  (kept open while the lock is held)
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise RunLockedError(
                        f"{folder} is in use by {describe_holder(path)}. One command per run folder at a time: wait "
                        "for that one to finish (or stop it), then rerun; or choose another --out."
                    ) from None
                except OSError:  # no flock here (a network file system): the recorded process decides
                    _check_recorded_holder(path, folder)
            else:
                _check_recorded_holder(path, folder)
            try:  # the file we locked is still the one at the path (a releasing holder may have removed it)
                if os.stat(path).st_ino != os.fstat(handle.fileno()).st_ino:
                    handle.close()
                    continue
            except FileNotFoundError:
                handle.close()
                continue
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(_holder()))
            handle.flush()
            return handle
        except BaseException:
            handle.close()
            raise


def _check_recorded_holder(path: Path, folder: Path) -> None:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if info and int(info.get("pid", -1)) != os.getpid() and _pid_alive(info):
        raise RunLockedError(
            f"{folder} is in use by {describe_holder(path)}. Wait for it to finish, or delete {path} if that process "
            "is gone."
        )


@contextlib.contextmanager
def run_lock(folder: str | Path) -> Iterator[bool]:
    """Hold the lock of the run folder ``folder`` (created if missing) inside the block; yield True if held.

    Raises :class:`RunLockedError` naming the holder when another live process holds it. In a folder nobody can
    write (a finished run on a read-only disk) there is nothing to protect: the block runs without the lock and
    gets False.
    """
    folder = Path(folder).expanduser().absolute()
    if folder in _held:
        _held[folder][1] += 1
        try:
            yield True
        finally:
            _held[folder][1] -= 1
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = _acquire(folder)
    except PermissionError:
        if folder.is_dir():
            yield False
            return
        raise
    except OSError as err:
        if err.errno == 30 and folder.is_dir():  # EROFS: a read-only disk
            yield False
            return
        raise
    _held[folder] = [handle, 1]
    try:
        yield True
    finally:
        del _held[folder]
        with contextlib.suppress(OSError):
            (folder / LOCK_FILE).unlink()  # before the unlock: a waiting process then locks a new file
        handle.close()
