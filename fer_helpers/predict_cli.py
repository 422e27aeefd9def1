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
    parser.add_argument(
        "--model",
        help="a .keras model (default: notebook 04's, else the shipped model with the best validation accuracy: "
        "models/fer_vgg_bn_cpu.keras unless a models/fer_*_gpu.keras beats it)",
    )
    parser.add_argument("--out", type=Path, help="also write each photo with boxes and labels drawn to this folder")
    parser.add_argument("--tta", action="store_true", help="average each prediction with the mirrored face")
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


def predict_main(args: argparse.Namespace) -> int:
    """Run ``fer-predict``: 0 when every photo was read (with or without faces), 2 when any could not be."""
    from fer_helpers.drawing import annotate
    from fer_helpers.face_prediction import describe_prediction, no_face_message, predict_faces
    from fer_helpers.model_files import load_trained_model
    from fer_helpers.photos import load_photo, save_photo

    model = load_trained_model(resolve_model_path(args.model))
    failed = 0
    written_names: set[str] = set()
    for name in args.images:
        try:
            photo = load_photo(name)
        except FERDataError as err:  # keep going with the other photos, fail at the end
            print(f"fer-predict: error: {err}", file=sys.stderr)
            failed += 1
            continue
        predictions = predict_faces(model, photo, tta=args.tta)
        if not predictions:
            print(no_face_message(name))
        for index, prediction in enumerate(predictions, start=1):
            print(describe_prediction(prediction, name, index))
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
