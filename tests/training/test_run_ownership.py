"""Your files stay yours: the run folder is the course's only where it wrote a marker, and one command holds it.

Covers (issue 26): run-like files the course did not write are refused with their names and never moved or deleted,
``--overwrite`` included; a user's other files survive training, resuming and overwriting; a finished run stays
finished whatever was deleted from it, and a rerun says what is missing and how to rebuild it; one command per run
folder at a time (the second names the holder; a dead holder's lock is taken over); the one ``resume_or_load``
decision and the frozen ``RunSpec``. Fast cases build run folders by hand; the ``slow`` ones train the small
baseline model on the generated sample for 1-2 epochs.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fer_helpers.cli.train import fer_train
from fer_helpers.errors import FERError, RunFolderError, RunLockedError, SettingsError
from fer_helpers.profiles import get_profile
from fer_helpers.training import run_folder
from fer_helpers.training.run_folder import RunSpec, resume_or_load
from fer_helpers.training.run_marker import LOCK_FILE, MARKER_FILE, new_marker, run_lock, write_marker


def smoke_command(data: Path, out: Path, *extra: str) -> list[str]:
    return ["--data", str(data), "--profile", "smoke", "--epochs", "1", "--out", str(out), *extra]


def contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("overwrite", [False, True])
def test_run_like_files_the_course_did_not_write_are_refused_and_kept(tmp_path, small_synthetic, capsys, overwrite):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "history.csv").write_text("my own spreadsheet\n")
    (out / "backup").mkdir()
    (out / "backup" / "thesis.tex").write_text("years of work")
    before = contents(out)
    argv = smoke_command(small_synthetic, out, *(["--overwrite"] if overwrite else []))
    assert fer_train(argv) == 2
    err = capsys.readouterr().err
    assert "backup, history.csv" in err and "not written by a run the course marked" in err
    assert "never moves or deletes files it did not write" in err and "choose another --out" in err
    assert contents(out) == before and not (out / MARKER_FILE).exists() and not (out / LOCK_FILE).exists()


def test_a_recorded_run_does_not_own_files_it_never_recorded(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    write_marker(out, {**new_marker({}), "files": ["history.csv"]})
    (out / "metrics.json").write_text("{}")  # the user's, dropped in later
    with pytest.raises(RunFolderError, match=r"holds metrics\.json, named like a run's files but not written by"):
        resume_or_load(out, {}, overwrite=True)


def test_an_unreadable_marker_is_refused_not_guessed(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / MARKER_FILE).write_text("not json")
    with pytest.raises(RunFolderError, match=r"not a run marker the course wrote.*delete"):
        resume_or_load(out, {})


def finished_by_hand(out: Path, *names: str) -> None:
    """A finished run's marker, as the course leaves it, with ``names`` still in the folder."""
    out.mkdir(parents=True, exist_ok=True)
    files = ["best.keras", "history.csv", "train_state.json", "model.keras", "metrics.json"]
    write_marker(out, {**new_marker(settings=None), "state": "finished", "files": files})
    for name in names:
        (out / name).write_text("{}")


def test_a_finished_run_missing_its_model_stays_finished_and_says_how_to_rebuild(tmp_path, small_synthetic, capsys):
    out = tmp_path / "run"
    finished_by_hand(out, "metrics.json", "history.csv")
    assert run_folder.run_status(out) == run_folder.FINISHED
    assert fer_train(smoke_command(small_synthetic, out)) == 2
    err = capsys.readouterr().err
    assert "holds a finished run, but its model.keras is gone" in err
    assert "--overwrite" in err and "touches only the run's own files" in err
    assert sorted(p.name for p in out.iterdir()) == [MARKER_FILE, "history.csv", "metrics.json"]


def test_a_finished_run_without_its_best_checkpoint_and_state_is_still_finished(tmp_path, small_synthetic, capsys):
    out = tmp_path / "run"
    finished_by_hand(out, "metrics.json", "model.keras")  # best.keras and train_state.json deleted by the user
    assert resume_or_load(out, {}) == run_folder.LOAD
    assert fer_train(smoke_command(small_synthetic, out)) == 0
    assert "already holds this finished run" in capsys.readouterr().out


def test_run_spec_is_frozen_and_checks_its_values():
    spec = RunSpec(get_profile("smoke"), epochs=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.epochs = 3
    with pytest.raises(SettingsError, match="epochs must be a whole number"):
        RunSpec(get_profile("smoke"), epochs=0)
    with pytest.raises(SettingsError, match="augment must be one of"):
        RunSpec(get_profile("smoke"), augment="lots")
    assert spec.settings({"source": "x"})["model"] == get_profile("smoke").model


def test_every_expected_error_is_a_fer_error():
    for error in (RunFolderError, RunLockedError, SettingsError):
        assert issubclass(error, FERError) and issubclass(error, ValueError)


HOLD = """
import sys, time
from fer_helpers.training.run_marker import run_lock
with run_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(120)
"""


def test_one_command_per_run_folder_names_the_holder_and_takes_over_a_dead_ones_lock(tmp_path, small_synthetic, capsys):
    out = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert fer_train(smoke_command(small_synthetic, out)) == 2
        err = capsys.readouterr().err
        assert f"is in use by process {holder.pid}" in err and "One command per run folder at a time" in err
    finally:
        holder.kill()  # as kill -9 would: the lock file stays behind, with a dead process in it
        holder.wait()
    assert json.loads((out / LOCK_FILE).read_text())["pid"] == holder.pid
    with run_lock(out) as held:
        assert held and json.loads((out / LOCK_FILE).read_text())["pid"] == os.getpid()
        with run_lock(out):  # the same process nests
            pass
    assert not (out / LOCK_FILE).exists()


def test_the_lock_falls_back_to_the_recorded_process_without_flock(tmp_path, monkeypatch):
    from fer_helpers.training import run_marker

    monkeypatch.setattr(run_marker, "fcntl", None)
    out = tmp_path / "run"
    out.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (out / LOCK_FILE).write_text(json.dumps({**run_marker._holder(), "pid": sleeper.pid}))
        with pytest.raises(RunLockedError, match=f"process {sleeper.pid}"), run_lock(out):
            pass
    finally:
        sleeper.kill()
        sleeper.wait()
    time.sleep(0.1)
    with run_lock(out) as held:  # the recorded process is dead: taken over
        assert held


@pytest.mark.slow
def test_a_users_other_files_survive_training_resuming_and_overwrite(tmp_path, small_synthetic, capsys):
    out = tmp_path / "run"
    out.mkdir()
    notes = {"notes.txt": b"my notes", "plots/old.png": b"\x89PNG mine"}
    for name, data in notes.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    assert fer_train(smoke_command(small_synthetic, out)) == 0
    assert fer_train(smoke_command(small_synthetic, out, "--overwrite", "--seed", "7")) == 0
    for name, data in notes.items():
        assert (out / name).read_bytes() == data
    marker = json.loads((out / MARKER_FILE).read_text())
    assert marker["state"] == "finished" and "notes.txt" not in marker["files"] and "previous" not in marker
    assert not (out / ".previous-run").exists() and not (out / LOCK_FILE).exists()
