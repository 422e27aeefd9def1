"""Record what produced a model or a metric (versions, machine, git commit, time) and write such records as JSON."""

from __future__ import annotations

import datetime as dt
import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from fer_helpers import atomic_files

PACKAGES = ("fer-course", "tensorflow", "keras", "jax", "torch", "numpy", "scipy", "scikit-learn", "pillow")
COMMIT_ENV_VAR = "FER_GIT_COMMIT"
"""Names the commit where the code runs from a copy without ``.git`` (a rented GPU machine, say)."""


def in_colab() -> bool:
    """Return True when running inside Google Colab."""
    return "google.colab" in sys.modules


def package_versions() -> dict[str, str]:
    """Return the installed versions of the packages that matter for results."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def cpu_name() -> str:
    """Return the CPU model name (from /proc/cpuinfo where available)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def gpu_names() -> list[str]:
    """Return the names of the GPUs that Keras's backend sees (empty on a CPU-only machine)."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return [device.device_kind for device in jax.devices() if device.platform == "gpu"]
    if backend == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    import tensorflow as tf

    return [
        tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name)
        for gpu in tf.config.list_physical_devices("GPU")
    ]


def machine_description() -> dict[str, object]:
    """Return the machine: OS, CPU model and core count, Keras backend, and GPU names if the backend sees any."""
    import os

    import keras

    return {
        "platform": platform.platform(),
        "cpu": cpu_name(),
        "cpu_cores": os.cpu_count(),
        "keras_backend": keras.backend.backend(),
        "gpus": gpu_names(),
    }


def git_commit(path: Path | None = None) -> str:
    """Return the current git commit (with ``-dirty`` if there are uncommitted changes), else ``$FER_GIT_COMMIT``.

    Outside a git checkout and without that variable it returns ``unknown``.
    """
    import os

    fallback = os.environ.get(COMMIT_ENV_VAR, "unknown")
    cwd = path or Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return fallback
    return commit + ("-dirty" if dirty else "")


def provenance() -> dict[str, object]:
    """Return versions, machine, git commit and a UTC timestamp, for JSON next to a model or metric."""
    return {
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": package_versions(),
        "machine": machine_description(),
        "git_commit": git_commit(),
    }


def write_json(data: dict, path: str | Path) -> Path:
    """Write ``data`` as indented JSON to ``path`` (creating folders) atomically, and return the path."""
    return atomic_files.write_text(path, json.dumps(data, indent=2) + "\n")
