"""The networks (notebook 03), transfer learning (notebook 08), saved model files and the course's shipped models."""

from fer_helpers.models.builders import build_model
from fer_helpers.models.files import load_trained_model
from fer_helpers.models.shipped import find_course_model
from fer_helpers.models.transfer import BACKBONES, TRANSFER_IMAGE_SIZE, build_transfer_model

__all__ = [
    "BACKBONES",
    "TRANSFER_IMAGE_SIZE",
    "build_model",
    "build_transfer_model",
    "find_course_model",
    "load_trained_model",
]
