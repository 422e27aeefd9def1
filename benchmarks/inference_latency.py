"""Single-face CPU inference latency of a saved model (median and 90th percentile over many calls).

python benchmarks/inference_latency.py [--model models/fer_vgg_bn_cpu.keras] [--runs 200]
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import fer_helpers.quiet  # noqa: F401  (drops TensorFlow's start-up lines; import it before TensorFlow)
from fer_helpers.inference.export import latencies_ms
from fer_helpers.models.files import load_trained_model
from fer_helpers.models.shipped import shipped_model_path
from fer_helpers.provenance import cpu_name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(shipped_model_path()))
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    model = load_trained_model(args.model)
    face = np.random.default_rng(0).uniform(0, 255, (1, 48, 48, 1)).astype("float32")
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores; model: {args.model} ({model.count_params():,} parameters)")
    for name, call in (
        ("model(face) eager call", lambda: model(face, training=False)),
        ("model.predict(face)", lambda: model.predict(face, verbose=0)),
    ):
        ms = np.array(latencies_ms(call, args.runs, warmup=10))
        print(f"{name:<24} median {np.median(ms):6.2f} ms   p90 {np.percentile(ms, 90):6.2f} ms   ({args.runs} runs)")


if __name__ == "__main__":
    main()
