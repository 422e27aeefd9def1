"""TensorFlow's native start-up lines are dropped; every other line on stderr, Python's or C++'s, still shows."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fer_helpers.quiet import is_noise, native_stderr_filtered

STARTUP_LINES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795853195.789393   19653 port.cc:153] oneDNN custom operations are on. You may see slightly "
    "different numerical results due to floating-point round-off errors from different computation orders.",
    "I0000 00:00:1795853195.789790   19653 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will "
    "not be used.",
    "E0000 00:00:1795853207.984853   19653 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: Failed "
    "call to cuInit: UNKNOWN ERROR (303)",
]


def test_start_up_lines_are_noise_and_real_messages_are_not():
    assert all(is_noise(line) for line in STARTUP_LINES)
    assert not is_noise("E0000 00:00:1.0   1 op_kernel.cc:1] OUT_OF_RANGE: End of sequence")
    assert not is_noise("UserWarning: something a learner should read")


def test_native_stderr_filtered_keeps_everything_else(capfd: pytest.CaptureFixture[str]):
    with native_stderr_filtered():
        os.write(2, ("\n".join([*STARTUP_LINES[:2], "a real C++ error", STARTUP_LINES[2]]) + "\n").encode())
        print("a real Python warning", file=sys.stderr)
    err = capfd.readouterr().err
    assert "a real C++ error" in err and "a real Python warning" in err
    assert not any(line in err for line in STARTUP_LINES)


def test_native_stderr_filtered_restores_stderr_when_the_block_fails(capfd: pytest.CaptureFixture[str]):
    with pytest.raises(ImportError), native_stderr_filtered():
        os.write(2, b"why it failed\n")
        raise ImportError("no TensorFlow")
    os.write(2, b"after the block\n")
    assert capfd.readouterr().err == "why it failed\nafter the block\n"


@pytest.mark.slow
def test_importing_tensorflow_after_quiet_prints_no_start_up_lines():
    code = (
        "import warnings, fer_helpers.quiet, tensorflow as tf; tf.config.list_physical_devices('GPU'); "
        "print(tf.constant(2.0).numpy()); warnings.warn('still shown')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2.0"
    assert "still shown" in result.stderr
    assert not [line for line in result.stderr.splitlines() if is_noise(line)], result.stderr
    assert "absl" not in result.stderr and "cuInit" not in result.stderr, result.stderr


THREADPOOL_LINE = (
    "E0000 00:00:1796611695.487498   24498 node_def_util.cc:682] NodeDef mentions attribute use_unbounded_threadpool "
    "which is not in the op definition: Op<name=MapDataset; signature=input_dataset:variant> This may be expected if "
    "your graph generating binary is newer  than this binary. Unknown attributes will be ignored."
)


@pytest.mark.slow
def test_lines_tensorflow_logs_while_training_are_filtered_too_and_others_pass_at_once():
    """TensorFlow 2.21 logs the use_unbounded_threadpool line from training (a tf.data map under op determinism),
    long after its import: the filter stays on for the process, passes other lines through, and flushes at exit."""
    code = (
        "import os, sys, time, fer_helpers.quiet, tensorflow as tf; "
        f"os.write(2, {(THREADPOOL_LINE + chr(10)).encode()!r}); "
        "os.write(2, b'a real error\\n'); time.sleep(0.5); "
        "print('python warning', file=sys.stderr, flush=True); os.write(2, b'no newline at exit')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "use_unbounded_threadpool" not in result.stderr
    assert "a real error\n" in result.stderr and "python warning" in result.stderr
    assert result.stderr.endswith("no newline at exit")


def test_native_stderr_silenced_hides_everything_inside_the_block_only(capfd: pytest.CaptureFixture[str]):
    import os

    from fer_helpers.quiet import native_stderr_silenced

    with native_stderr_silenced():
        os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\nany other line\n")
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"


def test_with_progress_wraps_only_when_enabled():
    from tqdm.std import tqdm

    from fer_helpers.quiet import with_progress

    items = [1, 2, 3]
    assert with_progress(items, enabled=False, description="x", unit="img") is items
    bar = with_progress(iter(items), enabled=True, description="x", unit="frame", total=3)
    assert isinstance(bar, tqdm) and bar.total == 3 and list(bar) == items
