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
    from fer_helpers.data.dataset import VAL_FRACTION, resolve_source
    from fer_helpers.profiles import get_profile

    out = Path(args.out).expanduser()
    profile = get_profile(args.profile)
    if args.time_budget is not None:
        profile = dataclasses.replace(profile, time_budget_minutes=args.time_budget)
    kind, location = resolve_source(args.data)
    if not args.overwrite and not check_run_folder(out, args, profile, kind=kind, location=location):
        return 0  # a finished run, even in a folder that is now read-only: nothing to write
    check_writable_folder(out, option="--out")

    import keras

    from fer_helpers.data.dataset import load_data_for_profile
    from fer_helpers.training.experiment import train_and_evaluate

    budget = profile.time_budget_minutes if args.epochs is None else None
    epochs = args.epochs or profile.max_epochs
    print(
        f"Profile: {profile.name} (model {args.arch or profile.model}, up to {epochs} epochs"
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
    )
    result = train_and_evaluate(
        data,
        profile,
        out,
        model_name=args.arch,
        epochs=args.epochs,
        class_weights=args.class_weights,
        seed=args.seed,
        verbose=1,
        augment=args.augment,
        overwrite=args.overwrite,
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


def check_run_folder(out: Path, args: argparse.Namespace, profile, kind: str, location: Path) -> bool:
    """Return True if ``fer-train`` should go on; False (after saying so) when ``out`` holds this finished run.

    Raises :class:`RunFolderError` when ``out`` holds a finished or interrupted run with other settings. Reads
    only the run's small files: nothing is loaded, written or deleted.
    """
    from fer_helpers.training import run_folder
    from fer_helpers.training.run_folder import check_same_run, data_settings, run_settings

    run_folder.recover_previous_run(out)
    status = run_folder.run_status(out)
    if status not in (run_folder.FINISHED, run_folder.RESUMABLE):
        return True
    data = data_settings(kind, location, validation=not args.refit)
    wanted = run_settings(profile, args.arch, args.epochs, args.class_weights, args.augment, args.seed, data)
    check_same_run(out, wanted, status)
    if status == run_folder.RESUMABLE:
        return True
    print(
        f"{out} already holds this finished run ({run_folder.describe_finished(out)}); nothing to do, nothing "
        f"changed. Its model: {out / run_folder.MODEL_FILE}, metrics: {out / run_folder.METRICS_FILE}. "
        "To train it again, pass --overwrite (it replaces that run) or choose another --out."
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
