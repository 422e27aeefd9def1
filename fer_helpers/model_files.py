"""Load a saved Keras model file, with an error that names the file and the fix when it cannot be used."""

from __future__ import annotations

from pathlib import Path

import keras

from fer_helpers.errors import ModelFileError


def load_trained_model(path: str | Path) -> keras.Model:
    """Return the Keras model saved at ``path``; raise :class:`ModelFileError` naming it if missing or invalid."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"Model file {path} does not exist; train one with fer-train or point at models/*.keras.")
    try:
        return keras.models.load_model(path, compile=False)
    except Exception as err:  # Keras raises ValueError, OSError, zipfile errors... for bad files
        raise ModelFileError(f"Cannot load {path} as a Keras model ({err.__class__.__name__}: {err}).") from err
