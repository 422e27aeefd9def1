"""Train, evaluate and record in one call: what ``fer-train``, ``make run`` and notebook 04 run."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from fer_helpers import atomic_files
from fer_helpers.data.dataset import FERData
from fer_helpers.evaluation.metrics import choose_tta, evaluate_model, format_report
from fer_helpers.plots import plot_confusion_matrix, plot_learning_curves, save_figure
from fer_helpers.profiles import Profile
from fer_helpers.provenance import provenance, write_json
from fer_helpers.training import run_folder
from fer_helpers.training.fit import TrainingRun, fit_run, load_trained_run
from fer_helpers.training.run_folder import (
    FIGURE_FILES,
    LOAD,
    METRICS_FILE,
    MODEL_FILE,
    RunSpec,
    fer_data_settings,
    resume_or_load,
)
from fer_helpers.training.run_marker import run_lock


@dataclass
class ExperimentResult:
    """A trained model with its test metrics and the paths of everything written."""

    run: TrainingRun
    metrics: dict
    model_path: Path
    metrics_path: Path


def ten_crop_metrics(model, data: FERData) -> dict:
    """Return test metrics with ten-crop TTA and, given validation faces, their accuracy with each TTA mode and the
    mode chosen on them (``evaluation.choose_tta``): the choice uses validation faces only."""
    test = evaluate_model(model, data.test, tta="ten-crop")
    result = {"accuracy_ten_crop": test["accuracy"], "test_ten_crop": test}
    if len(data.val):
        chosen, scored = choose_tta(model, data.val)
        result["validation_tta"] = {"chosen": chosen, **{mode: m["accuracy"] for mode, m in scored.items()}}
    return result


def train_and_evaluate(
    data: FERData,
    profile: Profile,
    out_dir: str | Path,
    model_name: str | None = None,
    epochs: int | None = None,
    class_weights: bool = False,
    seed: int = 42,
    verbose: int | str = "auto",
    augment: str = "full",
    extra_callbacks: list | None = None,
    overwrite: bool = False,
) -> ExperimentResult:
    """Train on ``data.train`` (choosing the checkpoint on ``data.val``, if any), evaluate on ``data.test``, write all.

    Writes ``model.keras``, ``history.csv``, ``metrics.json`` (test metrics with and without flip TTA,
    plus provenance), ``confusion_matrix.png`` and ``learning_curves.png`` under ``out_dir``.
    Called again on ``out_dir`` it resumes an interrupted run, and loads a finished one (same settings) instead
    of training it again; see :func:`fer_helpers.training.fit.train_model` for other settings and ``overwrite``.
    """
    spec = RunSpec(profile, model_name, epochs, class_weights, augment, seed)
    return run_experiment(data, spec, out_dir, verbose=verbose, extra_callbacks=extra_callbacks, overwrite=overwrite)


def run_experiment(
    data: FERData,
    spec: RunSpec,
    out_dir: str | Path,
    *,
    verbose: int | str = "auto",
    extra_callbacks: list | None = None,
    overwrite: bool = False,
) -> ExperimentResult:
    """:func:`train_and_evaluate` for a :class:`RunSpec` (what ``fer-train`` calls), holding the folder's lock."""
    out_dir = Path(out_dir).expanduser()
    started = time.perf_counter()
    with run_lock(out_dir):
        if resume_or_load(out_dir, spec.settings(fer_data_settings(data)), overwrite=overwrite) == LOAD:
            print(f"{out_dir} holds a finished run with these settings: loaded it instead of training again.")
            result = load_finished_experiment(out_dir)
            print(format_report(result.metrics["test"]), flush=True)
            return result
        origin = provenance()  # taken before training, so it names the code that trained the model
        run = fit_run(data, spec, out_dir, verbose=verbose, extra_callbacks=extra_callbacks, overwrite=overwrite)
        try:
            return _evaluate_and_record(data, spec, run, out_dir, started, origin)
        except OSError as err:
            run_folder.record_error(out_dir, err)
            raise


def _evaluate_and_record(data: FERData, spec: RunSpec, run: TrainingRun, out_dir: Path, started, origin):
    """Write ``model.keras``, evaluate on the test split, write the figures, then ``metrics.json`` (last)."""
    profile = spec.profile
    run_folder.claim(out_dir, MODEL_FILE, METRICS_FILE, *FIGURE_FILES)
    model_path = out_dir / MODEL_FILE
    with atomic_files.replacing(model_path) as temporary:
        run.model.save(temporary)
    test = evaluate_model(run.model, data.test)
    test_tta = evaluate_model(run.model, data.test, tta="flip")
    metrics = {
        "accuracy": test["accuracy"],
        "accuracy_tta": test_tta["accuracy"],
        "loss": test["loss"],
        "model": run.model.name,
        "parameters": int(run.model.count_params()),
        "profile": profile.to_dict(),
        "data": {
            "source": data.source,
            "location": data.location,
            "synthetic": data.is_synthetic,
            "train_images": len(data.train),
            "val_images": len(data.val),
            "test_images": len(data.test),
            "split": "test = the data set's test split (FER2013 PublicTest); "
            + ("validation carved from train" if len(data.val) else "no validation: trained on all of train"),
        },
        "training": {
            "seed": spec.seed,
            "epochs_run": run.epochs_run,
            "planned_epochs": run.planned_epochs,
            "training_seconds": round(run.training_seconds, 1),
            # this call's wall time plus the training time of the earlier, interrupted calls it resumed
            "total_seconds": round(time.perf_counter() - started + run.earlier_seconds, 1),
            "class_weights": spec.class_weights,
            "augment": spec.augment,
            "resumed": run.resumed,
            "best_val_accuracy": run.best_val_accuracy,
        },
        "test": test,
        "test_tta": test_tta,
        "provenance": origin,
    }
    if profile.ten_crop_tta:
        metrics.update(ten_crop_metrics(run.model, data))
    confusion_file, curves_file = FIGURE_FILES
    save_figure(plot_confusion_matrix(test["confusion_matrix"], normalise=True), out_dir / confusion_file)
    save_figure(plot_learning_curves(run.history), out_dir / curves_file)
    metrics_path = write_json(metrics, out_dir / METRICS_FILE)  # last, then the marker says finished
    run_folder.set_state(out_dir, run_folder.FINISHED)
    print(format_report(test), flush=True)
    return ExperimentResult(run, metrics, model_path, metrics_path)


def load_finished_experiment(out_dir: str | Path) -> ExperimentResult:
    """Return the :class:`ExperimentResult` of the finished run in ``out_dir``, read from its files."""
    out_dir = Path(out_dir)
    metrics_path = out_dir / METRICS_FILE
    run = load_trained_run(out_dir)
    return ExperimentResult(run, json.loads(metrics_path.read_text()), out_dir / MODEL_FILE, metrics_path)
