"""`make test-colab`, run by a Python 3.13 interpreter: the course in a copy of Colab's Python stack.

    python3.13 tests/colab/run_colab.py [--work DIR]

1. A fresh virtual environment gets Colab's packages at Colab's versions (``tests/colab/colab-stack.txt``), with
   OpenCV 5 owning ``cv2`` as in Colab (no Haar cascade there), and the test tools (nbval, pytest) constrained
   to that stack. A stand-in ``google.colab`` (``tests/colab/stand_in``) is imported at start-up, as in Colab.
2. The course's wheel is built from this checkout and installed by the notebooks' first cell itself (notebook
   01's, run as it is, with ``FER_COURSE_WHEEL`` pointing at the wheel instead of the repository).
3. It fails if that install replaced, changed or removed any installed package; it prints what changed.
4. On Python 3.13 with Colab's TensorFlow and Keras: every shipped model loads, the TFLite export (float32 and
   8-bit weights) agrees with Keras, and ``fer-predict`` finds the face in a real photo (scikit-image's
   ``astronaut.png``, NASA, public domain, taken from the scikit-image wheel; a FER2013 face pasted on a gray
   square when that download fails and ``FER2013_DIR`` is set).
5. Every notebook runs under nbval in the smoke profile, from an empty folder like Colab's ``/content`` (no
   checkout around: the course comes from the installed wheel); then the packages are compared again.

Only the standard library is used here: this file runs before anything is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
STACK = HERE / "colab-stack.txt"
STAND_IN = HERE / "stand_in"
TEST_TOOLS = ["nbval", "pytest"]


def say(text: str) -> None:
    print(f"test-colab: {text}", flush=True)


def run(*command: str | Path, **kwargs) -> subprocess.CompletedProcess:
    """Run ``command``, echoing it; raise if it fails."""
    text = " ".join(str(part) for part in command)
    say("$ " + (text.split("\n", 1)[0] + " ..." if "\n" in text else text))
    return subprocess.run([str(part) for part in command], check=True, **kwargs)


def pinned(stack: Path = STACK) -> dict[str, str]:
    """Return ``{name: version}`` of the stack file (lower-case names)."""
    versions = {}
    for line in stack.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            versions[name.strip().lower()] = version.strip()
    return versions


def freeze(python: Path) -> dict[str, str]:
    """Return ``{name: version}`` of every distribution installed for ``python`` (names normalised)."""
    out = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {item["name"].lower().replace("_", "-"): item["version"] for item in json.loads(out)}


def changes(before: dict[str, str], after: dict[str, str]) -> tuple[list[str], list[str]]:
    """Return (changed or removed packages, added packages), one readable line each."""
    changed = [
        f"{name} {version} -> {after.get(name, 'removed')}"
        for name, version in sorted(before.items())
        if after.get(name) != version
    ]
    added = [f"{name} {after[name]}" for name in sorted(set(after) - set(before))]
    return changed, added


def make_environment(work: Path) -> Path:
    """Create ``work/venv`` with Colab's stack, OpenCV 5 owning cv2, the test tools and the stand-in google.colab."""
    venv = work / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", "--upgrade", "pip")
    run(python, "-m", "pip", "install", "-q", "-r", STACK)
    # Colab's image holds opencv-python and -headless 5.0 and opencv-contrib-python 4.14, all three writing cv2/;
    # in Colab cv2 is OpenCV 5 (no Haar cascade): reinstall the 5.0 files last so that the same holds here
    versions = pinned()
    opencv5 = [f"{name}=={versions[name]}" for name in ("opencv-python-headless", "opencv-python") if name in versions]
    run(python, "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", *opencv5)
    run(python, "-m", "pip", "install", "-q", "-c", STACK, *TEST_TOOLS)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # a .pth line that starts with "import" runs at start-up: google.colab is in sys.modules, as in Colab
    Path(site, "colab_stand_in.pth").write_text(f"{STAND_IN}\nimport google.colab\n")
    return python


def build_wheel(python: Path, work: Path) -> Path:
    """Build the course's wheel from the checkout into ``work/dist`` and return it."""
    dist = work / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    run(python, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, ROOT)
    (wheel,) = dist.glob("fer_course-*.whl")
    with zipfile.ZipFile(wheel) as contents:
        names = contents.namelist()
    for needed in ("fer_helpers/assets/face_detection_yunet_2023mar.onnx", "fer_helpers/shipped_models/"):
        assert any(name.startswith(needed) for name in names), f"the wheel lacks {needed}"
    return wheel


def first_cell(notebook: Path) -> str:
    """Return the source of ``notebook``'s first code cell."""
    cells = json.loads(notebook.read_text())["cells"]
    return "".join(next(cell for cell in cells if cell["cell_type"] == "code")["source"])


def install_like_the_first_cell(python: Path, wheel: Path, content: Path) -> None:
    """Run notebook 01's first cell as it is, with ``FER_COURSE_WHEEL`` pointing at ``wheel``."""
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    cells = {first_cell(path) for path in notebooks}
    assert len(cells) == 1, "the notebooks' first cells differ: run `make first-cell`"
    env = {**os.environ, "FER_COURSE_WHEEL": wheel.as_uri(), "FER_PROFILE": "smoke"}
    run(python, "-c", cells.pop(), cwd=content, env=env)


CHECKS = r"""
import os, sys, subprocess, zipfile
from pathlib import Path
import fer_helpers.quiet  # TensorFlow's start-up lines off
import cv2, keras, numpy as np, tensorflow as tf
import fer_helpers
from fer_helpers.models.shipped import find_course_model
from fer_helpers.inference.export import agreement_rate, load_tflite, save_tflite, tflite_predict
from fer_helpers.inference.face_detection import haar_available
from fer_helpers.models.files import load_trained_model
from fer_helpers.data.synthetic import EXPRESSIONS, draw_face

print(f"Python {sys.version.split()[0]}, TensorFlow {tf.__version__}, Keras {keras.__version__}, "
      f"OpenCV {cv2.__version__} (Haar cascade: {haar_available()}), course from {Path(fer_helpers.__file__).parent}")
assert sys.version_info[:2] == (3, 13)
shipped = sorted((Path(fer_helpers.__file__).parent / "shipped_models").glob("*.keras"))
assert shipped, "no shipped model in the installed package"
for path in shipped:
    model = load_trained_model(path)
    print(f"{path.name}: loads in Keras {keras.__version__}, {model.count_params():,} parameters")
model_path, _ = find_course_model()
model = load_trained_model(model_path)
rng = np.random.default_rng(0)
faces = np.stack([draw_face(EXPRESSIONS[name], rng) for name in EXPRESSIONS for _ in range(30)])
keras_probs = model.predict(faces[..., None].astype("float32"), verbose=0)
for quantize, bar in ((False, 0.99), (True, 0.95)):
    lite = save_tflite(model, Path(f"model_{'int8' if quantize else 'float32'}.tflite"), quantize=quantize)
    agreement = agreement_rate(keras_probs, tflite_predict(load_tflite(lite), faces))
    print(f"TFLite {'int8 weights' if quantize else 'float32'}: {lite.stat().st_size / 1e6:.2f} MB, "
          f"agreement with Keras {agreement:.1%} of {len(faces)} faces")
    assert agreement >= bar, f"TFLite agreement {agreement:.1%} < {bar:.0%}"

photo = Path("astronaut.png")
try:
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
                    "scikit-image", "-d", "wheels"], check=True, timeout=300)
    with zipfile.ZipFile(next(Path("wheels").glob("scikit_image-*.whl"))) as wheel:
        photo.write_bytes(wheel.read("skimage/data/astronaut.png"))
    print("real photo: scikit-image's astronaut.png (NASA, public domain)")
except Exception as err:
    fer = os.environ.get("FER2013_DIR")
    assert fer, f"no real photo: the scikit-image download failed ({err}) and FER2013_DIR is not set"
    face = cv2.imread(str(next(Path(fer, "test", "happy").glob("*.jpg"))), cv2.IMREAD_GRAYSCALE)
    picture = np.full((288, 288), 128, np.uint8)
    picture[72:216, 72:216] = cv2.resize(face, (144, 144), interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(photo), picture)
    print("real photo: a FER2013 test face pasted on a gray square (the scikit-image download failed)")
fer_predict = Path(sys.executable).parent / "fer-predict"  # the console script pip installed
out = subprocess.run([str(fer_predict), str(photo)], check=True, capture_output=True, text=True).stdout
print(out.strip())
assert f"{photo}  face 1  box=" in out, "fer-predict found no face in the real photo"
"""


def course_checks(python: Path, content: Path) -> None:
    """Shipped models load, TFLite float32/int8 agree with Keras, fer-predict finds a real face; on Python 3.13."""
    run(python, "-c", CHECKS, cwd=content, env={**os.environ, "FER_PROFILE": "smoke"})


def run_notebooks(python: Path, wheel: Path, content: Path) -> None:
    """Run every notebook under nbval (smoke profile) from ``content``, away from the checkout; each first cell
    installs from ``wheel`` again (pip finds it installed and changes nothing)."""
    target = content / "notebooks"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(ROOT / "notebooks", target, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(FER_PROFILE="smoke", CI=env.get("CI", "true"), FER_COURSE_WHEEL=wheel.as_uri())
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # Colab's ipykernel 6.17 on Python 3.13 warns about frozen modules
    run(
        python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--nbval-lax", "--nbval-current-env",
        "--nbval-cell-timeout=900", "notebooks", cwd=content, env=env,
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "fer-colab-test")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the environment of an earlier run (uninstall the course only)"
    )
    args = parser.parse_args()
    start = time.perf_counter()
    work = args.work.resolve()
    content = work / "content"  # Colab's empty working folder
    shutil.rmtree(content, ignore_errors=True)
    content.mkdir(parents=True)
    say(f"Python {sys.version.split()[0]} at {sys.executable}; working in {work}")
    assert sys.version_info[:2] == (3, 13), "run this with Python 3.13 (Colab's)"

    python = work / "venv" / "bin" / "python"
    if args.reuse and python.exists():
        run(python, "-m", "pip", "uninstall", "-q", "-y", "fer-course")
    else:
        python = make_environment(work)
    before = freeze(python)
    stack = pinned()
    missing = [f"{name}=={pin} (found {before.get(name)})" for name, pin in stack.items() if before.get(name) != pin]
    assert not missing, f"the Colab stack did not install as pinned: {missing}"
    wheel = build_wheel(python, work)
    install_like_the_first_cell(python, wheel, content)
    after = freeze(python)
    changed, added = changes(before, after)
    say("the course's install added: " + (", ".join(added) or "nothing"))
    if changed:
        say("FAILED: installing the course replaced or changed Colab's packages:\n  " + "\n  ".join(changed))
        return 1
    assert "fer-course" in after, "the first cell did not install fer-course"
    say(f"the install left all {len(before)} installed packages as they were ({len(stack)} pinned from Colab)")

    course_checks(python, content)
    run_notebooks(python, wheel, content)
    changed, _ = changes(after, freeze(python))
    if changed:
        say("FAILED: the notebooks' first cells changed installed packages:\n  " + "\n  ".join(changed))
        return 1
    say(f"passed in {(time.perf_counter() - start) / 60:.1f} minutes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
