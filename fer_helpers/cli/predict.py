"""Console script ``fer-predict``: find faces in photos, print their expressions, optionally save annotated copies.

Videos (``.mp4``, ``.avi``, ...) take their own path (:func:`predict_videos`): a per-frame CSV, an annotated MP4,
a per-face summary and the speed reached.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fer_helpers.cli.common import (  # also quiets TensorFlow's start-up chatter
    add_tta_argument,
    positive_int,
    probability,
    run_console_script,
    seconds_or_zero,
)
from fer_helpers.errors import FERDataError, ModelFileError
from fer_helpers.output_paths import check_writable_folder

DEFAULT_VIDEO_OUT = Path("fer-predict-out")
"""Where videos' CSV and annotated MP4 go when ``--out`` is not given."""


def predict_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``fer-predict``."""
    parser = argparse.ArgumentParser(
        prog="fer-predict",
        description="Find faces in photos (OpenCV Haar cascade) and print each one's box, expression and confidence. "
        "Videos get a per-frame CSV, an annotated MP4 and a per-face summary.",
    )
    parser.add_argument("images", nargs="+", metavar="FILE", help="photos (JPEG, PNG, ...) or videos (MP4, AVI, ...)")
    parser.add_argument(
        "--model",
        help="a model file: .keras, or .tflite (notebook 07's export). Default: notebook 04's, else the shipped "
        "model with the best validation accuracy: models/fer_vgg_bn_cpu.keras unless a models/fer_*_gpu.keras beats it",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help=f"photos: also write each one with boxes and labels drawn to this folder; videos: where their CSV and "
        f"annotated MP4 go (default {DEFAULT_VIDEO_OUT})",
    )
    add_tta_argument(parser, what="each face (in photos and in every analysed video frame)")
    parser.add_argument(
        "--min-confidence",
        type=probability,
        metavar="P",
        help='photos only: answer "not sure" with the top two classes when the top probability is below P (0 to 1; '
        "default: the threshold saved in the model's JSON, else 0: always answer). Probabilities are "
        "temperature-scaled with the temperature saved there, when there is one",
    )
    add_video_arguments(parser)
    return parser


def check_predict_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse, before any work, the options that do not apply to the files given (``parser.error`` exits with 2)."""
    from fer_helpers.video.io import is_video_path

    if args.min_confidence is not None and any(is_video_path(name) for name in args.images):
        parser.error(
            "--min-confidence applies to photos only: a video's CSV keeps every face's probabilities and its labels "
            "are smoothed over time; filter the CSV's confidence column instead, or give the videos in another call"
        )


def resolve_model_path(model: str | None) -> Path:
    """Return ``model`` as a path, or the course model when None; raise :class:`ModelFileError` if there is none."""
    if model:
        return Path(model)
    from fer_helpers.models.shipped import find_course_model

    path, why = find_course_model()
    if path is None:
        raise ModelFileError(f"No --model given and {why}; pass --model PATH.")
    return path


def calibration_settings(model_path: Path, min_confidence: float | None) -> tuple[float, float]:
    """Return ``(temperature, min_confidence)``: the temperature saved in the JSON next to the model (1 if none) and
    ``--min-confidence``, else the threshold saved there (0 if none); the threshold applies to the scaled probabilities.
    """
    from fer_helpers.evaluation.calibration import load_saved_calibration

    saved = load_saved_calibration(model_path)
    threshold = saved.min_confidence if min_confidence is None else min_confidence
    if not 0 <= threshold <= 1:  # --min-confidence is checked by argparse: this is the saved one
        raise ModelFileError(
            f"The threshold saved next to {model_path} is {threshold}, not a probability (0 to 1); "
            "fix that file, or pass --min-confidence."
        )
    return saved.temperature, threshold


def predict_main(args: argparse.Namespace) -> int:
    """Run ``fer-predict``: 0 when every photo was read (with or without faces), 2 when any could not be."""
    from fer_helpers.inference.classifiers import load_classifier
    from fer_helpers.inference.drawing import annotate
    from fer_helpers.inference.face_prediction import describe_prediction, no_face_message, predict_faces
    from fer_helpers.inference.photos import load_photo, save_photo

    model_path = resolve_model_path(args.model)
    temperature, min_confidence = calibration_settings(model_path, args.min_confidence)
    classify = load_classifier(model_path, temperature=temperature)  # the videos' compiled call, or TFLite
    failed = 0
    written_names: set[str] = set()
    for name in args.images:
        try:
            photo = load_photo(name)
        except FERDataError as err:  # keep going with the other photos, fail at the end
            print(f"fer-predict: error: {err}", file=sys.stderr)
            failed += 1
            continue
        predictions = predict_faces(classify, photo, tta=args.tta)
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


def add_video_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options that only videos use to ``fer-predict``'s parser."""
    from fer_helpers.video.tracking import SMOOTHING_S

    group = parser.add_argument_group("videos")
    group.add_argument(
        "--every", type=positive_int, default=1, metavar="N", help="analyse every N-th frame (default: 1, all)"
    )
    group.add_argument(
        "--detect-every",
        type=positive_int,
        default=1,
        metavar="K",
        help="run the face detector on every K-th analysed frame and follow the boxes in between (faster)",
    )
    group.add_argument(
        "--detect-size",
        type=positive_int,
        default=640,
        metavar="PIXELS",
        help="shrink frames to this longer side for detection (default 640; 320: about 4x faster, misses small faces)",
    )
    group.add_argument(
        "--smoothing",
        type=seconds_or_zero,
        default=SMOOTHING_S,
        metavar="SECONDS",
        help=f"time constant of the probability smoothing in the summary and video (default {SMOOTHING_S}; 0: none)",
    )


def predict_videos(args: argparse.Namespace, videos: list[str]) -> int:
    """Analyse each video: CSV and annotated MP4 in ``--out``, a per-face summary and the speed; 2 if any failed."""
    from fer_helpers.inference.classifiers import load_classifier, with_tta
    from fer_helpers.video.analysis import analyse_video, output_names
    from fer_helpers.video.io import VideoReader, prepare_output_folder

    model_path = resolve_model_path(args.model)
    temperature, _ = calibration_settings(model_path, None)  # the photos' probabilities, for videos too
    classify = with_tta(load_classifier(model_path, temperature=temperature), args.tta)
    if temperature != 1:
        print(f"videos: probabilities scaled with the temperature {temperature:.2f} saved next to {model_path}")
    out_dir = args.out or DEFAULT_VIDEO_OUT
    failed = 0
    for name in videos:
        paths: list[Path] = []
        try:
            with VideoReader(name) as reader:
                print(f"{name}: {reader.info.describe()}")
            paths, existing = prepare_output_folder(out_dir, output_names(name))
            for path in existing:
                print(f"{name}  replacing the existing {path}")
            report = analyse_video(
                name,
                classify,
                out_dir=out_dir,
                every=args.every,
                detect_every=args.detect_every,
                detect_max_side=args.detect_size,
                smoothing_s=args.smoothing,
            )
        except FERDataError as err:  # keep going with the other videos, fail at the end
            print(f"fer-predict: error: {err}", file=sys.stderr)
            failed += 1
            continue
        except KeyboardInterrupt:
            kept = f": {' and '.join(map(str, paths))} hold the frames analysed so far" if paths else ""
            print(f"{name}  interrupted{kept}", file=sys.stderr)
            return 130
        print(report.format_summary())
        print(f"{name}  wrote {report.csv_path} and {report.video_path}")
    return 2 if failed else 0


def predict_photos_and_videos(args: argparse.Namespace) -> int:
    """Run ``fer-predict``: the photos through :func:`predict_main`, then the videos through :func:`predict_videos`."""
    from fer_helpers.video.io import is_video_path

    videos = [name for name in args.images if is_video_path(name)]
    photos = [name for name in args.images if not is_video_path(name)]
    if (photos and args.out is not None) or videos:  # checked before any work: not a file, not read-only
        check_writable_folder(args.out or DEFAULT_VIDEO_OUT, option="--out")
    codes = [predict_main(argparse.Namespace(**{**vars(args), "images": photos}))] if photos else []
    if videos:
        codes.append(predict_videos(args, videos))
    return max(codes)


def fer_predict(argv: list[str] | None = None) -> int:
    """Entry point of ``fer-predict``."""
    return run_console_script(predict_photos_and_videos, predict_parser(), argv, check=check_predict_arguments)


if __name__ == "__main__":
    sys.exit(fer_predict())
