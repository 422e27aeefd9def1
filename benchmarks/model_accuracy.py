"""Test accuracy (with and without flip TTA) of a saved model on a data set's test split.

python benchmarks/model_accuracy.py [--model models/fer_vgg_bn_cpu.keras] [--data $FER2013_DIR]
"""

from __future__ import annotations

import argparse
import time

import fer_helpers.quiet  # noqa: F401  (drops TensorFlow's start-up lines; import it before TensorFlow)
from fer_helpers.data.dataset import resolve_source
from fer_helpers.data.folder_layout import load_split
from fer_helpers.evaluation.metrics import evaluate_model
from fer_helpers.models.files import load_trained_model
from fer_helpers.models.shipped import shipped_model_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(shipped_model_path()))
    parser.add_argument("--data", help="folder with test/<class>/* (default: FER2013 as the course finds it)")
    args = parser.parse_args()
    kind, path = resolve_source(args.data)
    if kind == "synthetic":
        print("No FER2013 found: this measures the generated sample, not real faces.")
    faces = load_split(path, "test")
    model = load_trained_model(args.model)
    for tta in ("none", "flip"):
        start = time.perf_counter()
        metrics = evaluate_model(model, faces, tta=tta)
        seconds = time.perf_counter() - start
        print(
            f"{'flip TTA' if tta == 'flip' else 'plain':>8}: accuracy {metrics['accuracy']:.4f}  "
            f"loss {metrics['loss']:.4f}  "
            f"macro F1 {metrics['macro_f1']:.4f}  on {len(faces)} {kind} test faces ({seconds:.1f} s)"
        )


if __name__ == "__main__":
    main()
