"""The model a notebook or command uses by default: the one notebook 04 trained, else the course's shipped one.

The course ships the ``cpu`` recipe's model, and may ship a ``gpu`` recipe's model beside it
(``models/fer_*_gpu.keras``); the default is the one with the higher validation accuracy recorded in its JSON
(:func:`best_shipped_model`). The shipped models live in ``models/`` of the repository, and pip installs them with
the package (package data in ``fer_helpers/shipped_models/``), so a ``pip install`` of the course without a
checkout, as in Colab, brings them too. When no model exists at all, :func:`load_course_model` trains a quick
``smoke`` model with notebook 04's code path, and says so, so that notebooks 05-07 still run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from fer_helpers.data.locate import project_root

if TYPE_CHECKING:  # imported lazily below: finding a model file should not start TensorFlow
    pass

SHIPPED_MODEL = Path("models") / "fer_vgg_bn_cpu.keras"
"""The course's shipped cpu model (trained by ``fer-train --profile cpu`` on FER2013), relative to the project root."""
GPU_MODEL_PATTERN = "fer_*_gpu.keras"
"""Shipped models of the gpu recipe, in ``models/`` (named after their architecture, e.g. ``fer_vgg_bn_gpu.keras``)."""
INSTALLED_MODELS = "shipped_models"
"""The folder of the installed ``fer_helpers`` package that holds ``models/`` (``package-dir`` in pyproject.toml)."""
NOTEBOOK_RUN_DIR = Path("runs") / "notebook04"
"""Where notebook 04 saves the run it writes by hand (compile and fit in cells), relative to the project root. The
package never trains into it: that folder is the learner's, not a run folder the course owns."""
SMOKE_RUN_DIR = Path("runs") / "smoke_fallback"
"""The course-owned run folder of the quick smoke model trained when no model exists at all."""
SMOKE_FALLBACK_NOTE = "a smoke-profile model trained just now, because no trained model was found"


def recorded_validation(model_path: Path) -> tuple[float, tuple] | None:
    """Return ``(validation accuracy, split)`` from the JSON beside a shipped model, or None if it records none.

    ``split`` (data source, number of validation faces, seed) tells whether two models were validated on the
    same faces, without which their accuracies cannot be compared.
    """
    meta_path = model_path.with_suffix(".json")
    if not meta_path.is_file():
        return None
    meta = json.loads(meta_path.read_text())
    accuracy = meta.get("validation_accuracy")
    if accuracy is None:
        return None
    data, training = meta.get("data", {}), meta.get("training", {})
    return float(accuracy), (data.get("source"), data.get("val_images"), training.get("seed"))


def best_shipped_model(models_dir: Path) -> Path:
    """Return the model in ``models_dir`` to use by default: the cpu model, unless a gpu model's JSON records a
    strictly higher validation accuracy on the same validation split (then the best such gpu model).

    Without the cpu model, the first gpu model stands in for it; with neither, the cpu model's path is returned
    all the same (absent in a pip-installed package).
    """
    best = models_dir / SHIPPED_MODEL.name
    best_record = recorded_validation(best) if best.is_file() else None
    for candidate in sorted(models_dir.glob(GPU_MODEL_PATTERN)):
        record = recorded_validation(candidate)
        if not best.is_file() or _beats(record, best_record):
            best, best_record = candidate, record
    return best


def _beats(record: tuple[float, tuple] | None, incumbent: tuple[float, tuple] | None) -> bool:
    """Return True if ``record`` has a strictly higher validation accuracy than ``incumbent`` on the same split."""
    return record is not None and incumbent is not None and record[1] == incumbent[1] and record[0] > incumbent[0]


def installed_model_folders() -> list[Path]:
    """Return where the installed package keeps the shipped models: its package data, else (an editable install)
    the ``models/`` folder of the checkout it was installed from."""
    package = Path(__file__).resolve().parents[1]  # the fer_helpers folder
    return [package / INSTALLED_MODELS, package.parent / SHIPPED_MODEL.parent]


def shipped_models_folder() -> Path:
    """Return the folder of the shipped models: the checkout's ``models/`` if it holds one, else the installed
    package's (:func:`installed_model_folders`); the checkout's when there is none anywhere."""
    checkout = project_root() / SHIPPED_MODEL.parent
    for folder in [checkout, *installed_model_folders()]:
        if (folder / SHIPPED_MODEL.name).is_file() or any(folder.glob(GPU_MODEL_PATTERN)):
            return folder
    return checkout


def shipped_file(name: str) -> Path | None:
    """Return the file ``name`` of :func:`shipped_models_folder` (a model or its JSON), None if it is not there."""
    path = shipped_models_folder() / name
    return path if path.is_file() else None


def shipped_model_path() -> Path:
    """Return the absolute path of the default shipped model (:func:`best_shipped_model` in
    :func:`shipped_models_folder`); it may not exist."""
    return best_shipped_model(shipped_models_folder())


def find_course_model() -> tuple[Path | None, str]:
    """Return ``(path, description)``: notebook 04's model if present, else the shipped model, else a smoke model
    trained earlier because there was none, else ``(None, why)``."""
    trained = project_root() / NOTEBOOK_RUN_DIR / "model.keras"
    if trained.is_file():
        return trained, f"the model notebook 04 trained ({trained})"
    shipped = shipped_model_path()
    if shipped.is_file():
        return shipped, f"the course's shipped model ({shipped})"
    smoke = project_root() / SMOKE_RUN_DIR / "model.keras"
    if smoke.is_file():
        return smoke, f"a smoke-profile model trained earlier, because no trained model was found ({smoke})"
    return None, "no trained model found (run notebook 04 or fer-train first)"
