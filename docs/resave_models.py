"""Re-save the shipped models with an older Keras, so that every Keras from that one on loads them.

A ``.keras`` file holds each layer's config as the saving Keras wrote it; Keras 3.15 writes keys (an initializer's
``input_axes``, for instance) that Keras 3.14 and older reject, while a newer Keras reads an older file. So the
shipped models are written by the oldest Keras the course supports. Run this script with that Keras (in a
throw-away environment: ``KERAS_BACKEND=tensorflow``, tensorflow 2.20 and keras 3.10), from the repository root:

    python docs/resave_models.py models/fer_vgg_bn_cpu.keras [...]          (rewrites each file in place)
    python docs/resave_models.py --check ORIGINAL.keras models/fer_vgg_bn_cpu.keras   (in the course's environment)

It drops the config keys this Keras rejects (one by one, as loading names them), loads the weights unchanged and
saves the model again. ``--check`` compares a re-saved file with its original: same weights, bit for bit, and the
same predictions on 140 generated faces (and 359 FER2013 test faces when ``FER2013_DIR`` is set).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path


def drop_key(config: object, key: str) -> int:
    """Remove ``key`` from every dict inside ``config`` (in place); return how many were removed."""
    removed = 0
    if isinstance(config, dict):
        if key in config:
            del config[key]
            removed += 1
        for value in config.values():
            removed += drop_key(value, key)
    elif isinstance(config, list):
        for value in config:
            removed += drop_key(value, key)
    return removed


def rewrite_config(source: Path, target: Path, config: dict) -> None:
    """Copy the ``.keras`` zip ``source`` to ``target`` with ``config.json`` replaced by ``config``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = json.dumps(config).encode() if item.filename == "config.json" else old.read(item.filename)
            new.writestr(item, data)


def load_with_this_keras(path: Path, work: Path):
    """Return the model at ``path`` loaded by this Keras, dropping each config key it rejects; print the keys."""
    import keras

    with zipfile.ZipFile(path) as contents:
        config = json.loads(contents.read("config.json"))
    candidate = path
    for attempt in range(50):
        try:
            return keras.models.load_model(candidate, compile=False)
        except (TypeError, ValueError) as err:  # Keras wraps the layer's TypeError in its own ValueError
            keys = re.findall(r"unexpected keyword argument '(\w+)'", str(err))
            for passed in re.findall(r"Unrecognized keyword arguments passed to \w+: \{([^}]*)\}", str(err)):
                keys += re.findall(r"'(\w+)':", passed)
            if not keys:
                raise
            for key in dict.fromkeys(keys):
                dropped = drop_key(config, key)
                print(f"{path}: Keras {keras.__version__} rejects the config key {key!r}: {dropped} dropped")
            candidate = work / f"stripped_{attempt}.keras"
            rewrite_config(path, candidate, config)
    raise RuntimeError(f"{path}: too many rejected config keys")


def resave(path: Path) -> None:
    """Re-save ``path`` in place with this Keras (weights unchanged)."""
    import keras

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        model = load_with_this_keras(path, work)
        written = work / path.name
        model.save(written)
        shutil.copyfile(written, path)
    print(f"{path}: saved by Keras {keras.__version__}")


def check(original: Path, resaved: Path) -> None:
    """Assert that ``resaved`` holds ``original``'s weights bit for bit and predicts the same on 500 faces."""
    import numpy as np

    from fer_helpers.data.synthetic import EXPRESSIONS, draw_face
    from fer_helpers.models.files import load_trained_model

    old, new = load_trained_model(original), load_trained_model(resaved)
    old_weights, new_weights = old.get_weights(), new.get_weights()
    assert len(old_weights) == len(new_weights)
    assert all(np.array_equal(a, b) for a, b in zip(old_weights, new_weights, strict=True)), "weights differ"
    rng = np.random.default_rng(0)
    faces = np.stack([draw_face(EXPRESSIONS[name], rng) for name in EXPRESSIONS for _ in range(20)])
    import os

    if os.environ.get("FER2013_DIR"):
        from fer_helpers.data.folder_layout import load_split

        faces = np.concatenate([faces, load_split(Path(os.environ["FER2013_DIR"]), "test").images[::10][:360]])
    x = faces[..., None].astype("float32")
    a, b = old.predict(x, verbose=0), new.predict(x, verbose=0)
    same = np.mean(a.argmax(1) == b.argmax(1))
    print(f"{resaved}: weights identical; {len(faces)} faces, same class for {same:.1%}, ", end="")
    print(f"largest probability difference {np.abs(a - b).max():.3g}")
    assert np.array_equal(a, b), "predictions differ"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", type=Path, metavar="ORIGINAL", help="compare the re-saved file with ORIGINAL")
    parser.add_argument("models", type=Path, nargs="+")
    args = parser.parse_args()
    if args.check:
        for model in args.models:
            check(args.check, model)
        return 0
    for model in args.models:
        resave(model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
