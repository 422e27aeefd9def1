"""The one canonical list of FER2013 expression classes and its two spellings.

Kaggle's folder layout names classes by word (``train/angry/...``); the original
``fer2013.csv`` numbers them 0-6 in a *different* order. Everything in the course
uses :data:`CLASS_NAMES` order (alphabetical, the order Keras gives folders).
"""

from __future__ import annotations

CLASS_NAMES: tuple[str, ...] = (
    "angry",
    "disgust",
    "fear",
    "happy",
    "neutral",
    "sad",
    "surprise",
)
"""Class names in label order: label ``i`` means ``CLASS_NAMES[i]``."""

NUM_CLASSES = len(CLASS_NAMES)

CSV_EMOTION_NAMES: dict[int, str] = {
    0: "angry",
    1: "disgust",
    2: "fear",
    3: "happy",
    4: "sad",
    5: "surprise",
    6: "neutral",
}
"""The ``emotion`` column of ``fer2013.csv``: id -> class name (note: 4 is sad, 6 is neutral)."""

CLASS_INDEX: dict[str, int] = {name: i for i, name in enumerate(CLASS_NAMES)}
"""Class name -> label index in :data:`CLASS_NAMES` order."""


def label_from_csv_emotion(emotion_id: int) -> int:
    """Return the course label for a ``fer2013.csv`` emotion id (raises KeyError if unknown)."""
    return CLASS_INDEX[CSV_EMOTION_NAMES[emotion_id]]
