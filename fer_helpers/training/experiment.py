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
from fer_helpers.training.fit import TrainingRun, check_training_arguments, load_trained_run, run_folder, train_model
from fer_helpers.training.run_folder import (
    FIGURE_FILES,
    METRICS_FILE,
    MODEL_FILE,
    check_same_run,
    fer_data_settings,
    run_settings,
)


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
    out_dir = Path(out_dir)
    started = time.perf_counter()
    check_training_arguments(epochs, augment)
    run_folder.recover_previous_run(out_dir)
    if run_folder.run_status(out_dir) == run_folder.FINISHED and not overwrite:
        settings = run_settings(profile, model_name, epochs, class_weights, augment, seed, fer_data_settings(data))
        check_same_run(out_dir, settings, run_folder.FINISHED)
        print(f"{out_dir} holds a finished run with these settings: loaded it instead of training again.")
        result = load_finished_experiment(out_dir)
        print(format_report(result.metrics["test"]), flush=True)
        return result
    origin = provenance()  # taken before training, so it names the code that trained the model
    run = train_model(
        data=data,
        profile=profile,
        out_dir=out_dir,
        model_name=model_name,
        epochs=epochs,
        class_weights=class_weights,
        augment=augment,
        seed=seed,
        verbose=verbose,
        extra_callbacks=extra_callbacks,
        overwrite=overwrite,
    )
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
            "seed": seed,
            "epochs_run": run.epochs_run,
            "planned_epochs": run.planned_epochs,
            "training_seconds": round(run.training_seconds, 1),
            # this call's wall time plus the training time of the earlier, interrupted calls it resumed
            "total_seconds": round(time.perf_counter() - started + run.earlier_seconds, 1),
            "class_weights": class_weights,
            "augment": augment,
            "resumed": run.resumed,
            "best_val_accuracy": run.best_val_accuracy,
        },
        "test": test,
        "test_tta": test_tta,
        "provenance": origin,
    }
    if profile.ten_crop_tta:
        metrics.update(ten_crop_metrics(run.model, data))
    confusion_png, curves_png = FIGURE_FILES
    save_figure(plot_confusion_matrix(test["confusion_matrix"], normalise=True), out_dir / confusion_png)
    save_figure(plot_learning_curves(run.history), out_dir / curves_png)
    metrics_path = write_json(metrics, out_dir / METRICS_FILE)  # last: its presence marks the run finished
    print(format_report(test), flush=True)
    return ExperimentResult(run, metrics, model_path, metrics_path)


def load_finished_experiment(out_dir: str | Path) -> ExperimentResult:
    """Return the :class:`ExperimentResult` of the finished run in ``out_dir``, read from its files."""
    out_dir = Path(out_dir)
    metrics_path = out_dir / METRICS_FILE
    run = load_trained_run(out_dir)
    return ExperimentResult(run, json.loads(metrics_path.read_text()), out_dir / MODEL_FILE, metrics_path)
