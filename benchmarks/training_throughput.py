"""Training images/s of a model fed by the full input pipeline (with augmentation) vs. in-memory tensors.

All feeds train the same compiled model (on JAX and PyTorch the augmented feed trains a copy with the
augmentation layers in front) inside one ``model.fit`` call each; a callback times the steps
after ``--warmup`` batches, so graph tracing is excluded. A third feed, the pipeline without augmentation,
splits the overhead into batching and augmentation. The pipeline's per-epoch start-up (filling the shuffle
buffer) is timed separately and folded into a whole-epoch figure. Prints the rates and the pipeline
overhead (1 - pipeline rate / tensor rate). Uses FER2013 when found (``$FER2013_DIR`` or ``data/fer2013``),
else the generated sample. Runs on any Keras backend (``KERAS_BACKEND``): tf.data on TensorFlow, the
``PyDataset`` pipeline elsewhere, with the augmentation inside the train step as training does there.
Not a test: it prints measured numbers.

    python benchmarks/training_throughput.py [--profile cpu|gpu] [--arch NAME] [--steps 100] [--batch-size N]
                                             [--augment course|baseline]
"""

from __future__ import annotations

import argparse
import os
import time

import keras
import numpy as np

import fer_helpers.quiet  # noqa: F401  (drops TensorFlow's start-up lines; import it before TensorFlow)
from fer_helpers.augmentation.layers import baseline_augmentation, build_augmentation
from fer_helpers.augmentation.pipeline import as_model_input, make_dataset
from fer_helpers.data.dataset import load_fer2013
from fer_helpers.models.builders import build_model
from fer_helpers.profiles import get_profile
from fer_helpers.provenance import cpu_name, gpu_names
from fer_helpers.training.fit import augments_inside_model, with_augmentation
from fer_helpers.training.optim import compile_model


class StepTimer(keras.callbacks.Callback):
    """Times the training batches from batch ``warmup`` to the end of the epoch."""

    def __init__(self, warmup: int) -> None:
        super().__init__()
        self.warmup, self.start, self.seconds = warmup, 0.0, 0.0

    def on_train_batch_begin(self, batch: int, logs=None) -> None:
        if batch == self.warmup:
            self.start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self.seconds = time.perf_counter() - self.start


def images_per_second(model: keras.Model, data, steps: int, batch_size: int, warmup: int) -> float:
    """Return training images/s over ``steps`` batches after ``warmup`` batches (data: a dataset or (x, y))."""
    timer = StepTimer(warmup)
    if isinstance(data, tuple):
        x, y = data
        model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0, callbacks=[timer])
    else:
        if not hasattr(data, "repeat") and len(data) < warmup + steps:  # a PyDataset runs one epoch at most
            raise SystemExit(f"The data give {len(data)} batches an epoch: ask for fewer than --warmup + --steps.")
        data = data.repeat() if hasattr(data, "repeat") else data
        model.fit(data, steps_per_epoch=warmup + steps, epochs=1, shuffle=False, verbose=0, callbacks=[timer])
    return steps * batch_size / timer.seconds


def first_batch_seconds(dataset) -> float:
    """Return the seconds a fresh iterator takes to deliver its first batch (the per-epoch start-up)."""
    start = time.perf_counter()
    next(iter(dataset))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=("cpu", "gpu"), default="cpu", help="compile settings and defaults")
    parser.add_argument("--arch", help="the architecture (default: the profile's)")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--batch-size", type=int, help="default: the profile's")
    parser.add_argument("--repeats", type=int, default=2, help="alternate the two feeds this many times; best of each")
    parser.add_argument(
        "--augment",
        choices=("course", "baseline"),
        default="course",
        help="the course's pipeline or the seed project's 3 warps",
    )
    args = parser.parse_args()
    profile = get_profile(args.profile)
    args.arch = args.arch or profile.model
    args.batch_size = args.batch_size or profile.batch_size

    data = load_fer2013(progress=False)
    train = data.train
    needed = (args.warmup + args.steps) * args.batch_size
    idx = np.resize(np.arange(len(train)), needed)  # repeat the data if the sample is small
    x, y = as_model_input(train.images[idx]), train.labels[idx]
    keras.utils.set_random_seed(0)
    augmentation = build_augmentation() if args.augment == "course" else baseline_augmentation()
    # As in training: TensorFlow augments in the tf.data pipeline, JAX and PyTorch inside the train step.
    on_device = augments_inside_model()
    if profile.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    model = compile_model(build_model(args.arch), profile)
    augmented_model = model
    if on_device:
        augmented_model = compile_model(with_augmentation(build_model(args.arch), augmentation), profile)
    keras.mixed_precision.set_global_policy("float32")
    epoch_ds = make_dataset(train, args.batch_size, training=True, augmentation=None if on_device else augmentation)
    plain_ds = make_dataset(train, args.batch_size, training=True)
    first_batch_seconds(epoch_ds)  # fills the cache once, as the first epoch of training does
    startup = min(first_batch_seconds(epoch_ds) for _ in range(3))

    tensor_rates, plain_rates, pipeline_rates = [], [], []
    for _ in range(args.repeats):
        tensor_rates.append(images_per_second(model, (x, y), args.steps, args.batch_size, args.warmup))
        plain_rates.append(images_per_second(model, plain_ds, args.steps, args.batch_size, args.warmup))
        pipeline_rates.append(images_per_second(augmented_model, epoch_ds, args.steps, args.batch_size, args.warmup))
    tensor_rate, plain_rate, pipeline_rate = max(tensor_rates), max(plain_rates), max(pipeline_rates)
    epoch_tensor = len(train) / tensor_rate
    epoch_pipeline = len(train) / pipeline_rate + startup
    print(
        f"machine: {cpu_name()}, {os.cpu_count()} cores, GPUs {gpu_names() or 'none'}; Keras backend "
        f"{keras.backend.backend()}; data: {data.source}; model: {args.arch}; {args.profile} profile, batch "
        f"{args.batch_size}; {args.augment} augmentation; {args.steps} timed steps after {args.warmup}, "
        f"best of {args.repeats}"
    )
    print(f"in-memory tensors (no augmentation): {tensor_rate:8.1f} images/s")
    print(f"input pipeline, no augmentation:     {plain_rate:8.1f} images/s")
    print(f"input pipeline + augmentation:       {pipeline_rate:8.1f} images/s")
    print(f"pipeline overhead, steady state:     {100 * (1 - pipeline_rate / tensor_rate):8.1f} %")
    print(f"pipeline start-up per epoch (shuffle buffer): {startup:.2f} s")
    print(
        f"one epoch of {len(train)} faces: {epoch_tensor:.1f} s from tensors, {epoch_pipeline:.1f} s through the "
        f"pipeline; overhead {100 * (1 - epoch_tensor / epoch_pipeline):.1f} %"
    )


if __name__ == "__main__":
    main()
