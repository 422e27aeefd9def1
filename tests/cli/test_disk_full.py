"""A full disk (any ``OSError`` while writing) ends ``fer-train`` with one clear line and exit 2, and the rerun says so.

Covers (issue 26): no traceback, nothing that looks finished (no ``metrics.json``, no ``model.keras``, the marker not
``finished``), the cause recorded in the run's marker, and a rerun that names the full disk before it resumes. The
full disk is simulated by making Keras's model writes raise ``OSError(ENOSPC)``, at the first checkpoint and, in a
second case, at the final ``model.keras``. Trains the small baseline on the generated sample for one epoch.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path

import keras
import pytest

from fer_helpers.cli.train import fer_train

pytestmark = pytest.mark.slow


def command(data: Path, out: Path) -> list[str]:
    return ["--data", str(data), "--profile", "smoke", "--epochs", "1", "--out", str(out)]


@pytest.mark.parametrize("failing_write", [1, 2], ids=["first checkpoint", "final model"])
def test_a_full_disk_is_one_line_exit_2_nothing_finished_and_the_rerun_names_it(
    tmp_path, small_synthetic, capsys, monkeypatch, failing_write
):
    out = tmp_path / "run"
    save = keras.Model.save
    calls = []

    def full_disk(model, filepath, *args, **kwargs):
        calls.append(filepath)
        if len(calls) == failing_write:
            raise OSError(errno.ENOSPC, "No space left on device", str(filepath))
        return save(model, filepath, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(keras.Model, "save", full_disk)
        assert fer_train(command(small_synthetic, out)) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    last = err.splitlines()[-1]
    assert last.startswith("fer-train: error: cannot use ") and "No space left on device" in last
    assert "the disk is full; free some space" in last
    assert not (out / "metrics.json").exists() and not (out / "model.keras").exists()
    marker = json.loads((out / ".fer-run.json").read_text())
    assert marker["state"] != "finished" and marker["last_error"]["errno"] == errno.ENOSPC

    assert fer_train(command(small_synthetic, out)) == 0
    printed = capsys.readouterr().out
    assert "stopped while writing" in printed and "(the disk was full)" in printed
    assert json.loads((out / ".fer-run.json").read_text())["state"] == "finished"
    assert (out / "metrics.json").is_file()
