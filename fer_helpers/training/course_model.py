"""The model a notebook uses by default, trained quickly (smoke profile) when none exists (notebooks 05-07)."""

from __future__ import annotations

from pathlib import Path

import keras

from fer_helpers.data.locate import project_root
from fer_helpers.models.shipped import SMOKE_FALLBACK_NOTE, SMOKE_RUN_DIR, find_course_model


def train_smoke_model(seed: int = 42) -> tuple[keras.Model, Path]:
    """Train a quick ``smoke`` model into its own run folder, ``runs/smoke_fallback`` (later notebooks find it there);
    return it and its file. Notebook 04's ``runs/notebook04`` is the learner's hand-written run, never trained into."""
    from fer_helpers.data.dataset import load_data_for_profile
    from fer_helpers.profiles import get_profile
    from fer_helpers.training.experiment import train_and_evaluate

    out_dir = project_root() / SMOKE_RUN_DIR
    print(f"No trained model found: training a quick smoke-profile model into {out_dir} (see notebook 04).")
    profile = get_profile("smoke")
    result = train_and_evaluate(load_data_for_profile(profile, seed=seed), profile, out_dir, seed=seed, verbose=2)
    return result.run.model, result.model_path


def load_course_model(train_if_missing: bool = True, seed: int = 42) -> tuple[keras.Model, str]:
    """Return ``(model, description)``: :func:`find_course_model`'s model, else a :func:`train_smoke_model` one.

    ``train_if_missing=False`` raises ``ModelFileError`` instead of training.
    """
    from fer_helpers.errors import ModelFileError
    from fer_helpers.models.files import load_trained_model

    path, description = find_course_model()
    if path is not None:
        return load_trained_model(path), description
    if not train_if_missing:
        raise ModelFileError(description)
    model, model_path = train_smoke_model(seed=seed)
    return model, f"{SMOKE_FALLBACK_NOTE} ({model_path})"
