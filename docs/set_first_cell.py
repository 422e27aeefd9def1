"""Write the course's first code cell (the Colab install and ``setup_notebook``) into every notebook.

Every notebook starts with the same code cell: in Colab it installs the course with pip from the repository of
pyproject.toml's ``[project.urls] Repository`` and, when that fails, stops with one short message naming the
address it tried and the fix, instead of a traceback. The cell lives here, once; this script writes it over each
notebook's first code cell, and running it again changes nothing. ``tests/test_packaging.py`` checks that every
notebook holds this cell.

    python docs/set_first_cell.py          (or: make first-cell)

``FER_COURSE_WHEEL`` (an environment variable, unset in Colab) points the install elsewhere: ``make test-colab``
sets it to the locally built wheel (``file:///.../fer_course-...whl``), so the test runs this very cell.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from set_repository_url import ROOT, repository_url  # noqa: E402

FIRST_CELL = """\
import os, subprocess, sys
if "google.colab" in sys.modules:  # Colab: install the course package; optionally fetch FER2013 with Kaggle credentials
    COURSE = os.environ.get("FER_COURSE_WHEEL", "git+{url}")
    if subprocess.run([sys.executable, "-m", "pip", "install", "-q", f"fer-course[download] @ {{COURSE}}"]).returncode:
        raise SystemExit(f"Could not install the course from {{COURSE}}. A fork? Run `make repository-url`, then push.")
    DOWNLOAD_FER2013 = False  # set True (and add your Kaggle credentials) to use the real data
    if DOWNLOAD_FER2013:
        from fer_helpers.data import download_fer2013
        os.environ["FER2013_DIR"] = str(download_fer2013())
from fer_helpers.notebook_setup import setup_notebook
info = setup_notebook()"""
"""The first code cell of every notebook; ``{url}`` is the repository of pyproject.toml."""


def first_cell_source(url: str | None = None) -> str:
    """Return the first code cell's source for the repository ``url`` (default: pyproject.toml's)."""
    return FIRST_CELL.format(url=url or repository_url())


def set_first_cell(path: Path, source: str) -> bool:
    """Write ``source`` as the first code cell of the notebook at ``path``; return True if the file changed."""
    text = path.read_text(encoding="utf-8")
    notebook = json.loads(text)
    cell = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
    cell["source"] = source.splitlines(keepends=True)
    cell["outputs"], cell["execution_count"] = [], None
    updated = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    if updated == text:
        return False
    path.write_text(updated, encoding="utf-8")
    return True


def main() -> int:
    source = first_cell_source()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        if set_first_cell(path, source):
            print(f"{path.relative_to(ROOT)}: first cell written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
