"""Errors and warnings raised for bad input data, each naming the file and the fix."""

from __future__ import annotations


class FERDataError(ValueError):
    """Input data that cannot be used; the message names the path (or CSV line) and the fix."""


class FERDataWarning(UserWarning):
    """Input data that was usable after a conversion (RGB to gray, resized, skipped file)."""


class ModelFileError(ValueError):
    """A model file that is missing or cannot be loaded as a Keras model."""
