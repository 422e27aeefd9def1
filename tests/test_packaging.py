"""pyproject.toml, environment.yml, the installed metadata and the notebooks stay consistent; committed notebooks
carry no stray outputs."""

import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from packaging.version import Version

from fer_helpers.versions import dependency_floors, floors_of

ROOT = Path(__file__).resolve().parents[1]
tomllib = pytest.importorskip("tomllib")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def requirement_name(spec: str) -> str:
    return re.split(r"[<>=!~\[ ;]", spec.strip(), maxsplit=1)[0].lower()


def test_environment_yml_is_python_plus_the_package():
    """environment.yml takes Python from conda and everything else from pyproject.toml: no second dependency list."""
    env_text = (ROOT / "environment.yml").read_text()
    listed = re.findall(r"^\s*-\s+(.+?)\s*$", env_text, re.M)
    assert len([item for item in listed if item.startswith("python")]) == 1
    assert sorted(item for item in listed if not item.startswith("python")) == [
        "-e .[dev]",
        "conda-forge",
        "pip",
        "pip:",
    ]


def test_setup_notebook_checks_the_floors_of_pyproject_toml():
    """The installed metadata, which setup_notebook reads, holds pyproject.toml's floors (else: reinstall)."""
    assert dependency_floors() == floors_of(PROJECT["dependencies"]), "pyproject.toml changed: `make .venv/.installed`"
    assert dependency_floors("dev") == floors_of(PROJECT["optional-dependencies"]["dev"])
    keras_floor = Version(floors_of(PROJECT["dependencies"])["keras"])
    assert keras_floor >= Version("3.9"), "keras.layers.RandomErasing first ships in Keras 3.9"


@pytest.mark.parametrize("model", sorted((ROOT / "models").glob("*.keras")), ids=lambda path: path.name)
def test_the_keras_floor_reads_the_shipped_models(model: Path):
    """Every shipped model loads in the Keras installed here and gives 7 probabilities per face. Under
    ``make test-oldest`` that is the floor of pyproject.toml: a .keras file written by a newer Keras may not load in
    an older one (3.14 rejects 3.15's initializer configs), so the shipped models are written by the floor's series
    (docs/resave_models.py)."""
    import keras

    from fer_helpers.models.files import load_trained_model

    with zipfile.ZipFile(model) as contents:
        saved_with = json.loads(contents.read("metadata.json"))["keras_version"]
    keras_floor = Version(floors_of(PROJECT["dependencies"])["keras"])
    assert keras_floor.release >= Version(saved_with).release[:2], f"{model.name} was saved by Keras {saved_with}"
    loaded = load_trained_model(model)  # raises ModelFileError naming the file when this Keras cannot read it
    faces = np.random.default_rng(0).integers(0, 256, (4, 48, 48, 1)).astype("float32")
    probabilities = np.asarray(loaded(faces, training=False))
    assert probabilities.shape == (4, 7) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-4), keras.__version__


def test_the_shipped_models_install_with_the_package():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"fer_helpers.shipped_models": "models"}
    assert "fer_helpers.shipped_models" in setuptools["packages"]
    assert "*.keras" in setuptools["package-data"]["fer_helpers.shipped_models"]


def test_every_subpackage_is_in_the_wheel():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "fer_helpers").rglob("__init__.py")} - {
        "fer_helpers.__pycache__"
    }
    missing = sorted(folders - set(setuptools["packages"]))
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_every_notebook_and_the_readme_use_the_repository_url_of_pyproject_toml():
    url = PROJECT["urls"]["Repository"]
    owner_repo = url.removeprefix("https://github.com/")
    readme = (ROOT / "README.md").read_text()
    assert f"colab.research.google.com/github/{owner_repo}/blob/main/notebooks/" in readme
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text())["cells"]
        badge = "".join(cells[0]["source"])
        setup = "".join(next(c for c in cells if c["cell_type"] == "code")["source"])  # the first code cell
        fix = f"{path.name}: run `make repository-url` to write {url} into it"
        assert f"colab.research.google.com/github/{owner_repo}/blob/main/notebooks/{path.name})" in badge, fix
        assert f'"git+{url}"' in setup, fix
    everywhere = readme + "".join(path.read_text() for path in NOTEBOOKS)
    assert set(
        re.findall(r"(?:colab\.research\.google\.com/github/|git\+https://github\.com/)([\w.-]+/[\w.-]+)", everywhere)
    ) == {owner_repo}


def test_extras_and_scripts():
    extras = PROJECT["optional-dependencies"]
    dev = {requirement_name(d) for d in extras["dev"]}
    assert {"pytest", "nbval", "jupyterlab", "ipykernel", "ipywidgets", "ruff", "playwright"} <= dev
    assert {requirement_name(d) for d in extras["download"]} == {"kagglehub"}
    assert {"fer-train", "fer-evaluate"} <= set(PROJECT["scripts"])
    assert not any("==" in d for d in PROJECT["dependencies"]), "no exact pins: use compatible lower bounds"


def test_committed_notebooks_store_outputs_only_in_checked_cells():
    assert NOTEBOOKS, "the course has notebooks"
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            checked = "nbval-check-output" in cell["metadata"].get("tags", [])
            checked = checked or "NBVAL_CHECK_OUTPUT" in "".join(cell["source"])  # the old comment form
            if not checked:
                assert not cell.get("outputs"), (
                    f"{path.name}: clear the outputs of cell {''.join(cell['source'])[:60]!r}"
                )
                assert cell.get("execution_count") is None, f"{path.name}: stray execution count"


def test_every_notebook_has_a_checked_cell_and_the_lesson_frame():
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text())["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        code = [c for c in cells if c["cell_type"] == "code"]
        checked = [
            "nbval-check-output" in c["metadata"].get("tags", []) or "NBVAL_CHECK_OUTPUT" in "".join(c["source"])
            for c in code
        ]
        assert any(checked), f"{path.name}: no cell tagged nbval-check-output"
        for heading in ("What you'll do", "What you'll learn", "What you'll need", "Summary", "Exercises"):
            assert heading in text, f"{path.name}: missing section {heading!r}"


def test_every_notebook_starts_with_the_course_first_cell():
    """The first code cell (the Colab install that fails kindly) is docs/set_first_cell.py's, in every notebook."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("set_first_cell", ROOT / "docs" / "set_first_cell.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.first_cell_source(PROJECT["urls"]["Repository"])
    for path in NOTEBOOKS:
        first = next(c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        assert "".join(first["source"]) == expected, f"{path.name}: run `make first-cell`"
    assert "raise SystemExit(" in expected and "FER_COURSE_WHEEL" in expected


def test_the_version_is_written_once():
    import fer_helpers

    assert fer_helpers.__version__ == PROJECT["version"], "pyproject.toml changed: `make .venv/.installed`"
