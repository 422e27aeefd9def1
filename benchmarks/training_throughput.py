"""Training images/s of a model fed by the full tf.data pipeline (with augmentation) vs. in-memory tensors.

Prints both rates and the pipeline overhead (1 - pipeline rate / tensor rate). Uses FER2013 when found
(``$FER2013_DIR`` or ``data/fer2013``), else the generated sample. Not a test: it prints measured numbers.

    python benchmarks/training_throughput.py [--model vgg_bn] [--steps 60] [--batch-size 64]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from fer_helpers.augmentation import build_augmentation  # noqa: E402
from fer_helpers.dataset import load_fer2013  # noqa: E402
from fer_helpers.models import build_model  # noqa: E402
from fer_helpers.pipeline import as_model_input, make_dataset  # noqa: E402
from fer_helpers.profiles import get_profile  # noqa: E402
from fer_helpers.provenance import cpu_name  # noqa: E402
from fer_helpers.training import compile_model  # noqa: E402


def images_per_second(model: keras.Model, data, steps: int, batch_size: int, warmup: int = 5) -> float:
    """Return training images/s over ``steps`` batches after ``warmup`` batches (data: a dataset or (x, y))."""
    def fit(n: int) -> None:
        if isinstance(data, tuple):
            x, y = data
            model.fit(x[: n * batch_size], y[: n * batch_size], batch_size=batch_size, shuffle=False, verbose=0)
        else:
            model.fit(data.take(n), verbose=0)

    fit(warmup)
    start = time.perf_counter()
    fit(steps)
    return steps * batch_size / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="vgg_bn")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2, help="alternate the two feeds this many times; best of each")
    args = parser.parse_args()

    data = load_fer2013(progress=False)
    profile = get_profile("cpu")
    train = data.train
    needed = (args.steps + 5) * args.batch_size
    idx = np.resize(np.arange(len(train)), needed)  # repeat the data if the sample is small
    x, y = as_model_input(train.images[idx]), train.labels[idx]
    keras.utils.set_random_seed(0)
    model = compile_model(build_model(args.model), profile)
    pipeline = make_dataset(train, args.batch_size, training=True, augmentation=build_augmentation()).repeat()

    tensor_rates, pipeline_rates = [], []
    for _ in range(args.repeats):
        tensor_rates.append(images_per_second(model, (x, y), args.steps, args.batch_size))
        pipeline_rates.append(images_per_second(model, pipeline, args.steps, args.batch_size))
    tensor_rate, pipeline_rate = max(tensor_rates), max(pipeline_rates)
    print(
        f"machine: {cpu_name()}, {os.cpu_count()} cores; data: {data.source}; model: {args.model}; "
        f"batch {args.batch_size}; {args.steps} steps, best of {args.repeats}"
    )
    print(f"in-memory tensors (no augmentation): {tensor_rate:8.1f} images/s")
    print(f"tf.data pipeline + augmentation:     {pipeline_rate:8.1f} images/s")
    print(f"pipeline overhead: {100 * (1 - pipeline_rate / tensor_rate):.1f} %")


if __name__ == "__main__":
    main()
