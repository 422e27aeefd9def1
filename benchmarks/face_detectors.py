"""YuNet against Haar, side by side in one run: recall, false faces, speed, and false tracks in a panned video.

FER2013_DIR=/tmp/fer2013 python benchmarks/face_detectors.py --photos DIR [--thresholds 0.3 0.5 0.7 0.9]

- **Pasted faces** (notebook 07's test): every 7th FER2013 test face (513), enlarged to 144x144 and pasted in the
  middle of a plain gray 288x288 square, is searched again: recall = faces found. For the faces found, how often
  the shipped model's prediction on the re-detected crop equals its prediction on the original 48x48 face, per
  crop margin (the margin whose crops look most like FER2013's keeps most predictions).
- **Real photos** from ``--photos`` (scikit-image's sample images, public domain; see ``skimage_photos``):
  faces found on ``astronaut.png`` (one face) and false faces on the photos without a face.
- **The course's drawn demo picture** (seven cartoon faces): found of 7.
- **Time per frame** at 640x480 (the panned video's first frame), at the sizes ``fer-predict`` detects at: 1024
  (photos' longer side; a 640x480 frame stays 640), 640 (videos' default), 480, 320 and 240.
- **Panned video**: a 640x480 window glides across the astronaut photo (enlarged 2x) for 10 s at 25 frames/s;
  ``analyse_video`` with a stand-in classifier counts tracks (face ids) and CSV rows with ``min_hits`` 1 and 3.

Numbers depend on the machine and what else it runs: the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

import fer_helpers.quiet  # noqa: F401  (drops TensorFlow's start-up lines; import it before TensorFlow)
from fer_helpers.inference.face_detection import box_iou, crop_face, detect_faces, haar_available
from fer_helpers.inference.photos import demo_photo, load_photo

NO_FACE_PHOTOS = ("brick", "chelsea", "coffee", "coins", "grass", "gravel", "horse", "moon", "page", "text")
"""scikit-image's sample photos without a human face."""
PANNED_SECONDS, PANNED_FPS = 10.0, 25.0


def skimage_photos() -> Path | None:
    """Return scikit-image's sample-data folder when scikit-image is installed (it holds astronaut.png)."""
    try:
        import skimage.data
    except ImportError:
        return None
    return Path(skimage.data.__file__).parent


def paste_on_background(face: np.ndarray, size: int = 144, side: int = 288) -> np.ndarray:
    """Return an RGB picture: the face, enlarged to size x size, in the middle of a plain gray square (notebook 07)."""
    picture = np.full((side, side, 3), 128, np.uint8)
    start = (side - size) // 2
    enlarged = cv2.resize(face, (size, size), interpolation=cv2.INTER_CUBIC)
    picture[start : start + size, start : start + size] = enlarged[..., None]
    return picture


def settings(thresholds: list[float]) -> list[tuple[str, dict]]:
    """Return the detector settings to compare: Haar (if this OpenCV has it) and YuNet at each score threshold."""
    found = [("haar", {"detector": "haar"})] if haar_available() else []
    return found + [(f"yunet {t:g}", {"detector": "yunet", "score_threshold": t}) for t in thresholds]


def pasted_faces(model, options: dict, faces: np.ndarray, margins: tuple[float, ...]) -> tuple[int, list[float]]:
    """Return how many pasted faces ``options`` finds, and per margin the share of kept predictions among them."""
    from fer_helpers.evaluation.metrics import predict_probabilities

    crops, kept = [], []
    for i, face in enumerate(faces):
        picture = paste_on_background(face)
        found = detect_faces(picture, **options)
        if found:
            largest = max(found, key=lambda box: box.w * box.h)
            crops += [crop_face(picture, largest, margin) for margin in margins]
            kept.append(i)
    if not kept:
        return 0, [0.0] * len(margins)
    original = predict_probabilities(model, faces[kept]).argmax(axis=1)
    again = predict_probabilities(model, np.stack(crops)).argmax(axis=1).reshape(len(kept), len(margins))
    return len(kept), [float(np.mean(again[:, j] == original)) for j in range(len(margins))]


def ms_per_frame(frame: np.ndarray, options: dict, max_side: int, runs: int = 30) -> float:
    """Return the median wall-clock milliseconds of one detection on ``frame`` at ``max_side``."""
    for _ in range(3):
        detect_faces(frame, max_side=max_side, **options)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        detect_faces(frame, max_side=max_side, **options)
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def write_panned_video(photo: np.ndarray, path: Path, width: int = 640, height: int = 480) -> None:
    """Write a video whose 640x480 window glides across ``photo`` (enlarged 2x): left to right, then down."""
    from fer_helpers.video.io import Mp4Writer

    big = cv2.resize(photo, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    frames = round(PANNED_SECONDS * PANNED_FPS)
    with Mp4Writer(path, PANNED_FPS, width, height) as writer:
        for i in range(frames):
            t = i / (frames - 1)
            x = round(t * (big.shape[1] - width))
            y = round((0.5 - 0.5 * np.cos(np.pi * t)) * (big.shape[0] - height))
            writer.write(big[y : y + height, x : x + width])


def panned_video_tracks(video: Path, options: dict, min_hits: int) -> tuple[int, int, list[str]]:
    """Return (tracks, CSV rows, per track "rows: first-last frame") of ``analyse_video`` on ``video`` with a
    stand-in classifier (the detector and the tracker decide the rows; the classifier does not)."""
    import csv

    from fer_helpers.video.analysis import analyse_video

    def uniform(faces: np.ndarray) -> np.ndarray:
        return np.full((len(faces), 7), 1 / 7)

    with tempfile.TemporaryDirectory() as out:
        report = analyse_video(
            video, uniform, out_dir=out, write_video=False, progress=False, min_hits=min_hits, **options
        )
        with report.csv_path.open() as rows:
            frames: dict[str, list[int]] = {}
            for row in csv.DictReader(rows):
                frames.setdefault(row["face_id"], []).append(int(row["frame"]))
    per_track = [f"{len(f)}: {min(f)}-{max(f)}" for f in sorted(frames.values(), key=len, reverse=True)]
    return len(frames), report.rows, per_track


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=skimage_photos(), help="folder with astronaut.png and others")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.3, 0.5, 0.7, 0.9])
    parser.add_argument("--margins", type=float, nargs="+", default=[0.0, 0.05, 0.1, 0.2])
    args = parser.parse_args()
    from fer_helpers.data.dataset import resolve_source
    from fer_helpers.provenance import cpu_name
    from fer_helpers.training.course_model import load_course_model

    print(f"machine: {cpu_name()}, {os.cpu_count()} cores; OpenCV {cv2.__version__}; load {os.getloadavg()[0]:.1f}")
    model, description = load_course_model()
    print("model:", description)
    kind, location = resolve_source()
    runs = settings(args.thresholds)

    if kind == "fer2013-folders":
        from fer_helpers.data.folder_layout import load_split

        faces = load_split(location, "test").images[::7]
        print(f"\npasted faces: {len(faces)} FER2013 test faces (every 7th), 144 px on a 288x288 gray square")
        print("  detector     found         prediction kept at margin " + " ".join(f"{m:>5.0%}" for m in args.margins))
        for name, options in runs:
            found, kept = pasted_faces(model, options, faces, tuple(args.margins))
            shares = " ".join(f"{k:5.0%}" for k in kept)
            print(f"  {name:<12} {found:>3} ({found / len(faces):4.0%})" + " " * 27 + shares)
    else:
        print("\npasted faces: skipped (set FER2013_DIR to FER2013 in the Kaggle folder layout)")

    drawn, truth = demo_photo(("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"))
    print("\ndrawn demo picture (7 cartoon faces, 1856x360):")
    for name, options in runs:
        found = detect_faces(drawn, **options)
        hits = sum(any(box_iou(box, t) > 0.3 for box in found) for t in truth)
        print(f"  {name:<12} {hits} of 7 found, {len(found) - hits} other boxes")

    if args.photos is None or not (args.photos / "astronaut.png").is_file():
        print("\nreal photos: skipped (pass --photos, a folder with scikit-image's astronaut.png and others)")
        return
    astronaut = load_photo(args.photos / "astronaut.png")
    others = {n: load_photo(args.photos / f"{n}.png") for n in NO_FACE_PHOTOS if (args.photos / f"{n}.png").is_file()}
    print(f"\nreal photos: astronaut.png (512x512, one face); {len(others)} photos without a face: {', '.join(others)}")
    for name, options in runs:
        found = detect_faces(astronaut, **options)
        false = sum(len(detect_faces(photo, **options)) for photo in others.values())
        print(f"  {name:<12} astronaut: {len(found)} face(s) {found}; photos without a face: {false} false face(s)")

    with tempfile.TemporaryDirectory() as folder:
        video = Path(folder) / "panned.mp4"
        write_panned_video(astronaut, video)
        from fer_helpers.video.io import VideoReader

        with VideoReader(video) as reader:
            frame = next(reader.frames()).image
        print(f"\ntime per frame, 640x480 (median of 30; load {os.getloadavg()[0]:.1f}):")
        print("  detector     " + " ".join(f"{side:>8} px" for side in (1024, 640, 480, 320, 240)))
        for name, options in runs:
            times = [ms_per_frame(frame, options, side) for side in (1024, 640, 480, 320, 240)]
            print(f"  {name:<12} " + " ".join(f"{t:8.1f} ms" for t in times))

        print(f"\npanned video: a 640x480 window across the astronaut photo enlarged 2x, {PANNED_SECONDS:g} s at")
        print(f"{PANNED_FPS:g} frames/s ({round(PANNED_SECONDS * PANNED_FPS)} frames), one real face; detection at 640")
        for name, options in runs:
            for min_hits in (1, 3):
                tracks, rows, per_track = panned_video_tracks(video, options, min_hits)
                print(
                    f"  {name:<12} min_hits {min_hits}: {tracks} track(s), {rows} CSV rows "
                    f"(per track, rows: frames {per_track})"
                )
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
