"""Choose a saved model's test-time augmentation on the validation split, then report test for the choice only.

Scores no TTA, flip TTA and ten-crop TTA (crops of 44 and of 40 pixels) on the validation split that
``fer-train`` carved for the model (10 % of train/, stratified, ``--seed``), picks the option with the most
validation faces right (a tie keeps the cheaper option, listed first), and only then evaluates that option on
test/ (PublicTest). ``--record`` adds the numbers, with provenance, to the model's JSON as
``test_time_augmentation``. Not a test: it prints measured numbers.

    python benchmarks/tta_choice.py [--model models/fer_vgg_bn_cpu.keras] [--data $FER2013_DIR] [--seed 42]
                                    [--record models/fer_vgg_bn_cpu.json] [--note "what else ran on the machine"]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import fer_helpers.quiet  # noqa: F401  (drops TensorFlow's start-up lines; import it before TensorFlow)
from fer_helpers.data.dataset import load_fer2013
from fer_helpers.data.locate import project_root
from fer_helpers.evaluation.metrics import metrics_from_probabilities, predict_probabilities
from fer_helpers.models.files import load_trained_model
from fer_helpers.models.shipped import SHIPPED_MODEL
from fer_helpers.provenance import provenance, write_json

OPTIONS = {  # name: (TTA mode, crop size), cheapest first
    "none": ("none", None),
    "flip": ("flip", None),
    "ten-crop 44": ("ten-crop", 44),
    "ten-crop 40": ("ten-crop", 40),
}
RULE = (
    "Fixed before measuring: the option with the most validation faces right; a tie keeps the cheaper option "
    "(none, flip, ten-crop 44, ten-crop 40 in that order). Test is evaluated for the chosen option only."
)


def score(model, faces, option: str) -> dict:
    """Return accuracy, faces right, loss, macro F1 and seconds of ``model`` on ``faces`` with the TTA ``option``."""
    mode, crop = OPTIONS[option]
    start = time.perf_counter()
    probs = predict_probabilities(model, faces.images, mode, **({"crop_size": crop} if crop else {}))
    metrics = metrics_from_probabilities(faces.labels, probs)
    return {
        "accuracy": metrics["accuracy"],
        "right": int(round(metrics["accuracy"] * len(faces))),
        "faces": len(faces),
        "loss": metrics["loss"],
        "macro_f1": metrics["macro_f1"],
        "seconds": round(time.perf_counter() - start, 1),
    }


def shown_path(path: str) -> str:
    """Return ``path`` relative to the project root when it lies inside it (for the recorded command)."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(project_root())) if resolved.is_relative_to(project_root()) else path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(project_root() / SHIPPED_MODEL))
    parser.add_argument("--data", help="FER2013 (default: as the course finds it)")
    parser.add_argument("--seed", type=int, default=42, help="the seed of the model's validation split")
    parser.add_argument("--record", type=Path, help="add the results to this JSON (the model's provenance file)")
    parser.add_argument("--note", default="", help="a note on the machine (e.g. what else ran on it)")
    args = parser.parse_args()
    data = load_fer2013(args.data, seed=args.seed, progress=False)
    if data.is_synthetic:
        print("No FER2013 found: these numbers are about the generated sample, not real faces.")
    model = load_trained_model(args.model)
    validation = {}
    for option in OPTIONS:
        validation[option] = score(model, data.val, option)
        v = validation[option]
        print(f"validation, {option:>11}: {v['right']} of {v['faces']} right ({v['accuracy']:.4f}), {v['seconds']} s")
    chosen = max(OPTIONS, key=lambda option: (validation[option]["right"], -list(OPTIONS).index(option)))
    test = score(model, data.test, chosen)
    print(
        f"chosen on validation: {chosen}; test (PublicTest) with it: {test['accuracy']:.4f} ({test['right']} of "
        f"{test['faces']})"
    )
    if args.record:
        record = json.loads(args.record.read_text()) if args.record.is_file() else {}
        record["test_time_augmentation"] = {
            "rule": RULE,
            "validation": validation,
            "chosen": chosen,
            "test_of_chosen": test,
            "data": {
                "source": data.source,
                "validation": f"10% of train/, stratified, seed {args.seed}",
                "test": "test/ (FER2013 PublicTest)",
            },
            "command": f"python benchmarks/tta_choice.py --model {shown_path(args.model)} --seed {args.seed}",
            "note": args.note,
            "provenance": provenance(),
        }
        write_json(record, args.record)
        print(f"Recorded in {args.record}")


if __name__ == "__main__":
    main()
