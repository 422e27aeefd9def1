"""The model a notebook or command uses by default: the one notebook 04 trained, else the course's shipped one.

When neither exists (a fresh clone without ``models/``), :func:`load_course_model` trains a quick ``smoke``
model with notebook 04's code path, and says so, so that notebooks 05-07 still run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fer_helpers.locate import project_root

if TYPE_CHECKING:  # imported lazily below: finding a model file should not start TensorFlow
    import keras

SHIPPED_MODEL = Path("models") / "fer_vgg_bn_cpu.keras"
"""The course's shipped model (trained by ``fer-train --profile cpu`` on FER2013), relative to the project root."""
NOTEBOOK_RUN_DIR = Path("runs") / "notebook04"
"""Where notebook 04 saves its run, relative to the project root."""
SMOKE_FALLBACK_NOTE = "a smoke-profile model trained just now, because no trained model was found"


def shipped_model_path() -> Path:
    """Return the absolute path of the shipped model (it may be absent in a pip-installed package)."""
    return project_root() / SHIPPED_MODEL


def find_course_model() -> tuple[Path | None, str]:
    """Return ``(path, description)``: notebook 04's model if present, else the shipped model, else ``(None, why)``."""
    trained = project_root() / NOTEBOOK_RUN_DIR / "model.keras"
    if trained.is_file():
        return trained, f"the model notebook 04 trained ({trained})"
    shipped = shipped_model_path()
    if shipped.is_file():
        return shipped, f"the course's shipped model ({shipped})"
    return None, "no trained model found (run notebook 04 or fer-train first)"


def train_smoke_model(seed: int = 42) -> tuple[keras.Model, Path]:
    """Train a quick ``smoke`` model into notebook 04's run folder (later notebooks find it); return it and its file."""
    from fer_helpers.dataset import load_data_for_profile
    from fer_helpers.experiment import train_and_evaluate
    from fer_helpers.profiles import get_profile

    out_dir = project_root() / NOTEBOOK_RUN_DIR
    print(f"No trained model found: training a quick smoke-profile model into {out_dir} (see notebook 04).")
    profile = get_profile("smoke")
    result = train_and_evaluate(load_data_for_profile(profile, seed=seed), profile, out_dir, seed=seed, verbose=2)
    return result.run.model, result.model_path


def load_course_model(train_if_missing: bool = True, seed: int = 42) -> tuple[keras.Model, str]:
    """Return ``(model, description)``: :func:`find_course_model`'s model, else a :func:`train_smoke_model` one.

    ``train_if_missing=False`` raises ``ModelFileError`` instead of training.
    """
    from fer_helpers.errors import ModelFileError
    from fer_helpers.model_files import load_trained_model

    path, description = find_course_model()
    if path is not None:
        return load_trained_model(path), description
    if not train_if_missing:
        raise ModelFileError(description)
    model, model_path = train_smoke_model(seed=seed)
    return model, f"{SMOKE_FALLBACK_NOTE} ({model_path})"
