"""The test metrics recorded next to the course's trained models, and a table that compares runs side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from fer_helpers.models.shipped import SHIPPED_MODEL, shipped_file

if TYPE_CHECKING:
    import pandas as pd

RECORDED_METRICS: dict[str, Path] = {
    "baseline (seed CNN)": Path("models") / "fer_baseline_cpu.json",
    "vgg_bn (improved)": SHIPPED_MODEL.with_suffix(".json"),
}
"""The test metrics ``fer-train --profile cpu`` recorded for the seed's baseline and for the shipped model."""


def load_recorded_metrics() -> tuple[dict[str, dict], list[Path]]:
    """Return ``(found, missing)``: the :data:`RECORDED_METRICS` JSONs present (by name) and the paths absent.

    They are shipped like the model (:func:`~fer_helpers.models.shipped.shipped_file`): in the checkout, else with
    the installed package.
    """
    found, missing = {}, []
    for name, relative in RECORDED_METRICS.items():
        path = shipped_file(relative.name)
        if path is not None:
            found[name] = json.loads(path.read_text())
        else:
            missing.append(relative)
    return found, missing


def metrics_table(metrics_by_name: dict[str, dict]) -> pd.DataFrame:
    """Return a pandas DataFrame with one column per run: accuracy (plain and flip TTA), loss, macro F1,
    recall per class, parameters, epochs and training minutes (NaN where a run did not record the number).

    Takes ``fer-train``'s metrics JSON or :func:`~fer_helpers.evaluation.metrics.evaluate_model`'s result.
    """
    import pandas as pd

    from fer_helpers.data.classes import CLASS_NAMES

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
