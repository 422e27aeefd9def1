"""fer-train and fer-evaluate: outputs, and one-line errors (no traceback) for bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fer_helpers.cli.evaluate import fer_evaluate
from fer_helpers.cli.train import fer_train
from fer_helpers.models.builders import build_model


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "baseline.keras"
    build_model("baseline").save(path)
    return path


def test_evaluate_writes_accuracy_fraction(saved_model: Path, small_synthetic: Path, tmp_path: Path, capsys):
    out = tmp_path / "m.json"
    assert (
        fer_evaluate(["--model", str(saved_model), "--data", str(small_synthetic), "--tta", "flip", "--json", str(out)])
        == 0
    )
    metrics = json.loads(out.read_text())
    assert 0.0 <= metrics["accuracy"] <= 1.0 and metrics["num_images"] == 42 and metrics["tta"] is True
    assert sum(map(sum, metrics["confusion_matrix"])) == 42
    printed = capsys.readouterr().out
    assert "accuracy" in printed and "surprise" in printed


def test_evaluate_missing_model(small_synthetic: Path, tmp_path: Path, capsys):
    assert fer_evaluate(["--model", str(tmp_path / "none.keras"), "--data", str(small_synthetic)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("fer-evaluate: error:") and "none.keras does not exist" in err and "\n" not in err


def test_evaluate_invalid_model(small_synthetic: Path, tmp_path: Path, capsys):
    bad = tmp_path / "bad.keras"
    bad.write_text("not a model")
    assert fer_evaluate(["--model", str(bad), "--data", str(small_synthetic)]) == 2
    err = capsys.readouterr().err.strip()
    assert "bad.keras is not a Keras model" in err and "zip archive" in err and "\n" not in err
    assert "File not found" not in err  # what Keras itself says about a text file named .keras


def test_evaluate_data_without_test_images(saved_model: Path, tmp_path: Path, capsys):
    (tmp_path / "test" / "happy").mkdir(parents=True)
    assert fer_evaluate(["--model", str(saved_model), "--data", str(tmp_path)]) == 2
    assert "test/happy holds no images" in capsys.readouterr().err
    assert fer_evaluate(["--model", str(saved_model), "--data", str(tmp_path / "nothing")]) == 2
    assert "has no test/ folder" in capsys.readouterr().err


def test_train_bad_data_path_is_one_line(tmp_path: Path, capsys):
    assert fer_train(["--data", str(tmp_path / "missing"), "--profile", "smoke", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert "missing does not exist" in err and "\n" not in err


@pytest.mark.slow
def test_console_scripts_are_installed_and_fail_without_traceback(tmp_path: Path):
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        [str(bin_dir / "fer-evaluate"), "--model", str(tmp_path / "x.keras"), "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "x.keras does not exist" in result.stderr


@pytest.mark.slow
def test_train_writes_every_artifact(tmp_path: Path, small_synthetic: Path, capsys):
    out = tmp_path / "run"
    assert fer_train(["--data", str(small_synthetic), "--profile", "smoke", "--epochs", "1", "--out", str(out)]) == 0
    for name in ("model.keras", "history.csv", "metrics.json", "confusion_matrix.png", "learning_curves.png"):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data"]["synthetic"] is True and metrics["profile"]["name"] == "smoke"
    assert {"versions", "machine", "git_commit"} <= set(metrics["provenance"])
    printed = capsys.readouterr().out
    assert "Test accuracy:" in printed and "Synthetic data" in printed and "model.keras" in printed


@pytest.mark.slow
def test_train_time_budget_overrides_the_profile(tmp_path: Path, small_synthetic: Path, capsys):
    out = tmp_path / "run"
    # smoke plans 2 epochs; a budget far shorter than one epoch lets the first finish and stops there
    args = ["--data", str(small_synthetic), "--profile", "smoke", "--time-budget", "0.0001", "--out", str(out)]
    assert fer_train(args) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["profile"]["time_budget_minutes"] == 0.0001 and metrics["training"]["epochs_run"] == 1
    assert "budget 0.0001 min" in capsys.readouterr().out


def test_train_rejects_a_non_positive_time_budget(tmp_path: Path, capsys):
    with pytest.raises(SystemExit, match="2"):  # argparse refuses it before anything runs
        fer_train(["--data", "synthetic", "--time-budget", "0", "--out", str(tmp_path / "o")])
    assert "argument --time-budget: must be a positive, finite number of minutes" in capsys.readouterr().err


def test_interrupting_fer_train_says_how_to_resume(capsys):
    import argparse

    from fer_helpers.cli.common import run_console_script

    def interrupted(args):
        raise KeyboardInterrupt

    assert run_console_script(interrupted, argparse.ArgumentParser(prog="fer-x"), [], on_interrupt="rerun it") == 130
    assert capsys.readouterr().err.strip() == "fer-x: interrupted; rerun it."
    assert run_console_script(interrupted, argparse.ArgumentParser(prog="fer-y"), []) == 130
    assert capsys.readouterr().err.strip() == "fer-y: interrupted."
