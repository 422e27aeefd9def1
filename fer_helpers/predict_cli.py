"""Console script ``fer-predict``: find faces in photos, print their expressions, optionally save annotated copies."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fer_helpers.console import run_console_script  # also quiets TensorFlow's start-up chatter
from fer_helpers.errors import FERDataError, ModelFileError


def predict_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``fer-predict``."""
    parser = argparse.ArgumentParser(
        prog="fer-predict",
        description="Find faces in photos (OpenCV Haar cascade) and print each one's box, expression and confidence.",
    )
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="photo files (JPEG, PNG, ...)")
    parser.add_argument("--model", help="a .keras model (default: notebook 04's, else models/fer_vgg_bn_cpu.keras)")
    parser.add_argument("--out", type=Path, help="also write each photo with boxes and labels drawn to this folder")
    parser.add_argument("--tta", action="store_true", help="average each prediction with the mirrored face")
    parser.add_argument(
        "--min-confidence",
        type=float,
        metavar="P",
        help='answer "not sure" with the top two classes when the top probability is below P (0 to 1; default: the '
        "threshold saved in the model's JSON, else 0: always answer). Probabilities are temperature-scaled with the "
        "temperature saved there, when there is one",
    )
    return parser


def resolve_model_path(model: str | None) -> Path:
    """Return ``model`` as a path, or the course model when None; raise :class:`ModelFileError` if there is none."""
    if model:
        return Path(model)
    from fer_helpers.course_model import find_course_model

    path, why = find_course_model()
    if path is None:
        raise ModelFileError(f"No --model given and {why}; pass --model PATH.")
    return path


def calibration_settings(model_path: Path, min_confidence: float | None) -> tuple[float, float]:
    """Return ``(temperature, min_confidence)``: the temperature saved in the JSON next to the model (1 if none) and
    ``--min-confidence``, else the threshold saved there (0 if none); the threshold applies to the scaled probabilities.
    """
    from fer_helpers.calibration import load_saved_calibration

    saved = load_saved_calibration(model_path)
    threshold = saved.min_confidence if min_confidence is None else min_confidence
    if not 0 <= threshold <= 1:
        raise ValueError(f"--min-confidence must lie between 0 and 1 (a probability), got {threshold}.")
    return saved.temperature, threshold


def predict_main(args: argparse.Namespace) -> int:
    """Run ``fer-predict``: 0 when every photo was read (with or without faces), 2 when any could not be."""
    from fer_helpers.drawing import annotate
    from fer_helpers.face_prediction import describe_prediction, no_face_message, predict_faces
    from fer_helpers.model_files import load_trained_model
    from fer_helpers.photos import load_photo, save_photo

    model_path = resolve_model_path(args.model)
    model = load_trained_model(model_path)
    temperature, min_confidence = calibration_settings(model_path, args.min_confidence)
    failed = 0
    written_names: set[str] = set()
    for name in args.images:
        try:
            photo = load_photo(name)
        except FERDataError as err:  # keep going with the other photos, fail at the end
            print(f"fer-predict: error: {err}", file=sys.stderr)
            failed += 1
            continue
        predictions = predict_faces(model, photo, tta=args.tta, temperature=temperature)
        if not predictions:
            print(no_face_message(name))
        for index, prediction in enumerate(predictions, start=1):
            print(describe_prediction(prediction, name, index, min_confidence=min_confidence))
        if args.out:
            stem = Path(name).stem
            while stem in written_names:  # two photos with the same name in different folders
                stem += "_"
            written_names.add(stem)
            written = save_photo(annotate(photo, predictions), args.out / f"{stem}_annotated.png")
            print(f"{name}  annotated copy: {written}")
    return 2 if failed else 0


def fer_predict(argv: list[str] | None = None) -> int:
    """Entry point of ``fer-predict``."""
    return run_console_script(predict_main, predict_parser(), argv)


if __name__ == "__main__":
    sys.exit(fer_predict())
