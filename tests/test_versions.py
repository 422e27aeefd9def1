"""The minimum versions: parsed from the installed metadata, checked by setup_notebook, pinned by make test-oldest."""

from __future__ import annotations

import pytest

from fer_helpers import notebook_setup, versions


def test_floors_of_splits_runtime_and_extras():
    requirements = [
        "keras>=3.9",
        "numpy>=1.26,<3",
        "opencv-python-headless<5,>=4.8",
        "Pillow",
        'ruff>=0.9; extra == "dev"',
        'kagglehub>=0.3; extra == "download"',
        'old-backport>=1.0; python_version < "3.0"',
    ]
    assert versions.floors_of(requirements) == {"keras": "3.9", "numpy": "1.26", "opencv-python-headless": "4.8"}
    assert versions.floors_of(requirements, "dev") == {"ruff": "0.9"}


def test_too_old_names_each_installed_dependency_below_its_floor():
    assert versions.too_old({"numpy": "1.0", "not-installed-anywhere": "1.0"}) == []
    (problem,) = versions.too_old({"numpy": "999.0", "pytest": "1.0"})
    assert problem.startswith("numpy ") and problem.endswith(" < 999.0")
    assert versions.too_old({"numpy": "1.10"}) == []  # 2.x > 1.10 > 1.9: versions compare as numbers


def test_setup_notebook_refuses_versions_below_the_floors(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(notebook_setup, "dependency_floors", lambda: {"numpy": "999.0"})
    with pytest.raises(RuntimeError, match=r"Too old for this course: numpy .* < 999\.0.*pip install -U"):
        notebook_setup.check_versions()
    monkeypatch.setattr(notebook_setup, "dependency_floors", lambda: {"numpy": "1.0"})
    notebook_setup.check_versions()


def test_oldest_constraints_pin_each_floor_to_its_series(monkeypatch: pytest.MonkeyPatch):
    requirements = ["keras>=3.9", "opencv-python-headless<5,>=4.8", 'pytest>=8.0; extra == "dev"']
    monkeypatch.setattr(versions.metadata, "requires", lambda name: requirements)
    assert versions.oldest_constraints([]) == ["keras==3.9.*", "opencv-python-headless==4.8.*"]
    assert versions.oldest_constraints(["dev"])[-1] == "pytest==8.0.*"
