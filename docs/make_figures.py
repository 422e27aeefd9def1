"""Regenerate the README's figures in docs/ from a finished run and the data.

    python docs/make_figures.py --run runs/cpu_vgg_bn_refit --curves-run runs/cpu_vgg_bn_v3 \
        --model models/fer_vgg_bn_cpu.keras

FER2013 faces themselves are never written here (the project commits no FER2013 images or pixels derived from
them): the class counts, learning curves and confusion matrix come from FER2013 and the real run, while the
face grids (augmentation, Grad-CAM) show the generated sample, and say so.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from fer_helpers.augmentation.layers import build_augmentation  # noqa: E402
from fer_helpers.data.classes import CLASS_NAMES  # noqa: E402
from fer_helpers.data.dataset import load_fer2013  # noqa: E402
from fer_helpers.models.files import load_trained_model  # noqa: E402
from fer_helpers.plots import (  # noqa: E402
    plot_augmentation_grid,
    plot_class_distribution,
    plot_confusion_matrix,
    plot_gradcam_grid,
    plot_learning_curves,
    save_figure,
)
from fer_helpers.training.run_folder import read_history  # noqa: E402

DOCS = Path(__file__).resolve().parent


def one_face_per_class(data) -> tuple[np.ndarray, np.ndarray]:
    """Return the first test face of every class and its label."""
    picks = [int(np.flatnonzero(data.test.labels == k)[0]) for k in range(len(CLASS_NAMES))]
    return data.test.images[picks], data.test.labels[picks]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="a fer-train output folder (history.csv, metrics.json)")
    parser.add_argument(
        "--curves-run",
        type=Path,
        help="the fer-train folder whose learning curves to draw (default: --run; a --refit run has no validation)",
    )
    parser.add_argument("--model", type=Path, required=True, help="the model whose Grad-CAM to draw")
    args = parser.parse_args()

    real = load_fer2013(progress=False, verbose=False)
    if real.is_synthetic:
        raise SystemExit("docs figures need FER2013: set FER2013_DIR")
    splits = {"train": real.train, "validation": real.val, "test": real.test}
    save_figure(plot_class_distribution(splits, "FER2013 faces per class"), DOCS / "class_distribution.png", dpi=80)
    history = read_history((args.curves_run or args.run) / "history.csv")
    save_figure(plot_learning_curves(history), DOCS / "learning_curves.png", dpi=80)
    metrics = json.loads((args.run / "metrics.json").read_text())
    title = f"{metrics['model']} on FER2013 PublicTest (accuracy {metrics['accuracy']:.1%})"
    confusion = plot_confusion_matrix(metrics["test"]["confusion_matrix"], normalise=True, title=title)
    save_figure(confusion, DOCS / "confusion_matrix.png", dpi=80)

    generated = load_fer2013("synthetic", progress=False, verbose=False)
    faces, labels = one_face_per_class(generated)
    augment = build_augmentation(seed=3)
    layers = {layer.name: layer for layer in augment.layers} | {"all together": augment}
    save_figure(plot_augmentation_grid(faces, layers), DOCS / "augmentation_grid.png", dpi=50)
    model = load_trained_model(args.model)
    gradcam = plot_gradcam_grid(
        model, faces, labels, suptitle="Grad-CAM of the FER2013 model on generated faces (not real people)"
    )
    save_figure(gradcam, DOCS / "grad_cam_grid.png", dpi=80)
    print("figures written to", DOCS)


if __name__ == "__main__":
    main()
