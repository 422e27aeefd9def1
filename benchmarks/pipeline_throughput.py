"""Images/s of the training input pipeline alone (no model): the most a GPU can be fed by this machine's CPUs.

With Keras's TensorFlow backend (Colab's) the augmentation runs in the parallel ``tf.data`` pipeline on the CPU,
so on a machine with a fast GPU and few cores (free Colab: a T4 and 2 virtual CPUs) the pipeline can be the limit.
Times ``--batches`` batches after ``--warmup`` (the first also fills the cache) for the course's augmentation
(as the ``gpu`` profile sets it) and for the stronger augmentation of the GPU candidates (crops 0.8-1.2, 20 %
shifts, erasing 0.5). Uses FER2013 when found, else the generated sample. Not a test: it prints measured numbers.

    python benchmarks/pipeline_throughput.py [--batch-size 128] [--batches 100] [--warmup 10]
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace

import fer_helpers.quiet  # noqa: F401  (drops TensorFlow's start-up lines; import it before TensorFlow)
from fer_helpers.augmentation.pipeline import make_dataset
from fer_helpers.data.dataset import load_fer2013
from fer_helpers.profiles import get_profile
from fer_helpers.provenance import cpu_name
from fer_helpers.training.fit import augmentation_for


def images_per_second(dataset, batches: int, warmup: int, batch_size: int) -> float:
    """Return images/s over ``batches`` batches drawn after ``warmup`` batches (the dataset repeats)."""
    iterator = iter(dataset.repeat())
    for _ in range(warmup):
        next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    return batches * batch_size / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    data = load_fer2013(progress=False)
    gpu = get_profile("gpu")
    stronger = replace(gpu, shift=0.2, zoom=0.0, crop_scale=(0.8, 1.2), erasing=0.5, erasing_scale=(0.02, 0.33))
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores; data: {data.source}; batch {args.batch_size}")
    for name, profile, augment in (
        ("no augmentation", gpu, "none"),
        ("course augmentation", gpu, "full"),
        ("candidates' augmentation", stronger, "full"),
    ):
        augmentation = augmentation_for(profile, augment, seed=1)
        dataset = make_dataset(data.train, args.batch_size, training=True, augmentation=augmentation)
        rate = images_per_second(dataset, args.batches, args.warmup, args.batch_size)
        print(f"{name:>25}: {rate:8.0f} images/s")


if __name__ == "__main__":
    main()
