"""What the run-folder reliability tests share: a small synthetic data set, a quick profile, a simulated kill."""

import dataclasses
from pathlib import Path

import keras
import pytest

from fer_helpers.data import load_fer2013
from fer_helpers.profiles import get_profile


@pytest.fixture(scope="module")
def data(small_synthetic: Path):
    return load_fer2013(small_synthetic, progress=False, verbose=False)


@pytest.fixture(scope="module")
def profile():
    return dataclasses.replace(get_profile("smoke"), model="baseline", subset=1.0)


class StopAfter(keras.callbacks.Callback):
    """Interrupt training at the end of epoch ``after`` (after the backup is saved), as a kill would."""

    def __init__(self, after: int):
        super().__init__()
        self.after = after

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.after:
            raise KeyboardInterrupt(f"stopped after epoch {epoch + 1}")
