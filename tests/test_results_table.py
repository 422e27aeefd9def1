"""The README's Results table says what the models' JSON files in models/ say."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def results_rows() -> list[list[str]]:
    """Return the cells of every model row of the README's Results table."""
    section = ROOT.joinpath("README.md").read_text().split("## Results\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| `")]
    return [[cell.strip().strip("*") for cell in row] for row in rows]


def json_for(file_cell: str) -> dict:
    """Return the JSON beside the model file named in a table cell (``models/x.keras`` -> ``models/x.json``)."""
    path = re.search(r"`(models/[^`]+)`", file_cell).group(1)
    return json.loads(ROOT.joinpath(path).with_suffix(".json").read_text())


def percent(value: float) -> str:
    return f"{100 * value:.1f} %"


def test_results_table_matches_the_models_json():
    rows = results_rows()
    assert len(rows) >= 2, "the README's Results table lists the shipped models"
    for model, file, trained, validation, test, tta, macro_f1, minutes in rows:
        info = json_for(file)
        assert model.startswith(f"`{info['model']}`"), (model, info["model"])
        assert trained == f"`{info['profile']['name']}` profile, {info['training']['epochs_run']} epochs"
        assert validation == percent(info["validation_accuracy"])
        assert test == percent(info["test_accuracy"]) == percent(info["accuracy"])
        assert tta == percent(info["test_accuracy_tta"])
        assert macro_f1 == f"{info['test']['macro_f1']:.2f}"
        assert minutes == f"{info['training_minutes']:.1f} min"


def test_every_shipped_keras_model_has_its_json_and_a_row():
    listed = {re.search(r"`(models/[^`]+)`", row[1]).group(1) for row in results_rows()}
    for model_file in sorted(ROOT.joinpath("models").glob("*.keras")):
        assert model_file.with_suffix(".json").is_file(), f"{model_file.name} has no provenance JSON"
        assert f"models/{model_file.name}" in listed, f"{model_file.name} is missing from the README's Results table"
