"""Load a saved Keras model file, with an error that names the file and the fix when it cannot be used.

Checks what Keras would otherwise report in its own terms: a file that is not a model at all (Keras says
"File not found" for a text file named ``.keras``), and a model that does not take the course's faces.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import keras

from fer_helpers.data.classes import NUM_CLASSES
from fer_helpers.data.imageset import IMAGE_SIZE
from fer_helpers.errors import ModelFileError

COURSE_INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
MODEL_FIX = "Train one with fer-train or notebook 04, or point at models/*.keras."


def check_model_file(path: Path) -> None:
    """Raise :class:`ModelFileError` naming ``path`` if it is missing or cannot be a Keras model file at all."""
    if not path.exists():
        raise ModelFileError(f"Model file {path} does not exist. {MODEL_FIX}")
    if path.is_dir():
        raise ModelFileError(f"Model path {path} is a folder, not a model file. {MODEL_FIX}")
    size = path.stat().st_size
    if path.suffix.lower() == ".keras" and not zipfile.is_zipfile(path):
        what = "empty" if size == 0 else f"{size:,} bytes, but not a zip archive: a text file or a torn download?"
        raise ModelFileError(
            f"{path} is not a Keras model: a .keras file is a zip archive, and this one is {what} "
            f"Download or save it again. {MODEL_FIX}"
        )
    if path.suffix.lower() in (".h5", ".hdf5"):
        with path.open("rb") as handle:
            if handle.read(len(HDF5_SIGNATURE)) != HDF5_SIGNATURE:
                raise ModelFileError(f"{path} is not an HDF5 model file. Save it again. {MODEL_FIX}")
    elif path.suffix.lower() != ".keras":
        raise ModelFileError(f"{path} is not a .keras (or legacy .h5) file, the formats Keras 3 loads. {MODEL_FIX}")


def check_takes_course_faces(model: keras.Model, path: Path) -> None:
    """Raise :class:`ModelFileError` unless ``model`` takes 48x48x1 faces and gives one probability per class."""
    try:
        inputs, outputs = tuple(model.input_shape[1:]), tuple(model.output_shape[1:])
    except (AttributeError, ValueError) as err:  # a model with several inputs or outputs
        raise ModelFileError(f"{path} does not take one face and give one prediction ({err}). {MODEL_FIX}") from err
    if inputs != COURSE_INPUT_SHAPE:
        raise ModelFileError(
            f"{path} takes {_shape_text(inputs)} faces; the course's take {_shape_text(COURSE_INPUT_SHAPE)} "
            f"(48x48 gray, FER2013's format). {MODEL_FIX}"
        )
    if outputs != (NUM_CLASSES,):
        raise ModelFileError(
            f"{path} gives {_shape_text(outputs)} outputs; the course's models give {NUM_CLASSES} class "
            f"probabilities (angry ... surprise). {MODEL_FIX}"
        )


def load_trained_model(path: str | Path) -> keras.Model:
    """Return the Keras model saved at ``path``; raise :class:`ModelFileError` naming it if it cannot be used.

    The model must take the course's 48x48x1 faces and give 7 class probabilities.
    """
    path = Path(path)
    check_model_file(path)
    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as err:  # Keras raises ValueError, OSError, zipfile errors... for bad files
        raise ModelFileError(
            f"Cannot load {path} as a Keras model ({err.__class__.__name__}: {err}). {MODEL_FIX}"
        ) from err
    check_takes_course_faces(model, path)
    return model


def _shape_text(shape: tuple) -> str:
    """Return a shape as ``48x48x1`` (``?`` for a free dimension)."""
    return "x".join("?" if side is None else str(side) for side in shape)
