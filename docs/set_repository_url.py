"""Write the repository URL of pyproject.toml into the README's and every notebook's Colab badge and setup cell.

``[project.urls] Repository`` in pyproject.toml is the one place that names the repository. A fork changes that line
and runs ``make repository-url`` (this script); ``tests/test_packaging.py`` checks that the copies agree with it.

    python docs/set_repository_url.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPIES = re.compile(r"(colab\.research\.google\.com/github/|git\+https://github\.com/)[\w.-]+/[\w.-]+")
"""The Colab badge's ``.../github/OWNER/REPO/blob/...`` and the setup cell's ``git+https://github.com/OWNER/REPO``."""


def repository_url(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """Return ``[project.urls] Repository`` from pyproject.toml."""
    found = re.search(r'^Repository\s*=\s*"([^"]+)"', pyproject.read_text(), re.MULTILINE)
    if found is None:
        raise SystemExit(f"{pyproject} has no Repository line under [project.urls]")
    return found.group(1).rstrip("/")


def main() -> int:
    url = repository_url()
    owner_repo = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+)", url)
    if owner_repo is None:
        raise SystemExit(f"{url} is not a https://github.com/OWNER/REPO address: Colab opens notebooks from GitHub")
    for path in [ROOT / "README.md", *sorted((ROOT / "notebooks").glob("*.ipynb"))]:
        text = path.read_text(encoding="utf-8")
        updated = COPIES.sub(lambda match: match.group(1) + owner_repo.group(1), text)
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            print(f"{path.relative_to(ROOT)}: now points at {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
