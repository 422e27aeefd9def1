"""``fer-train``: train and evaluate a model under a profile. Every argument is checked before any work."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from fer_helpers.cli.common import positive_int, positive_minutes, run_console_script, seed_number
from fer_helpers.output_paths import check_writable_folder


def train_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``fer-train``."""
    from fer_helpers.models.builders import MODEL_BUILDERS
    from fer_helpers.profiles import PROFILES
    from fer_helpers.training.fit import AUGMENTATIONS

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
    parser.add_argument("--arch", choices=sorted(MODEL_BUILDERS), help="the architecture (default: the profile's)")
    parser.add_argument("--model", action=ArchitectureNotModelFile, help=argparse.SUPPRESS)
    parser.add_argument(
        "--out",
        default="runs/latest",
        help="output folder (default: runs/latest). Rerun the same command to resume an interrupted run; "
        "a finished run is left alone",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run in --out with a new one (the old one is deleted once the new one has trained an epoch)",
    )
    length = parser.add_mutually_exclusive_group()
    length.add_argument(
        "--epochs", type=positive_int, help="fixed epoch count, at least 1 (no time budget, no early stopping)"
    )
    length.add_argument(
        "--time-budget",
        type=positive_minutes,
        metavar="MINUTES",
        help="wall-clock budget for training (default: the profile's; cpu has 60, gpu none); "
        "the epoch plan is fitted to it",
    )
    parser.add_argument("--class-weights", action="store_true", help="weight classes inversely to their frequency")
    parser.add_argument(
        "--augment",
        choices=AUGMENTATIONS,
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
    parser.add_argument("--skip-bad-files", action="store_true", help="skip unreadable images (with a warning)")
    parser.add_argument(
        "--allow-missing-classes",
        action="store_true",
        help="train even when train/ has no faces of some class (the model then never predicts it)",
    )
    parser.add_argument("--seed", type=seed_number, default=42, help="random seed, 0 to 4294967295 (default: 42)")
    return parser


class ArchitectureNotModelFile(argparse.Action):
    """``fer-train --model``: refused with the fix, since ``--model`` is a model *file* in every course command."""

    def __call__(self, parser, namespace, values, option_string=None):
        from fer_helpers.models.builders import MODEL_BUILDERS

        example = values if values in MODEL_BUILDERS else " | --arch ".join(sorted(MODEL_BUILDERS))
        parser.error(
            "--model names a model file (fer-evaluate, fer-predict); fer-train builds a new model: choose its "
            f"architecture with --arch (here: --arch {example})"
        )


def train_main(args: argparse.Namespace) -> int:
    """Run ``fer-train``."""
    from fer_helpers.data.dataset import resolve_source
    from fer_helpers.profiles import get_profile
    from fer_helpers.training.run_folder import RunSpec
    from fer_helpers.training.run_marker import run_lock

    out = Path(args.out).expanduser()
    profile = get_profile(args.profile)
    if args.time_budget is not None:
        profile = dataclasses.replace(profile, time_budget_minutes=args.time_budget)
    spec = RunSpec(profile, args.arch, args.epochs, args.class_weights, args.augment, args.seed)
    kind, location = resolve_source(args.data)
    check_outside_data(out, kind, location)
    if not out.is_dir():  # before the lock creates it: a file there, an unwritable place
        check_writable_folder(out, option="--out")
    with run_lock(out):
        if not check_run_folder(out, args, spec, kind=kind, location=location):
            return 0  # a finished run, even in a folder that is now read-only: nothing to write
        check_writable_folder(out, option="--out")
        return _train_and_report(args, spec, out)


def _train_and_report(args: argparse.Namespace, spec, out: Path) -> int:
    """Load the data, train and evaluate (resuming or starting the run in ``out``), and print the result."""
    import keras

    from fer_helpers.data.dataset import VAL_FRACTION, load_data_for_profile
    from fer_helpers.training.experiment import run_experiment

    profile = spec.profile
    budget = profile.time_budget_minutes if args.epochs is None else None
    epochs = args.epochs or profile.max_epochs
    print(
        f"Profile: {profile.name} (model {spec.model}, up to {epochs} epochs"
        + (f", budget {budget:g} min" if budget else "")
        + f"; Keras backend {keras.backend.backend()})",
        flush=True,
    )
    data = load_data_for_profile(
        profile,
        args.data,
        seed=args.seed,
        val_fraction=0.0 if args.refit else VAL_FRACTION,
        skip_bad_files=args.skip_bad_files,
        allow_missing_classes=args.allow_missing_classes,
    )
    result = run_experiment(data, spec, out, verbose=1, overwrite=args.overwrite)
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


def check_outside_data(out: Path, kind: str, location: Path) -> None:
    """Refuse an ``--out`` inside the data folder: the run's figures would become training faces next time."""
    from fer_helpers.output_paths import OutputPathError

    if not Path(location).is_dir():  # a CSV file: nothing is read from its folder
        return
    data_dir, out_dir = Path(location).expanduser().resolve(), out.resolve()
    if out_dir == data_dir or data_dir in out_dir.parents:
        raise OutputPathError(
            f"--out {out} lies inside the data folder {data_dir}: the run's files would be read as faces next "
            "time. Choose a folder outside it, e.g. --out runs/latest."
        )


def check_run_folder(out: Path, args: argparse.Namespace, spec, kind: str, location: Path) -> bool:
    """Return True if ``fer-train`` should go on; False (after saying so) when ``out`` holds this finished run.

    Raises ``RunFolderError`` when ``out`` holds files the course did not write, a finished or interrupted run with
    other settings, or a finished run whose model or metrics were deleted. Nothing is loaded or trained.
    """
    from fer_helpers.training import run_folder

    data = run_folder.data_settings(kind, location, validation=not args.refit)
    action = run_folder.resume_or_load(out, spec.settings(data), overwrite=args.overwrite)
    if action != run_folder.LOAD:
        return True
    print(
        f"{out} already holds this finished run ({run_folder.describe_finished(out)}); nothing to do, nothing "
        f"changed. Its model: {out / run_folder.MODEL_FILE}, metrics: {out / run_folder.METRICS_FILE}. "
        "To train it again, pass --overwrite (it replaces that run's own files) or choose another --out."
    )
    return False


def fer_train(argv: list[str] | None = None) -> int:
    """Entry point of ``fer-train``."""
    return run_console_script(
        train_main,
        train_parser(),
        argv,
        on_interrupt="rerun the same command to resume from the last finished epoch",
    )


if __name__ == "__main__":
    sys.exit(fer_train())
