"""Find the model a notebook or command should use: the one notebook 04 trained, else the shipped one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from fer_helpers.locate import project_root

if TYPE_CHECKING:  # imported lazily below: finding a model file should not start TensorFlow
    import keras
    import pandas as pd

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
    """Return ``(path, description)``: notebook 04's model if present, else the shipped model, else ``(None, why)``."""
    trained = project_root() / NOTEBOOK_RUN_DIR / "model.keras"
    if trained.is_file():
        return trained, f"the model notebook 04 trained ({trained})"
    shipped = shipped_model_path()
    if shipped.is_file():
        return shipped, f"the course's shipped model ({shipped})"
    return None, "no trained model found (run notebook 04 or fer-train first)"


SMOKE_FALLBACK_NOTE = "a smoke-profile model trained just now, because no trained model was found"

RECORDED_METRICS: dict[str, Path] = {
    "baseline (seed CNN)": Path("models") / "fer_baseline_cpu.json",
    "vgg_bn (improved)": SHIPPED_MODEL.with_suffix(".json"),
}
"""The test metrics ``fer-train --profile cpu`` recorded for the seed's baseline and for the shipped model."""

DRIVE_MOUNT = Path("/content/drive")
DRIVE_FOLDER = DRIVE_MOUNT / "MyDrive" / "fer-course"
"""Where :func:`keep_runs_on_drive` keeps notebook 04's run in Google Drive."""


def load_course_model(train_if_missing: bool = True, seed: int = 42) -> tuple[keras.Model, str]:
    """Return ``(model, description)``: :func:`find_course_model`'s model, else a smoke-profile model trained now.

    The quick model (a few seconds, ``smoke`` profile, the code path of notebook 04) is saved where notebook 04
    saves its run, so later notebooks find it; ``train_if_missing=False`` raises ``ModelFileError`` instead.
    """
    from fer_helpers.errors import ModelFileError
    from fer_helpers.evaluation import load_trained_model

    path, description = find_course_model()
    if path is not None:
        return load_trained_model(path), description
    if not train_if_missing:
        raise ModelFileError(description)
    from fer_helpers.experiment import load_data_for_profile, train_and_evaluate
    from fer_helpers.profiles import get_profile

    out_dir = project_root() / NOTEBOOK_RUN_DIR
    print(f"No trained model found: training a quick smoke-profile model into {out_dir} (see notebook 04).")
    profile = get_profile("smoke")
    result = train_and_evaluate(load_data_for_profile(profile, seed=seed), profile, out_dir, seed=seed, verbose=2)
    return result.run.model, f"{SMOKE_FALLBACK_NOTE} ({result.model_path})"


def load_recorded_metrics() -> tuple[dict[str, dict], list[Path]]:
    """Return ``(found, missing)``: the :data:`RECORDED_METRICS` JSONs present (by name) and the paths absent."""
    found, missing = {}, []
    for name, relative in RECORDED_METRICS.items():
        path = project_root() / relative
        if path.is_file():
            found[name] = json.loads(path.read_text())
        else:
            missing.append(path)
    return found, missing


def metrics_table(metrics_by_name: dict[str, dict]) -> pd.DataFrame:
    """Return a pandas DataFrame with one column per run: accuracy (plain and flip TTA), loss, macro F1,
    recall per class, parameters, epochs and training minutes (NaN where a run did not record the number).

    Takes ``fer-train``'s metrics JSON or :func:`~fer_helpers.evaluation.evaluate_model`'s result.
    """
    import pandas as pd

    from fer_helpers.classes import CLASS_NAMES

    nan = float("nan")
    columns = {}
    for name, metrics in metrics_by_name.items():
        test = metrics.get("test", metrics)
        training = metrics.get("training", {})
        seconds = training.get("training_seconds")
        column = {
            "test accuracy": metrics.get("accuracy", nan),
            "with flip TTA": metrics.get("accuracy_tta", nan),
            "test loss": metrics.get("loss", nan),
            "macro F1": test.get("macro_f1", nan),
        }
        for class_name in CLASS_NAMES:
            column[f"recall {class_name}"] = test.get("per_class", {}).get(class_name, {}).get("recall", nan)
        column["parameters"] = metrics.get("parameters", nan)
        column["epochs"] = training.get("epochs_run", nan)
        column["training minutes"] = seconds / 60 if seconds is not None else nan
        columns[name] = column
    return pd.DataFrame(columns)


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
    from fer_helpers.notebook_setup import in_colab

    if not in_colab():
        raise RuntimeError("keep_runs_on_drive() works only in Google Colab; elsewhere runs/ stays on your disk.")
    from google.colab import drive  # available in Colab only

    drive.mount(str(DRIVE_MOUNT))
    return link_run_dir(Path(folder) / NOTEBOOK_RUN_DIR)
