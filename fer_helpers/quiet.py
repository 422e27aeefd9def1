"""Keep TensorFlow's native start-up log out of the learner's way; import this before TensorFlow.

TensorFlow's C++ side writes a few lines straight to the process's stderr while it loads (the oneDNN notice, "Could
not find cuda drivers", absl's "All log messages before absl::InitializeLog()...") and when it first looks for a GPU
("failed call to cuInit" on a machine without one). ``TF_CPP_MIN_LOG_LEVEL`` does not reach them, and in a notebook
they show up as red stderr boxes that a beginner reads as errors.

Importing this module changes nothing until TensorFlow is first imported. That import, and TensorFlow's first look for
a GPU, then run with the native stderr captured: the lines that match :data:`NOISE` are dropped, and everything else
(any real error or warning, from C++ or Python) is written back to stderr. Some lines come later, while training
(TensorFlow 2.21's "NodeDef mentions attribute use_unbounded_threadpool", logged as an error by its own graph rewrite
of a ``tf.data`` map under op determinism), so from then on the process's native stderr passes through a filter
thread that forwards every other line at once (:func:`filter_native_stderr`).
"""

from __future__ import annotations

import atexit
import faulthandler
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's own C++ info and warning lines

NOISE = (
    "All log messages before absl::InitializeLog() is called are written to STDERR",
    "oneDNN custom operations are on",
    "Could not find cuda drivers on your machine",
    "failed call to cuInit",
    "Unable to register cuDNN factory",
    "Unable to register cuFFT factory",
    "Unable to register cuBLAS factory",
    "computation placer already registered",
    "TF-TRT Warning: Could not find TensorRT",
    "This TensorFlow binary is optimized to use available CPU instructions",
    "To enable the following instructions",
    "NodeDef mentions attribute use_unbounded_threadpool which is not in the op definition",
)
"""Start-up lines that say nothing about the learner's code: on a machine without a GPU they are all expected."""


def is_noise(line: str) -> bool:
    """Return True for a TensorFlow start-up line listed in :data:`NOISE`."""
    return any(text in line for text in NOISE)


@contextmanager
def native_stderr_filtered(drop: Callable[[str], bool] = is_noise) -> Iterator[None]:
    """Capture file descriptor 2 (what C++ code writes, Python's too) inside the block, then write back every line
    that ``drop`` does not pick (default: :func:`is_noise`)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [
                line for line in captured.read().splitlines(keepends=True) if not drop(line.decode(errors="replace"))
            ]
            if kept:
                os.write(2, b"".join(kept))


_filter: dict[str, object] = {}


def filter_native_stderr() -> bool:
    """From now on, pass the process's native stderr (file descriptor 2) through a thread that drops :data:`NOISE`.

    Every other line is forwarded as soon as it is complete; at exit the rest is flushed. Returns False (and does
    nothing) where file descriptor 2 cannot be redirected, or when the filter is already on. A crash report from
    ``faulthandler`` goes straight to the real stderr, past the filter.
    """
    if _filter or os.environ.get("FER_QUIET_TF", "1") == "0":
        return False
    try:
        sys.stderr.flush()
        target = os.dup(2)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 2)
        os.close(write_end)
    except OSError:
        return False
    thread = threading.Thread(target=_pump, args=(read_end, target), name="fer-quiet-stderr", daemon=True)
    _filter.update(target=target, thread=thread, pipe=os.fstat(read_end).st_ino)
    thread.start()
    if faulthandler.is_enabled():
        faulthandler.enable(file=target)
    atexit.register(_stop_filter)
    return True


def _pump(read_end: int, target: int) -> None:
    """Copy complete lines from ``read_end`` to ``target``, dropping noise; flush the rest when the pipe closes."""
    pending = b""
    while True:
        try:
            chunk = os.read(read_end, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        kept = [line + b"\n" for line in lines if not is_noise(line.decode(errors="replace"))]
        if len(pending) > 65536:  # a very long line without an end: pass it on
            kept.append(pending)
            pending = b""
        if kept:
            os.write(target, b"".join(kept))
    if pending and not is_noise(pending.decode(errors="replace")):
        os.write(target, pending)
    os.close(read_end)


def _stop_filter() -> None:
    """Put the real stderr back and let the filter thread pass on what is left."""
    if not _filter:
        return
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    try:
        if os.fstat(2).st_ino != _filter["pipe"]:
            return  # someone else (a test runner's capture) has taken file descriptor 2 since: leave it
        os.dup2(_filter["target"], 2)  # closes the pipe's last write end: the thread sees its end
    except OSError:
        return
    _filter["thread"].join(timeout=2)


def with_progress(items: Iterable, *, enabled: bool, description: str, unit: str, total: int | None = None) -> Iterable:
    """Return ``items`` wrapped in a tqdm progress bar when ``enabled`` (a widget in a notebook, text elsewhere), else
    ``items`` unchanged. ``total`` is the number of items when ``items`` has no length (a stream of frames)."""
    if not enabled:
        return items
    from tqdm.auto import tqdm

    with warnings.catch_warnings():  # a notebook without ipywidgets falls back to a text bar: no need to warn
        warnings.simplefilter("ignore")
        return tqdm(items, total=total, desc=description, unit=unit, mininterval=1.0)


def native_stderr_silenced():
    """Drop everything written to file descriptor 2 inside the block (a ``with`` block).

    TFLite announces "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." there when the interpreter
    allocates its tensors, and the converter "fully_quantize: 0, ..." when it quantizes: in a notebook such lines
    would show as red errors.
    """
    return native_stderr_filtered(drop=lambda line: True)


class _QuietLoader(importlib.abc.Loader):
    """TensorFlow's own loader, run inside :func:`native_stderr_filtered`, with its first look for a GPU."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        module.__loader__ = module.__spec__.loader = self.loader
        with native_stderr_filtered():
            self.loader.exec_module(module)
            module.config.list_physical_devices("GPU")  # where cuInit complains on a machine without a GPU
        filter_native_stderr()

    def __getattr__(self, name: str):
        return getattr(self.loader, name)


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    """Find ``tensorflow`` as usual, the first time only, and hand it :class:`_QuietLoader`."""

    def find_spec(self, fullname: str, path=None, target=None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


if "tensorflow" not in sys.modules and not any(isinstance(f, _QuietTensorFlowFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _QuietTensorFlowFinder())
