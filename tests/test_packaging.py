"""pyproject.toml and environment.yml stay consistent; committed notebooks carry no stray outputs."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
tomllib = pytest.importorskip("tomllib")


def requirement_name(spec: str) -> str:
    return re.split(r"[<>=!~\[ ;]", spec.strip(), maxsplit=1)[0].lower()


def test_every_runtime_dependency_is_in_environment_yml():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {requirement_name(d) for d in project["dependencies"]}
    env_text = (ROOT / "environment.yml").read_text()
    listed = {requirement_name(m) for m in re.findall(r"^\s*-\s+([A-Za-z][\w.-]*[^\n#]*)", env_text, re.M)}
    missing = runtime - listed
    assert not missing, f"environment.yml lacks runtime dependencies {sorted(missing)} from pyproject.toml"
    assert "-e .[dev]" in env_text


def test_extras_and_scripts():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert {"pytest", "nbval", "jupyterlab", "ipykernel", "ruff"} <= {requirement_name(d) for d in extras["dev"]}
    assert {requirement_name(d) for d in extras["download"]} == {"kagglehub"}
    assert {"fer-train", "fer-evaluate"} <= set(project["scripts"])
    assert not any("==" in d for d in project["dependencies"]), "no exact pins: use compatible lower bounds"


def test_committed_notebooks_store_outputs_only_in_checked_cells():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks, "the course has notebooks"
    for path in notebooks:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            checked = "NBVAL_CHECK_OUTPUT" in "".join(cell["source"])
            if not checked:
                assert not cell.get("outputs"), (
                    f"{path.name}: clear the outputs of cell {''.join(cell['source'])[:60]!r}"
                )
                assert cell.get("execution_count") is None, f"{path.name}: stray execution count"


def test_every_notebook_has_a_checked_cell_and_the_lesson_frame():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
        assert any(src.startswith("# NBVAL_CHECK_OUTPUT") for src in code), f"{path.name}: no NBVAL_CHECK_OUTPUT cell"
        for heading in ("What you'll do", "What you'll learn", "What you'll need", "Summary", "Exercises"):
            assert heading in text, f"{path.name}: missing section {heading!r}"
        assert f"colab.research.google.com/github/fer-course/fer-course/blob/main/notebooks/{path.name}" in text
