"""The one setup call every notebook makes: versions, Colab, GPU, profile and data source."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's start-up chatter

MIN_VERSIONS = {"tensorflow": (2, 16), "keras": (3, 0)}


def in_colab() -> bool:
    """Return True when running inside Google Colab."""
    return "google.colab" in sys.modules


def _version_tuple(version: str) -> tuple[int, ...]:
    """Return the leading numeric parts of a version string ("2.21.0rc1" -> (2, 21, 0))."""
    parts = []
    for piece in version.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def setup_notebook(seed: int = 42) -> dict[str, str]:
    """Check versions, seed everything, report Colab/GPU, the active profile and the data source; return them."""
    import keras
    import tensorflow as tf

    from fer_helpers.dataset import resolve_source
    from fer_helpers.profiles import default_profile_name

    for name, module in (("tensorflow", tf), ("keras", keras)):
        if _version_tuple(module.__version__) < MIN_VERSIONS[name]:
            raise RuntimeError(
                f"{name} {module.__version__} is too old; this course needs {name} >= "
                f"{'.'.join(map(str, MIN_VERSIONS[name]))}: run `pip install -U 'fer-course[dev]'`."
            )
    keras.utils.set_random_seed(seed)
    gpus = tf.config.list_physical_devices("GPU")
    kind, location = resolve_source()
    info = {
        "python": sys.version.split()[0],
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "colab": str(in_colab()),
        "gpu": ", ".join(g.name for g in gpus) or "none",
        "profile": default_profile_name(),
        "data": f"{kind} ({location})",
    }
    for key, value in info.items():
        print(f"{key:>10}: {value}")
    if not gpus:
        print(
            "No GPU found: training runs on the CPU"
            + (" (Colab: Runtime > Change runtime type > GPU)." if in_colab() else ".")
        )
    if kind == "synthetic":
        print("No FER2013 found: the notebook uses the generated sample (cartoon faces, not real people).")
    return info
