"""Keep notebook 04's run folder on Google Drive in Colab, so that a disconnect loses no checkpoint."""

from __future__ import annotations

import shutil
from pathlib import Path

from fer_helpers.data.locate import project_root
from fer_helpers.models.shipped import NOTEBOOK_RUN_DIR
from fer_helpers.provenance import in_colab

DRIVE_MOUNT = Path("/content/drive")
DRIVE_FOLDER = DRIVE_MOUNT / "MyDrive" / "fer-course"
"""Where :func:`keep_runs_on_drive` keeps notebook 04's run in Google Drive."""


def link_run_dir(target: str | Path, local: str | Path | None = None) -> Path:
    """Make ``local`` (default: notebook 04's ``runs/notebook04``) a symbolic link to the folder ``target``; return it.

    Files already in a real ``local`` folder are copied to ``target`` first. Everything written through the link
    lands in ``target``, so pointing it at Google Drive keeps checkpoints safe when Colab disconnects.
    """
    local = Path(local) if local is not None else project_root() / NOTEBOOK_RUN_DIR
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    if local.is_symlink():
        local.unlink()
    elif local.is_dir():
        shutil.copytree(local, target, dirs_exist_ok=True)
        shutil.rmtree(local)
    local.parent.mkdir(parents=True, exist_ok=True)
    local.symlink_to(target.resolve(), target_is_directory=True)
    return local


def keep_runs_on_drive(folder: str | Path = DRIVE_FOLDER) -> Path:
    """In Colab: mount Google Drive and keep notebook 04's run folder in ``folder`` on it (see :func:`link_run_dir`)."""

    if not in_colab():
        raise RuntimeError("keep_runs_on_drive() works only in Google Colab; elsewhere runs/ stays on your disk.")
    from google.colab import drive  # available in Colab only

    drive.mount(str(DRIVE_MOUNT))
    return link_run_dir(Path(folder) / NOTEBOOK_RUN_DIR)
