"""``fer-evaluate``: evaluate a trained model on a split. Every argument is checked before any work."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fer_helpers.cli.common import add_tta_argument, run_console_script
from fer_helpers.output_paths import check_writable_file

PRIVATE_TEST_NOTE = "the final exam: evaluate once at the very end, never choose anything on it"


def evaluate_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``fer-evaluate``."""
    parser = argparse.ArgumentParser(
        prog="fer-evaluate",
        description="Evaluate a saved model on a test split of FER2013 and print the per-class report.",
    )
    parser.add_argument(
        "--model",
        required=True,
        action="append",
        help="a model file: .keras (for example models/fer_vgg_bn_cpu.keras); "
        "give --model more than once to average the models' probabilities (an ensemble)",
    )
    parser.add_argument(
        "--data", required=True, help="folder holding test/<class>/* (Kaggle layout), or fer2013.csv, or 'synthetic'"
    )
    parser.add_argument(
        "--split",
        choices=("test", "private_test"),
        default="test",
        help="test: PublicTest, the course's report split (default); "
        f"private_test: FER2013's PrivateTest files, {PRIVATE_TEST_NOTE}",
    )
    add_tta_argument(parser, what="each face")
    parser.add_argument("--json", type=Path, help="write the metrics to this JSON file")
    parser.add_argument("--skip-bad-files", action="store_true", help="skip unreadable images (with a warning)")
    return parser


def evaluate_main(args: argparse.Namespace) -> int:
    """Run ``fer-evaluate``."""
    if args.json is not None:
        check_writable_file(args.json, option="--json")
    from fer_helpers.data.dataset import load_evaluation_split
    from fer_helpers.evaluation.ensemble import evaluate_ensemble
    from fer_helpers.evaluation.metrics import evaluate_model, format_report
    from fer_helpers.models.files import check_model_file, load_trained_model
    from fer_helpers.provenance import write_json

    for path in args.model:
        check_model_file(Path(path))
    faces, private_size = load_evaluation_split(args.data, split=args.split, skip_bad_files=args.skip_bad_files)
    models = [load_trained_model(path) for path in args.model]
    print(describe_split(args.split, len(faces), private_size), flush=True)
    if len(models) == 1:
        metrics = evaluate_model(models[0], faces, tta=args.tta)
        metrics.update(model=args.model[0])
    else:
        print(f"Ensemble of {len(models)} models (probabilities averaged): {', '.join(args.model)}")
        metrics = evaluate_ensemble(models, faces, tta=args.tta)
        metrics.update(model=list(args.model))
    metrics.update(data=str(args.data), split=args.split)
    print(format_report(metrics))
    if args.json:
        write_json(metrics, args.json)
        print(f"Metrics written to {args.json}")
    return 0


def describe_split(split: str, size: int, private_size: int) -> str:
    """Return what ``fer-evaluate`` says about the split it evaluates and about the private test split."""
    if split == "private_test":
        return f"Evaluating the private test split ({size} faces, FER2013's PrivateTest): {PRIVATE_TEST_NOTE}."
    private = (
        f"the private test split ({private_size} faces) is left alone: {PRIVATE_TEST_NOTE} (--split private_test)"
        if private_size
        else "there is no private test split here (no PrivateTest_* files), so the course goes on without it"
    )
    return f"Evaluating the test split ({size} faces; FER2013's PublicTest); {private}."


def fer_evaluate(argv: list[str] | None = None) -> int:
    """Entry point of ``fer-evaluate``."""
    return run_console_script(evaluate_main, evaluate_parser(), argv)


if __name__ == "__main__":
    sys.exit(fer_evaluate())
