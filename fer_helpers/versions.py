"""The course's minimum versions: one table, the requirements in ``pyproject.toml``, read back from the install.

pip copies ``pyproject.toml``'s requirements into the installed package's metadata, so :func:`dependency_floors`
reads that one table wherever the course is installed (a checkout's ``pip install -e``, a wheel, Colab's
``pip install`` from git). ``setup_notebook`` checks the installed versions against it, and ``make test-oldest``
installs every dependency at its floor's release series (``>=X`` as ``==X.*``), which
``python -m fer_helpers.versions --oldest dev`` prints as pip constraints.
"""

from __future__ import annotations

import argparse
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

DISTRIBUTION = "fer-course"
"""The course's own distribution name (``[project] name`` in pyproject.toml)."""


def floors_of(requirements: list[str], extra: str | None = None) -> dict[str, str]:
    """Return ``{name: floor}`` (the ``>=`` version) of the requirements that apply without an extra
    (``extra=None``), or of those of one extra (``'pytest>=8.0; extra == "dev"'`` for ``extra="dev"``)."""
    floors = {}
    for text in requirements:
        requirement = Requirement(text)
        floor = next((spec.version for spec in requirement.specifier if spec.operator == ">="), None)
        marker = requirement.marker
        if extra is None:
            applies = marker is None or marker.evaluate({"extra": ""})
        else:
            applies = marker is not None and marker.evaluate({"extra": extra}) and not marker.evaluate({"extra": ""})
        if floor is not None and applies:
            floors[canonicalize_name(requirement.name)] = floor
    return floors


def dependency_floors(extra: str | None = None) -> dict[str, str]:
    """Return the installed course's floors (runtime, or one extra's); ``{}`` when the course is not installed."""
    try:
        return floors_of(metadata.requires(DISTRIBUTION) or [], extra)
    except metadata.PackageNotFoundError:
        return {}


def too_old(floors: dict[str, str]) -> list[str]:
    """Return one ``"name X < floor"`` line per installed distribution older than its floor (missing ones pass)."""
    problems = []
    for name, floor in floors.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
        if Version(installed) < Version(floor):
            problems.append(f"{name} {installed} < {floor}")
    return problems


def oldest_constraints(extras: list[str]) -> list[str]:
    """Return pip constraints that pin every runtime dependency and those of ``extras`` to its floor's series."""
    floors = dependency_floors()
    for extra in extras:
        floors.update(dependency_floors(extra))
    return [f"{name}=={floor}.*" for name, floor in floors.items()]


def main(argv: list[str] | None = None) -> int:
    """Print the oldest-versions constraints (``--oldest dev``), one per line, for ``make test-oldest``."""
    parser = argparse.ArgumentParser(prog="python -m fer_helpers.versions", description=main.__doc__)
    parser.add_argument("--oldest", nargs="*", default=[], metavar="EXTRA", help="extras to include, e.g. dev")
    args = parser.parse_args(argv)
    constraints = oldest_constraints(args.oldest)
    if not constraints:
        parser.error(f"{DISTRIBUTION} is not installed here: run `pip install -e .` first")
    print("\n".join(constraints))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
