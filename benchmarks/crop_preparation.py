"""How photo faces should be prepared: crop margins and histogram equalisation, on re-detected FER2013 faces.

Each face (every 3rd of the validation split, or every 7th test face with --split test) is pasted, enlarged to
144 px, in the middle of a plain gray 288x288 picture, found again by YuNet (and Haar where this OpenCV has it),
cropped like ``crop_face`` and classified by the shipped model. Printed per detector: how many faces it found; per
crop margin, how often the crop keeps the original 48x48 face's predicted class; and, at the course's margin, the
accuracy with the crop left as it is, equalised (``cv2.equalizeHist``) or with CLAHE, on the picture as pasted and
dimmed (pixels 0-255 mapped to 20-100: a dark, low-contrast photo). ``--photo`` adds a real photo's predictions.

python benchmarks/crop_preparation.py [--split validation|test] [--photo PATH]   (needs FER2013_DIR)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

import fer_helpers
import fer_helpers.quiet  # noqa: F401  (drops TensorFlow's start-up lines; import it before TensorFlow)
from fer_helpers.data.classes import CLASS_NAMES
from fer_helpers.data.dataset import load_fer2013
from fer_helpers.evaluation.metrics import predict_probabilities
from fer_helpers.inference.face_detection import FACE_MARGIN, Box, crop_face
from fer_helpers.models.files import load_trained_model
from fer_helpers.models.shipped import shipped_model_path

YUNET_FILE = Path(fer_helpers.__file__).parent / "assets" / "face_detection_yunet_2023mar.onnx"
MARGINS = (0.0, 0.05, 0.1, 0.2, 0.3)
CLAHE = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 4))
PREPARATIONS = {"none": lambda face: face, "equalizeHist": cv2.equalizeHist, "CLAHE 2.0, 4x4": CLAHE.apply}


def yunet_boxes(rgb: np.ndarray, score_threshold: float = 0.7) -> list[Box]:
    """Return YuNet's boxes in ``rgb`` (the course's settings: score 0.7, NMS 0.3)."""
    height, width = rgb.shape[:2]
    detector = cv2.FaceDetectorYN.create(str(YUNET_FILE), "", (width, height), score_threshold, 0.3)
    rows = detector.detect(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1]
    return [] if rows is None else [Box(*(round(v) for v in row[:4])) for row in rows]


def haar_boxes(rgb: np.ndarray) -> list[Box]:
    """Return the Haar cascade's boxes in ``rgb`` (OpenCV 4's frontal-face cascade, the course's old settings)."""
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    found = cascade.detectMultiScale(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), 1.1, 5, minSize=(30, 30))
    return [Box(*map(int, row)) for row in np.asarray(found).reshape(-1, 4)]


def paste(face: np.ndarray, dim: bool = False, size: int = 144, side: int = 288) -> np.ndarray:
    """Return an RGB picture: ``face`` enlarged in the middle of a plain gray square (``dim``: pixels to 20-100)."""
    picture = np.full((side, side), 128, np.uint8)
    start = (side - size) // 2
    picture[start : start + size, start : start + size] = cv2.resize(face, (size, size), interpolation=cv2.INTER_CUBIC)
    if dim:
        picture = np.round(20 + picture.astype(np.float32) * 80 / 255).astype(np.uint8)
    return np.repeat(picture[..., None], 3, axis=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("validation", "test"), default="validation")
    parser.add_argument("--photo", help="a real photo to classify with each preparation")
    args = parser.parse_args()
    model = load_trained_model(shipped_model_path())
    data = load_fer2013(None, seed=42)
    split = data.val if args.split == "validation" else data.test
    step = 3 if args.split == "validation" else 7
    faces, labels = split.images[::step], split.labels[::step]
    original = predict_probabilities(model, faces).argmax(axis=1)
    print(f"{len(faces)} faces (1 in {step} of the {args.split} split); 48x48 faces as they are:")
    for name, prepare in PREPARATIONS.items():
        predicted = predict_probabilities(model, np.stack([prepare(f) for f in faces])).argmax(axis=1)
        print(f"  {name:<15} accuracy {np.mean(predicted == labels):.3f}")
    detectors = {"yunet": yunet_boxes} | ({"haar": haar_boxes} if hasattr(cv2, "CascadeClassifier") else {})
    for detector, find in detectors.items():
        for dim in (False, True):
            crops: dict[str, list[np.ndarray]] = {name: [] for name in PREPARATIONS}
            by_margin, kept = [], []
            for i, face in enumerate(faces):
                picture = paste(face, dim)
                found = find(picture)
                if found:
                    box = max(found, key=lambda b: b.w * b.h)
                    crop = crop_face(picture, box, FACE_MARGIN)
                    for name, prepare in PREPARATIONS.items():
                        crops[name].append(prepare(crop))
                    by_margin += [crop_face(picture, box, margin) for margin in MARGINS] if not dim else []
                    kept.append(i)
            print(f"{detector}, {'dimmed' if dim else 'as pasted'}: found {len(kept)} of {len(faces)}")
            if by_margin:
                again = predict_probabilities(model, np.stack(by_margin)).argmax(axis=1).reshape(len(kept), -1)
                kept_class = [f"{m:.0%} {np.mean(again[:, j] == original[kept]):.3f}" for j, m in enumerate(MARGINS)]
                print("  margin: original class kept", ", ".join(kept_class))
            for name in PREPARATIONS:
                predicted = predict_probabilities(model, np.stack(crops[name])).argmax(axis=1)
                print(
                    f"  {name:<15} accuracy {np.mean(predicted == labels[kept]):.3f}, "
                    f"original class kept {np.mean(predicted == original[kept]):.3f}"
                )
    if args.photo:
        photo = cv2.cvtColor(cv2.imread(args.photo), cv2.COLOR_BGR2RGB)
        for detector, find in detectors.items():
            for box in find(photo):
                for name, prepare in PREPARATIONS.items():
                    probabilities = predict_probabilities(model, prepare(crop_face(photo, box))[None])[0]
                    top = np.argsort(probabilities)[::-1][:2]
                    print(
                        f"{Path(args.photo).name}, {detector} {tuple(box)}, {name:<15}: "
                        + ", ".join(f"{CLASS_NAMES[t]} {probabilities[t]:.2f}" for t in top)
                    )


if __name__ == "__main__":
    main()
