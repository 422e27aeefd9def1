"""Helpers behind notebooks 04-06: prediction figures, the course model, recorded metrics, Drive (Grad-CAM: its own
file, tests/evaluation/test_gradcam.py)."""

import json
from pathlib import Path

import keras
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from fer_helpers import plots  # noqa: E402
from fer_helpers.errors import ModelFileError  # noqa: E402
from fer_helpers.evaluation import recorded_metrics
from fer_helpers.models import shipped as course_model
from fer_helpers.training import colab_drive
from fer_helpers.training.course_model import load_course_model


@pytest.fixture(scope="module")
def faces() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (4, 48, 48), dtype=np.uint8)


def titles(fig) -> list[str]:
    return [ax.get_title() for ax in fig.axes if ax.get_title()]


def test_plot_predictions_titles_true_and_predicted_class_in_colour(faces):
    probs = np.full((4, 7), 0.05)
    probs[[0, 1, 2, 3], [3, 3, 0, 6]] = 0.7
    fig = plots.plot_predictions(faces, [3, 2, 0, 5], probs, columns=4)
    assert titles(fig) == ["happy → happy\n70%", "fear → happy\n70%", "angry → angry\n70%", "sad → surprise\n70%"]
    colours = [matplotlib.colors.to_hex(ax.title.get_color()) for ax in fig.axes]
    green, red = matplotlib.colors.to_hex("tab:green"), matplotlib.colors.to_hex("tab:red")
    assert colours == [green, red, green, red]
    plt.close(fig)


def save_tiny_model(path: Path) -> Path:
    inputs = keras.Input((48, 48, 1))
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    model = keras.Model(inputs, keras.layers.Dense(7, activation="softmax")(x), name="tiny")
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return path


def test_load_course_model_prefers_notebook04s_model(project_dir: Path):
    with pytest.raises(ModelFileError, match="no trained model found"):
        load_course_model(train_if_missing=False)
    save_tiny_model(project_dir / course_model.SHIPPED_MODEL)
    model, description = load_course_model()
    assert model.name == "tiny" and "shipped" in description
    save_tiny_model(project_dir / course_model.NOTEBOOK_RUN_DIR / "model.keras")
    assert "notebook 04" in load_course_model()[1]


def test_the_installed_package_supplies_the_shipped_files_when_the_checkout_has_none(
    project_dir: Path, tmp_path: Path, monkeypatch
):
    installed = tmp_path / "site-packages" / "fer_helpers" / course_model.INSTALLED_MODELS
    save_tiny_model(installed / course_model.SHIPPED_MODEL.name)
    (installed / "fer_baseline_cpu.json").write_text(json.dumps({"accuracy": 0.54}))
    monkeypatch.setattr(course_model, "installed_model_folders", lambda: [installed])
    path, description = course_model.find_course_model()
    assert path == installed / course_model.SHIPPED_MODEL.name and "shipped" in description
    assert course_model.shipped_model_path() == path
    found, missing = recorded_metrics.load_recorded_metrics()
    assert found == {"baseline (seed CNN)": {"accuracy": 0.54}} and [p.name for p in missing] == ["fer_vgg_bn_cpu.json"]
    save_tiny_model(project_dir / course_model.SHIPPED_MODEL)  # the checkout's copy comes first
    assert course_model.find_course_model()[0] == project_dir / course_model.SHIPPED_MODEL


def test_installed_model_folders_point_into_the_package():
    package = Path(course_model.__file__).resolve().parents[1]
    assert course_model.installed_model_folders() == [package / "shipped_models", package.parent / "models"]


def test_load_course_model_trains_a_smoke_model_when_none_exists(project_dir: Path, monkeypatch):
    calls = []

    class Result:
        run = type("Run", (), {"model": "the new model"})()
        model_path = project_dir / course_model.SMOKE_RUN_DIR / "model.keras"

    def fake_train(data, profile, out_dir, **kwargs):
        calls.append((data, profile.name, Path(out_dir)))
        return Result()

    monkeypatch.setattr("fer_helpers.data.dataset.load_data_for_profile", lambda profile, seed: f"{profile.name} data")
    monkeypatch.setattr("fer_helpers.training.experiment.train_and_evaluate", fake_train)
    model, description = load_course_model()
    assert model == "the new model" and description.startswith(course_model.SMOKE_FALLBACK_NOTE)
    assert calls == [("smoke data", "smoke", project_dir / course_model.SMOKE_RUN_DIR)]
    save_tiny_model(project_dir / course_model.SMOKE_RUN_DIR / "model.keras")  # found next time, after the others
    assert "trained just now" not in load_course_model()[1] and "earlier" in load_course_model()[1]


def test_recorded_metrics_and_table(project_dir: Path):
    found, missing = recorded_metrics.load_recorded_metrics()
    assert found == {} and len(missing) == 2
    recorded = {
        "accuracy": 0.66,
        "accuracy_tta": 0.67,
        "loss": 0.95,
        "parameters": 1234,
        "training": {"epochs_run": 30, "training_seconds": 3600.0},
        "test": {"macro_f1": 0.6, "per_class": {"disgust": {"recall": 0.5}}},
    }
    path = project_dir / course_model.SHIPPED_MODEL.with_suffix(".json")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(recorded))
    found, missing = recorded_metrics.load_recorded_metrics()
    assert list(found) == ["vgg_bn (improved)"] and [p.name for p in missing] == ["fer_baseline_cpu.json"]

    live = {"accuracy": 0.3, "loss": 1.8, "macro_f1": 0.2, "per_class": {"disgust": {"recall": 0.0}}}
    table = recorded_metrics.metrics_table({**found, "live": live})
    assert list(table.columns) == ["vgg_bn (improved)", "live"]
    assert table.loc["training minutes", "vgg_bn (improved)"] == 60.0
    assert table.loc["recall disgust", "vgg_bn (improved)"] == 0.5 and table.loc["recall disgust", "live"] == 0.0
    assert table.loc["macro F1", "live"] == 0.2 and np.isnan(table.loc["with flip TTA", "live"])
    assert np.isnan(table.loc["recall happy", "live"])


def test_link_run_dir_moves_existing_files_and_links(tmp_path: Path):
    local, target = tmp_path / "runs" / "notebook04", tmp_path / "drive" / "runs" / "notebook04"
    local.mkdir(parents=True)
    (local / "history.csv").write_text("epoch\n0\n")
    assert colab_drive.link_run_dir(target, local) == local
    assert local.is_symlink() and (target / "history.csv").read_text() == "epoch\n0\n"
    (local / "best.keras").write_text("x")  # written through the link, lands on the "drive"
    assert (target / "best.keras").is_file()
    colab_drive.link_run_dir(target, local)  # linking again is harmless
    assert local.is_symlink() and sorted(p.name for p in local.iterdir()) == ["best.keras", "history.csv"]


def test_keep_runs_on_drive_refuses_outside_colab():
    with pytest.raises(RuntimeError, match="only in Google Colab"):
        colab_drive.keep_runs_on_drive()
