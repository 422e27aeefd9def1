"""Console scripts: ``fer-train`` and ``fer-evaluate``. Bad input ends in one clear line and a non-zero exit."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from fer_helpers.console import run_console_script
from fer_helpers.errors import FERDataError


def train_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``fer-train``."""
    from fer_helpers.models import MODEL_BUILDERS
    from fer_helpers.profiles import PROFILES

    parser = argparse.ArgumentParser(
        prog="fer-train",
        description="Train a facial-expression model, evaluate it on the test split and save it with its metrics.",
    )
    parser.add_argument(
        "--data",
        help="FER2013 folder (train/ and test/), fer2013.csv, or 'synthetic' "
        "(default: $FER2013_DIR, else data/fer2013, else the generated sample)",
    )
    parser.add_argument("--profile", choices=sorted(PROFILES), help="default: $FER_PROFILE, else gpu/smoke (CI)/cpu")
    parser.add_argument("--model", choices=sorted(MODEL_BUILDERS), help="default: the profile's model")
    parser.add_argument("--out", default="runs/latest", help="output folder (default: runs/latest); rerun to resume")
    parser.add_argument("--epochs", type=int, help="fixed epoch count (no time budget, no early stopping)")
    parser.add_argument(
        "--time-budget",
        type=float,
        metavar="MINUTES",
        help="wall-clock budget for training (default: the profile's; cpu has 60, gpu none); "
        "the epoch plan is fitted to it",
    )
    parser.add_argument("--class-weights", action="store_true", help="weight classes inversely to their frequency")
    parser.add_argument(
        "--augment",
        choices=("full", "baseline", "none"),
        default="full",
        help="full: flip, one affine warp, random erasing (default); "
        "baseline: the seed project's flip + 3 separate warps",
    )
    parser.add_argument(
        "--refit",
        action="store_true",
        help="train on all of train/ with no validation split and keep the last epoch's model: the final step, "
        "once a run with validation has chosen the settings",
    )
    parser.add_argument("--seed", type=int, default=42)
    return parser


def train_main(args: argparse.Namespace) -> int:
    """Run ``fer-train``."""
    import keras

    from fer_helpers.dataset import VAL_FRACTION, load_data_for_profile
    from fer_helpers.experiment import train_and_evaluate
    from fer_helpers.profiles import get_profile

    profile = get_profile(args.profile)
    if args.time_budget is not None:
        if args.time_budget <= 0:
            raise ValueError(f"--time-budget must be a positive number of minutes, not {args.time_budget:g}.")
        profile = dataclasses.replace(profile, time_budget_minutes=args.time_budget)
    budget = profile.time_budget_minutes if not args.epochs else None
    epochs = args.epochs or profile.max_epochs
    print(
        f"Profile: {profile.name} (model {args.model or profile.model}, up to {epochs} epochs"
        + (f", budget {budget:g} min" if budget else "")
        + f"; Keras backend {keras.backend.backend()})",
        flush=True,
    )
    data = load_data_for_profile(profile, args.data, seed=args.seed, val_fraction=0.0 if args.refit else VAL_FRACTION)
    result = train_and_evaluate(
        data,
        profile,
        args.out,
        model_name=args.model,
        epochs=args.epochs,
        class_weights=args.class_weights,
        seed=args.seed,
        verbose=1,
        augment=args.augment,
    )
    metrics = result.metrics
    print(
        f"\nTest accuracy: {metrics['accuracy']:.4f} (with flip TTA: {metrics['accuracy_tta']:.4f}) on "
        f"{metrics['data']['test_images']} {data.source} test faces; "
        f"trained {metrics['training']['epochs_run']} epochs in {metrics['training']['training_seconds'] / 60:.1f} min."
    )
    if data.is_synthetic:
        print("(Synthetic data: these numbers say nothing about real faces.)")
    print(f"Model saved to {result.model_path}; metrics in {result.metrics_path}")
    return 0


def evaluate_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``fer-evaluate``."""
    from fer_helpers.evaluation import TTA_MODES

    parser = argparse.ArgumentParser(
        prog="fer-evaluate", description="Evaluate a saved model on DATA/test/<class>/* and print the per-class report."
    )
    parser.add_argument(
        "--model",
        required=True,
        action="append",
        help="a .keras model file (for example models/fer_vgg_bn_cpu.keras); "
        "give --model more than once to average the models' probabilities (an ensemble)",
    )
    parser.add_argument("--data", required=True, help="folder holding test/<class>/* (Kaggle layout)")
    parser.add_argument(
        "--tta",
        nargs="?",
        const="flip",
        default="none",
        choices=TTA_MODES,
        help="test-time augmentation: --tta alone or --tta flip averages each face with its mirror; --tta ten-crop "
        "averages ten crops (corners, centre and their mirrors)",
    )
    parser.add_argument("--json", type=Path, help="write the metrics to this JSON file")
    return parser


def evaluate_main(args: argparse.Namespace) -> int:
    """Run ``fer-evaluate``."""
    from fer_helpers.ensemble import evaluate_ensemble
    from fer_helpers.evaluation import evaluate_model, format_report
    from fer_helpers.folder_layout import load_split
    from fer_helpers.model_files import load_trained_model
    from fer_helpers.provenance import write_json

    models = [load_trained_model(path) for path in args.model]
    data = Path(args.data)
    if not (data / "test").is_dir():
        raise FERDataError(f"{data} has no test/ folder; expected {data}/test/<class>/*.jpg (Kaggle layout).")
    faces = load_split(data, "test")
    if len(models) == 1:
        metrics = evaluate_model(models[0], faces, tta=args.tta)
        metrics.update(model=args.model[0], data=str(data))
    else:
        print(f"Ensemble of {len(models)} models (probabilities averaged): {', '.join(args.model)}")
        metrics = evaluate_ensemble(models, faces, tta=args.tta)
        metrics.update(model=list(args.model), data=str(data))
    print(format_report(metrics))
    if args.json:
        write_json(metrics, args.json)
        print(f"Metrics written to {args.json}")
    return 0


def fer_train(argv: list[str] | None = None) -> int:
    """Entry point of ``fer-train``."""
    return run_console_script(train_main, train_parser(), argv)


def fer_evaluate(argv: list[str] | None = None) -> int:
    """Entry point of ``fer-evaluate``."""
    return run_console_script(evaluate_main, evaluate_parser(), argv)


if __name__ == "__main__":
    sys.exit(fer_train())
