"""The one setup call every notebook makes: versions, Colab, GPU, profile and data source."""

from __future__ import annotations

import sys

import fer_helpers.quiet  # noqa: F401  (before TensorFlow: keeps its start-up log out of the notebook)
from fer_helpers.provenance import gpu_names, in_colab
from fer_helpers.versions import dependency_floors, too_old


def check_versions() -> None:
    """Raise ``RuntimeError`` naming every installed dependency older than the floor pyproject.toml declares."""
    problems = too_old(dependency_floors())
    if problems:
        raise RuntimeError(
            f"Too old for this course: {', '.join(problems)}. Run `pip install -U 'fer-course[dev]'`, then restart "
            "the kernel (in Colab: Runtime > Restart session)."
        )


def setup_notebook(seed: int = 42) -> dict[str, str]:
    """Check versions, seed everything, report Colab/GPU, the active profile and the data source; return them."""
    check_versions()
    import keras
    import tensorflow as tf

    from fer_helpers.data.dataset import resolve_source
    from fer_helpers.profiles import default_profile_name

    keras.utils.set_random_seed(seed)
    gpus = gpu_names()
    kind, location = resolve_source()
    info = {
        "python": sys.version.split()[0],
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "colab": str(in_colab()),
        "gpu": ", ".join(gpus) or "none",
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
