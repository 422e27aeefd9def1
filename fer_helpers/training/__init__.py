"""Training (notebook 04): the loss, optimizer and callbacks, the one ``fit`` path, run folders, the experiment."""

from fer_helpers.training.callbacks import BudgetedCosineSchedule, build_callbacks
from fer_helpers.training.course_model import load_course_model
from fer_helpers.training.experiment import train_and_evaluate
from fer_helpers.training.fit import train_model
from fer_helpers.training.losses import SmoothedSparseCrossentropy, balanced_class_weights
from fer_helpers.training.optim import build_optimizer, compile_model
from fer_helpers.training.run_folder import RunSpec

__all__ = [
    "BudgetedCosineSchedule",
    "RunSpec",
    "SmoothedSparseCrossentropy",
    "balanced_class_weights",
    "build_callbacks",
    "build_optimizer",
    "compile_model",
    "load_course_model",
    "train_and_evaluate",
    "train_model",
]
