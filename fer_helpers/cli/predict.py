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
from fer_helpers.errors import FERDataError, ModelFileError, SettingsError
from fer_helpers.output_paths import check_writable_folder

DEFAULT_VIDEO_OUT = Path("fer-predict-out")
"""Where videos' CSV and annotated MP4 go when ``--out`` is not given."""


def predict_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``fer-predict``."""
    from fer_helpers.inference.face_detection import DEFAULT_DETECTOR, DETECTORS

    parser = argparse.ArgumentParser(
        prog="fer-predict",
        description="Find faces in photos (OpenCV's YuNet, or its Haar cascade) and print each one's box, expression "
        "and confidence. "
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
    parser.add_argument(
        "--detector",
        choices=DETECTORS,
        default=DEFAULT_DETECTOR,
        help=f"face detector (default {DEFAULT_DETECTOR}; haar needs an OpenCV that has it: 4.x, not 5)",
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
    if not 0 <= threshold <= 1:  # the JSON's value was checked where it was read, naming the file and key
        raise SettingsError(f"--min-confidence must lie between 0 and 1 (a probability), got {threshold}.")
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
    stems = getattr(args, "stems", None) or output_stems(args.images)
    for name in args.images:
        try:
            photo = load_photo(name)
        except FERDataError as err:  # keep going with the other photos, fail at the end
            print(f"fer-predict: error: {err}", file=sys.stderr)
            failed += 1
            continue
        predictions = predict_faces(classify, photo, tta=args.tta, detector=args.detector)
        if not predictions and looks_like_face_crop(photo):
            height, width = photo.shape[:2]
            whole = [(0, 0, width, height)]
            predictions = predict_faces(classify, photo, boxes=whole, margin=0.0, tta=args.tta)
            print(f"{name}  no face found in this {width}x{height} image, the size of a face crop: classified whole")
        if not predictions:
            print(no_face_message(name))
        for index, prediction in enumerate(predictions, start=1):
            print(describe_prediction(prediction, name, index, min_confidence=min_confidence))
        if args.out:
            written = save_photo(annotate(photo, predictions), args.out / f"{stems[name]}_annotated.png")
            print(f"{name}  annotated copy: {written}")
    return 2 if failed else 0


FACE_CROP_MAX_SIDE = 96
"""An image this small (and about square) in which no face is found is taken as a face crop (FER2013's are 48x48)."""


def looks_like_face_crop(photo) -> bool:
    """Return True for an image the size and shape of a face crop: at most 96 px a side, nearly square."""
    height, width = photo.shape[:2]
    return max(height, width) <= FACE_CROP_MAX_SIDE and max(height, width) <= 1.25 * min(height, width)


def output_stems(names: list[str]) -> dict[str, str]:
    """Return a distinct output stem per input: its file name's stem, then ``_2``, ``_3`` ... for later inputs of the
    same name (two folders' ``clip.mp4``); each output line names its input, which says which is which."""
    stems: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        if name in stems:
            continue
        stem, number = Path(name).stem, 1
        while (stem if number == 1 else f"{stem}_{number}") in taken:
            number += 1
        stems[name] = stem if number == 1 else f"{stem}_{number}"
        taken.add(stems[name])
    return stems


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
    stems = getattr(args, "stems", None) or output_stems(videos)
    failed = 0
    for name in videos:
        paths: list[Path] = []
        try:
            with VideoReader(name) as reader:
                print(f"{name}: {reader.info.describe()}")
            paths, existing = prepare_output_folder(out_dir, output_names(name, stems[name]))
            for path in existing:
                print(f"{name}  replacing the existing {path}")
            report = analyse_video(
                name,
                classify,
                out_dir=out_dir,
                every=args.every,
                detect_every=args.detect_every,
                detect_max_side=args.detect_size,
                detector=args.detector,
                smoothing_s=args.smoothing,
                stem=stems[name],
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

    args.stems = output_stems(args.images)  # photos and videos share --out: one name per input
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
