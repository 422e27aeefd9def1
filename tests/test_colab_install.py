"""Colab without a checkout: the built wheel alone, in a fresh virtual environment, run from an empty folder with a
fake ``google.colab``, gives notebook 05 the course's shipped model rather than a smoke model trained on the spot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from fer_helpers.models.shipped import SHIPPED_MODEL, SMOKE_FALLBACK_NOTE

tomllib = pytest.importorskip("tomllib")
ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "05_evaluation.ipynb"
COLAB_SESSION = """
import json, os, subprocess, sys, types

sys.modules["google.colab"] = types.ModuleType("google.colab")  # what the notebooks look for
installs, real_run = [], subprocess.run


def run_but_pip_install(command, *args, **kwargs):
    if list(command[1:4]) == ["-m", "pip", "install"]:  # the setup cell's install: done already, by the wheel
        installs.append(command)
        return subprocess.CompletedProcess(command, 0)
    return real_run(command, *args, **kwargs)


subprocess.run = run_but_pip_install
namespace = {}
for cell in json.load(open(sys.argv[1]))["cells"]:  # notebook 05's code cells, up to the one that loads the model
    if cell["cell_type"] == "code":
        source = "".join(cell["source"])
        exec(compile(source, "notebook 05", "exec"), namespace)
        if "load_course_model(" in source:
            break
import fer_helpers
from fer_helpers.evaluation.recorded_metrics import load_recorded_metrics
print(json.dumps({
    "installs": installs, "description": namespace["description"], "parameters": namespace["model"].count_params(),
    "package": fer_helpers.__file__, "recorded": sorted(load_recorded_metrics()[0]), "cwd": os.getcwd(),
}))
"""


def run(*command: str | Path, **kwargs) -> str:
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.mark.slow
def test_the_wheel_alone_gives_notebook_05_the_shipped_model(tmp_path: Path):
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path / "dist", ROOT, timeout=600)
    (wheel,) = (tmp_path / "dist").glob("fer_course-*.whl")
    with zipfile.ZipFile(wheel) as contents:
        assert f"fer_helpers/shipped_models/{SHIPPED_MODEL.name}" in contents.namelist()

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel, timeout=600)
    # TensorFlow and the other dependencies come from this environment through a path line, which (unlike this
    # environment's own .pth files) does not bring the checkout's editable install along
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    content = tmp_path / "content"  # Colab's empty working folder
    content.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "FER2013_DIR")}
    output = run(python, "-c", COLAB_SESSION, NOTEBOOK, cwd=content, env=env, timeout=600)
    session = json.loads(output.strip().splitlines()[-1])

    url = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    assert session["installs"] == [[str(python), "-m", "pip", "install", "-q", f"fer-course[download] @ git+{url}"]]
    assert Path(session["package"]).is_relative_to(site), "fer_helpers came from the wheel, not the checkout"
    assert SMOKE_FALLBACK_NOTE not in session["description"]
    assert session["description"].startswith("the course's shipped model (") and site in session["description"]
    shipped = json.loads((ROOT / SHIPPED_MODEL.with_suffix(".json")).read_text())
    assert session["parameters"] == shipped["parameters"]
    assert session["recorded"] == ["baseline (seed CNN)", "vgg_bn (improved)"]


def test_a_failed_install_in_colab_says_where_and_what_to_do(tmp_path: Path):
    """The first cell, in a Colab stand-in whose pip cannot reach the course: one short message, no traceback."""
    cell = next(c for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code")
    missing = (tmp_path / "fer_course-0.1.0-py3-none-any.whl").as_uri()  # no such wheel: pip fails as for a bad URL
    session = 'import sys, types\nsys.modules["google.colab"] = types.ModuleType("google.colab")\n'
    env = {**os.environ, "FER_COURSE_WHEEL": missing}
    result = subprocess.run(
        [sys.executable, "-c", session + "".join(cell["source"])], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == f"Could not install the course from {missing}. A fork? Run `make repository-url`, then push."
    assert "Traceback" not in result.stderr
