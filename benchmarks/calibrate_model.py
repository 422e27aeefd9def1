"""Calibrate a saved model: fit its temperature on validation, choose its "not sure" threshold, write both to its JSON.

python benchmarks/calibrate_model.py [--model models/fer_vgg_bn_cpu.keras] [--data $FER2013_DIR] [--seed 42]
                                     [--target-accuracy 0.8] [--dry-run]

The validation split is the training run's (10 % of train/, stratified, with the run's seed); test/ (PublicTest) is
only reported. The block goes under "calibration" in the JSON with the model file's stem, which fer-predict reads.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import fer_helpers.quiet  # noqa: F401  (drops TensorFlow's start-up lines; import it before TensorFlow)
from fer_helpers.data.dataset import load_fer2013
from fer_helpers.evaluation.calibration import CALIBRATION_KEY, DEFAULT_TARGET_ACCURACY, calibration_block
from fer_helpers.evaluation.metrics import predict_probabilities
from fer_helpers.models.files import load_trained_model
from fer_helpers.models.shipped import shipped_model_path
from fer_helpers.provenance import provenance, write_json


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=shipped_model_path())
    parser.add_argument("--data", help="FER2013 (default: as the course finds it)")
    parser.add_argument("--seed", type=int, help="seed of the validation split (default: the run's, from its JSON)")
    parser.add_argument("--target-accuracy", type=float, default=DEFAULT_TARGET_ACCURACY)
    parser.add_argument("--dry-run", action="store_true", help="print the block, write nothing")
    return parser.parse_args()


def print_block(block: dict) -> None:
    print(f"temperature {block['temperature']:.4f} (fitted on validation); ECE over {block['bins']} bins")
    for split in ("validation", "test"):
        before, after = block[split]["before"], block[split]["after"]
        print(
            f"{split:>10} ({block[split]['faces']} faces): ECE {before['ece']:.4f} -> {after['ece']:.4f}  "
            f"NLL {before['nll']:.4f} -> {after['nll']:.4f}  "
            f"accuracy {before['accuracy']:.4f} -> {after['accuracy']:.4f}"
        )
    abstain = block["abstain"]
    print(f"not sure below {abstain['min_confidence']:.4f} (target {abstain['target_accuracy']:.0%} on validation):")
    for split in ("validation", "test"):
        print(f"{split:>10}: answers {abstain[split]['coverage']:.1%} of faces, {abstain[split]['accuracy']:.1%} right")


def main() -> int:
    args = parse_args()
    json_path = args.model.with_suffix(".json")
    if not args.model.is_file():
        only_json = " (only its JSON does)" if json_path.is_file() else ""
        print(f"{args.model} does not exist{only_json}: nothing to calibrate.")
        return 0
    record = json.loads(json_path.read_text()) if json_path.is_file() else {}
    seed = args.seed if args.seed is not None else record.get("training", {}).get("seed", 42)
    data = load_fer2013(args.data, seed=seed)
    if data.is_synthetic and not args.dry_run:
        print("The generated sample is not FER2013: rerun with --dry-run, or point --data at FER2013.")
        return 2
    recorded_val = record.get("data", {}).get("val_images")
    if recorded_val is not None and recorded_val != len(data.val):
        print(f"Warning: the run recorded {recorded_val} validation faces, this split has {len(data.val)}.")
    model = load_trained_model(args.model)
    start = time.perf_counter()
    val_probabilities = predict_probabilities(model, data.val.images)
    test_probabilities = predict_probabilities(model, data.test.images)
    print(f"predicted {len(data.val) + len(data.test)} faces in {time.perf_counter() - start:.1f} s")
    block = calibration_block(
        val_probabilities, data.val.labels, test_probabilities, data.test.labels, target_accuracy=args.target_accuracy
    )
    block["command"] = "python benchmarks/calibrate_model.py " + " ".join(sys.argv[1:])
    block["data"] = {
        "source": data.source,
        "validation": f"{len(data.val)} faces: {len(data.val) / (len(data.train) + len(data.val)):.0%} of train/, "
        f"stratified, seed {seed} (the training run's split)",
        "test": f"{len(data.test)} faces of test/ (FER2013 PublicTest), only reported",
    }
    block["provenance"] = provenance()
    print_block(block)
    recorded_test = record.get("test", {}).get("accuracy")
    if recorded_test is not None:
        print(f"recorded test accuracy {recorded_test:.4f}, measured now {block['test']['before']['accuracy']:.4f}")
    if not args.dry_run:
        record[CALIBRATION_KEY] = block
        print(f"wrote the calibration block to {write_json(record, json_path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
