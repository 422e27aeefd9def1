"""The course's minimum versions: one table, the requirements in ``pyproject.toml``, read back from the install.

pip copies ``pyproject.toml``'s requirements into the installed package's metadata, so :func:`dependency_floors`
reads that one table wherever the course is installed (a checkout's ``pip install -e``, a wheel, Colab's
``pip install`` from git). ``setup_notebook`` checks the installed versions against it, and ``make test-oldest``
installs every dependency at its floor's release series (``>=X`` as ``==X.*``), which
``python -m fer_helpers.versions --oldest dev`` prints as pip constraints.
"""

from __future__ import annotations

import argparse
import re
from importlib import metadata

DISTRIBUTION = "fer-course"
"""The course's own distribution name (``[project] name`` in pyproject.toml)."""


def version_tuple(version: str) -> tuple[int, ...]:
    """Return the leading numeric parts of a version string ("2.21.0rc1" -> (2, 21, 0))."""
    parts = []
    for piece in version.split("."):
        digits = re.match(r"\d+", piece)
        if digits is None:
            break
        parts.append(int(digits.group()))
        if digits.group() != piece:
            break
    return tuple(parts)


def parse_requirement(requirement: str) -> tuple[str, str | None, str | None]:
    """Return ``(name, floor, extra)`` of one requirement: ``'pytest>=8.0; extra == "dev"'`` gives
    ``("pytest", "8.0", "dev")``; floor or extra is None when there is none."""
    spec, _, marker = requirement.partition(";")
    name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec).group(1).lower()
    floor = re.search(r">=\s*([0-9][0-9A-Za-z.]*)", spec)
    extra = re.search(r"extra\s*==\s*[\"']([^\"']+)[\"']", marker)
    return name, floor and floor.group(1), extra and extra.group(1)


def floors_of(requirements: list[str], extra: str | None = None) -> dict[str, str]:
    """Return ``{name: floor}`` of the requirements without an extra (``extra=None``), or of those of one extra."""
    floors = {}
    for requirement in requirements:
        name, floor, its_extra = parse_requirement(requirement)
        if floor is not None and its_extra == extra:
            floors[name] = floor
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
        if version_tuple(installed) < version_tuple(floor):
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
