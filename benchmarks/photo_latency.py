"""One photo end to end, in one process: the course's ``predict_faces`` against ``fer``'s ``detect_emotions``.

python benchmarks/photo_latency.py [--photo PATH] [--model models/fer_vgg_bn_cpu.keras] [--runs 60]

The photo: ``--photo``; else scikit-image's astronaut (512x512, one face) when scikit-image is installed; else the
first FER2013 test face (``$FER2013_DIR``, else ``/tmp/fer2013``) scaled to 256 pixels and pasted into a 512x512
photo. Both sides get the same pixels (RGB for the course, BGR for ``fer``, made once before timing) and are timed
alternately, after warm-up, so that both see the same machine load: detection, cropping and classification of
every face. Then the course's time is split into its parts, next to the slow path photos took before
(``model.predict``-style evaluation code, and Haar looking for faces down to 30 pixels).

``fer`` is not a dependency of the course: ``pip install --no-deps fer`` (its own dependencies would replace
OpenCV and bring PyTorch; it needs only TensorFlow, OpenCV, requests and ``pkg_resources`` for ``detect_emotions``).
Without it, only the course is measured.
"""

from __future__ import annotations

import argparse
import os
import statistics
import timeit
from pathlib import Path

import cv2
import numpy as np

import fer_helpers.quiet  # noqa: F401  (drops TensorFlow's start-up lines; import it before TensorFlow)
from fer_helpers.evaluation.metrics import predict_probabilities
from fer_helpers.inference.classifiers import classify_faces, keras_classifier, tflite_classifier
from fer_helpers.inference.export import convert_to_tflite
from fer_helpers.inference.face_detection import crop_face, detect_faces
from fer_helpers.inference.face_prediction import predict_faces
from fer_helpers.inference.photos import load_photo
from fer_helpers.models.files import load_trained_model
from fer_helpers.models.shipped import shipped_model_path
from fer_helpers.provenance import cpu_name


def test_photo(path: str | None) -> tuple[np.ndarray, str]:
    """Return the RGB photo to measure and what it is."""
    if path:
        return load_photo(path), path
    try:
        from skimage import data

        return data.astronaut(), "scikit-image's astronaut (512x512, one face)"
    except ImportError:
        pass
    root = Path(os.environ.get("FER2013_DIR", "/tmp/fer2013")) / "test" / "happy"
    faces = sorted(root.glob("*.jpg"))
    if not faces:
        raise SystemExit(
            f"No photo: pass --photo PATH, pip install scikit-image, or set FER2013_DIR ({root} is empty)."
        )
    face_file = faces[0]
    face = cv2.resize(cv2.imread(str(face_file), cv2.IMREAD_GRAYSCALE), (256, 256), interpolation=cv2.INTER_CUBIC)
    photo = np.full((512, 512, 3), (96, 120, 150), np.uint8)
    photo[128:384, 128:384] = face[..., None]
    return photo, f"FER2013 {face_file.name} at 256 px in a 512x512 photo"


def alternating_ms(runs: dict[str, object], repeats: int, warmup: int = 5) -> dict[str, list[float]]:
    """Return each call's times in milliseconds: all of ``runs`` one after the other, ``repeats`` rounds after
    ``warmup`` rounds, so that every one sees the same machine load (timeit, one call each)."""
    timers = {name: timeit.Timer(run) for name, run in runs.items()}
    for _ in range(warmup):  # compile, allocate, fill caches
        for timer in timers.values():
            timer.timeit(number=1)
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, timer in timers.items():
            times[name].append(1000 * timer.timeit(number=1))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photo", help="a photo file (default: see above)")
    parser.add_argument("--model", default=str(shipped_model_path()))
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()

    photo, what = test_photo(args.photo)
    model = load_trained_model(args.model)
    load = os.getloadavg()
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(f"photo: {what}; course model: {args.model} ({model.count_params():,} parameters)")

    course = lambda: predict_faces(model, photo)  # noqa: E731
    found = course()
    print(
        f"course: {len(found)} face(s): " + ", ".join(f"{p.label} {p.confidence:.2f} at {tuple(p.box)}" for p in found)
    )
    lite = tflite_classifier(convert_to_tflite(model, quantize=True))  # what fer runs: a TFLite model, int8 weights
    contenders = {"course predict_faces": course, "course, TFLite int8": lambda: predict_faces(lite, photo)}
    try:
        from fer.fer import FER  # (fer 25.10 no longer exports it from the package itself)
    except ImportError as err:
        print(f"fer is not installed ({err}): measuring the course alone (pip install --no-deps fer)")
    else:
        detector = FER()  # its defaults: Haar (scale 1.1, 5 neighbours, faces from 50 px), int8 TFLite model
        bgr = np.ascontiguousarray(photo[..., ::-1])
        theirs = detector.detect_emotions(bgr)
        print(
            f"fer:    {len(theirs)} face(s): "
            + ", ".join(f"{max(f['emotions'], key=f['emotions'].get)}" for f in theirs)
        )
        contenders["fer detect_emotions"] = lambda: detector.detect_emotions(bgr)

    times = alternating_ms(contenders, args.runs)
    print(f"\nend to end, one photo (median of {args.runs} runs, alternating):")
    for name, values in times.items():
        print(f"  {name:<22} {statistics.median(values):7.1f} ms   (p90 {np.percentile(values, 90):6.1f} ms)")

    boxes = detect_faces(photo, min_size=48)
    faces = np.stack([crop_face(photo, box) for box in boxes]) if boxes else np.zeros((1, 48, 48), np.uint8)
    classify = keras_classifier(model)
    parts = {
        "detect: faces from 48 px (predict_faces)": lambda: detect_faces(photo, min_size=48),
        "detect: faces from 30 px (before)": lambda: detect_faces(photo, min_size=30),
        "detect: faces from 50 px (fer's)": lambda: detect_faces(photo, min_size=50),
        "crop_face, every face": lambda: [crop_face(photo, box) for box in boxes],
        "classify: compiled call (now)": lambda: classify_faces(classify, faces),
        "classify: TFLite, int8 weights": lambda: classify_faces(lite, faces),
        "classify: evaluation path (before)": lambda: predict_probabilities(model, faces),
    }
    print(f"\nthe course's parts (median of {args.runs} runs, alternating):")
    for name, values in alternating_ms(parts, args.runs).items():
        print(f"  {name:<40} {statistics.median(values):7.2f} ms")


if __name__ == "__main__":
    main()
