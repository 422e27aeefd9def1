"""The minimum versions: parsed from the installed metadata, checked by setup_notebook, pinned by make test-oldest."""

from __future__ import annotations

import pytest

from fer_helpers import notebook_setup, versions


def test_version_tuple_keeps_the_leading_numbers():
    assert versions.version_tuple("2.21.0rc1") == (2, 21, 0)
    assert versions.version_tuple("3.9") == (3, 9)
    assert versions.version_tuple("4.8.1.78") == (4, 8, 1, 78)
    assert versions.version_tuple("1.26.dev0") == (1, 26)
    assert versions.version_tuple("3.10") > versions.version_tuple("3.9")


def test_parse_requirement_reads_name_floor_and_extra():
    assert versions.parse_requirement("tensorflow>=2.18") == ("tensorflow", "2.18", None)
    assert versions.parse_requirement("opencv-python-headless<5,>=4.8") == ("opencv-python-headless", "4.8", None)
    assert versions.parse_requirement('pytest>=8.0; extra == "dev"') == ("pytest", "8.0", "dev")
    assert versions.parse_requirement("Pillow") == ("pillow", None, None)


def test_floors_of_splits_runtime_and_extras():
    requirements = ["keras>=3.9", "numpy>=1.26,<3", 'ruff>=0.9; extra == "dev"', 'kagglehub>=0.3; extra == "download"']
    assert versions.floors_of(requirements) == {"keras": "3.9", "numpy": "1.26"}
    assert versions.floors_of(requirements, "dev") == {"ruff": "0.9"}


def test_too_old_names_each_installed_dependency_below_its_floor():
    assert versions.too_old({"numpy": "1.0", "not-installed-anywhere": "1.0"}) == []
    (problem,) = versions.too_old({"numpy": "999.0", "pytest": "1.0"})
    assert problem.startswith("numpy ") and problem.endswith(" < 999.0")


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
