"""Augmentation and the input pipeline (notebook 02): random affine warps and erasing, then ``tf.data``."""

from fer_helpers.augmentation.layers import RandomAffine, baseline_augmentation, build_augmentation
from fer_helpers.augmentation.pipeline import as_model_input, make_dataset

__all__ = ["RandomAffine", "as_model_input", "baseline_augmentation", "build_augmentation", "make_dataset"]
