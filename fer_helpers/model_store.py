"""Find the model a notebook or command should use: the one notebook 04 trained, else the shipped one."""

from __future__ import annotations

import json
from pathlib import Path

from fer_helpers.locate import project_root

SHIPPED_MODEL = Path("models") / "fer_vgg_bn_cpu.keras"
"""The course's shipped model (trained by ``fer-train --profile cpu`` on FER2013), relative to the project root."""
NOTEBOOK_RUN_DIR = Path("runs") / "notebook04"
"""Where notebook 04 saves its run, relative to the project root."""


def shipped_model_path() -> Path:
    """Return the absolute path of the shipped model (it may be absent in a pip-installed package)."""
    return project_root() / SHIPPED_MODEL


def shipped_model_info() -> dict:
    """Return the provenance JSON saved next to the shipped model ({} if absent)."""
    info = shipped_model_path().with_suffix(".json")
    return json.loads(info.read_text()) if info.is_file() else {}


def find_course_model() -> tuple[Path | None, str]:
    """Return ``(path, description)`` of notebook 04's model if present, else the shipped model, else ``(None, why)``."""
    trained = project_root() / NOTEBOOK_RUN_DIR / "model.keras"
    if trained.is_file():
        return trained, f"the model notebook 04 trained ({trained})"
    shipped = shipped_model_path()
    if shipped.is_file():
        return shipped, f"the course's shipped model ({shipped})"
    return None, "no trained model found (run notebook 04 or fer-train first)"
