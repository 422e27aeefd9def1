"""Calibration on constructed cases: ECE, temperature scaling, the risk-coverage curve and the abstain threshold."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fer_helpers.errors import ModelFileError
from fer_helpers.evaluation.calibration import (
    CALIBRATION_KEY,
    apply_temperature,
    calibration_block,
    choose_threshold,
    coverage_at,
    expected_calibration_error,
    fit_temperature,
    load_saved_calibration,
    negative_log_likelihood,
    reliability_bins,
    risk_coverage_curve,
)


def faces_with_confidence(
    confidence: float, right: int, total: int, first_class: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``total`` faces whose top class gets ``confidence`` (the rest spread evenly), ``right`` of them right."""
    probabilities = np.full((total, 7), (1 - confidence) / 6)
    predicted = (first_class + np.arange(total)) % 7
    probabilities[np.arange(total), predicted] = confidence
    labels = np.where(np.arange(total) < right, predicted, (predicted + 1) % 7)
    return probabilities, labels


def stack(*parts: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([p for p, _ in parts]), np.concatenate([y for _, y in parts])


def test_ece_is_zero_when_confidence_equals_accuracy_in_every_bin():
    probabilities, labels = stack(faces_with_confidence(0.7, 7, 10), faces_with_confidence(0.4, 4, 10, first_class=3))
    assert expected_calibration_error(probabilities, labels) == pytest.approx(0.0, abs=1e-12)


def test_ece_of_a_hand_made_case():
    # 0.9 confident, 1 of 2 right: gap 0.4; 0.6 confident, 2 of 2 right: gap 0.4; each half the faces -> ECE 0.4.
    probabilities, labels = stack(faces_with_confidence(0.9, 1, 2), faces_with_confidence(0.6, 2, 2))
    assert expected_calibration_error(probabilities, labels, bins=10) == pytest.approx(0.4)
    table = reliability_bins(probabilities, labels, bins=10)
    assert table.counts.tolist() == [0, 0, 0, 0, 0, 2, 0, 0, 2, 0]  # 0.6 in (0.5, 0.6], 0.9 in (0.8, 0.9]
    assert table.accuracy[8] == pytest.approx(0.5) and table.confidence[5] == pytest.approx(0.6)


def test_ece_is_small_when_labels_are_drawn_from_the_probabilities():
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.full(7, 0.5), size=20_000)
    labels = np.array([rng.choice(7, p=p) for p in probabilities])
    assert expected_calibration_error(probabilities, labels) < 0.02


def overconfident_model(faces: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return probabilities sharpened to the power 3 from calibrated ones, and labels drawn from the calibrated ones."""
    rng = np.random.default_rng(seed)
    calibrated = rng.dirichlet(np.full(7, 0.7), size=faces)
    labels = np.array([rng.choice(7, p=p) for p in calibrated])
    return apply_temperature(calibrated, 1 / 3), labels


def test_temperature_scaling_lowers_the_nll_of_an_overconfident_model_and_keeps_its_accuracy():
    probabilities, labels = overconfident_model(3000, seed=1)
    temperature = fit_temperature(probabilities, labels)
    calibrated = apply_temperature(probabilities, temperature)
    assert temperature == pytest.approx(3.0, rel=0.15)  # it undoes the sharpening
    assert negative_log_likelihood(calibrated, labels) < negative_log_likelihood(probabilities, labels) - 0.1
    assert expected_calibration_error(calibrated, labels) < expected_calibration_error(probabilities, labels) / 3
    np.testing.assert_array_equal(calibrated.argmax(axis=1), probabilities.argmax(axis=1))  # accuracy unchanged


def test_temperature_one_changes_nothing_and_rows_still_sum_to_one():
    probabilities, _ = overconfident_model(50, seed=2)
    np.testing.assert_allclose(apply_temperature(probabilities, 1.0), probabilities, atol=1e-9)
    np.testing.assert_allclose(apply_temperature(probabilities, 2.5).sum(axis=1), 1.0)
    with pytest.raises(ValueError):
        apply_temperature(probabilities, 0.0)


def test_risk_coverage_curve_by_hand():
    # confidences 0.9 (right), 0.8 (wrong), 0.8 (right), 0.5 (wrong): the two 0.8 faces are answered together
    probabilities, labels = stack(
        faces_with_confidence(0.9, 1, 1), faces_with_confidence(0.8, 0, 1), faces_with_confidence(0.8, 1, 1),
        faces_with_confidence(0.5, 0, 1),
    )  # fmt: skip
    curve = risk_coverage_curve(probabilities, labels)
    np.testing.assert_allclose(curve.thresholds, [0.9, 0.8, 0.5])
    np.testing.assert_allclose(curve.coverage, [0.25, 0.75, 1.0])
    np.testing.assert_allclose(curve.accuracy, [1.0, 2 / 3, 0.5])
    assert choose_threshold(probabilities, labels, target_accuracy=0.6) == pytest.approx(0.8)
    assert choose_threshold(probabilities, labels, target_accuracy=0.7) == pytest.approx(0.9)


@pytest.mark.parametrize("target", [0.5, 0.7, 0.8, 0.9])
def test_threshold_meets_its_target_on_the_data_it_was_chosen_on(target):
    probabilities, labels = overconfident_model(2000, seed=3)
    threshold = choose_threshold(probabilities, labels, target_accuracy=target)
    answered = coverage_at(probabilities, labels, threshold)
    assert answered["accuracy"] >= target
    lower = coverage_at(probabilities, labels, np.nextafter(threshold, 0))  # one step lower would miss the target
    assert lower["coverage"] == answered["coverage"] or lower["accuracy"] < target


def test_unreachable_target_answers_no_face():
    probabilities, labels = faces_with_confidence(0.6, 0, 5)  # every answer wrong
    threshold = choose_threshold(probabilities, labels, target_accuracy=0.8)
    assert coverage_at(probabilities, labels, threshold)["coverage"] == 0


def test_calibration_block_and_reading_it_back(tmp_path):
    val, val_labels = overconfident_model(1500, seed=4)
    test, test_labels = overconfident_model(1500, seed=5)
    block = calibration_block(val, val_labels, test, test_labels, target_accuracy=0.8)
    for split in ("validation", "test"):
        assert block[split]["after"]["accuracy"] == block[split]["before"]["accuracy"]
        assert block[split]["after"]["nll"] < block[split]["before"]["nll"]
    assert block["abstain"]["validation"]["accuracy"] >= 0.8
    model = tmp_path / "model.keras"
    assert load_saved_calibration(model).temperature == 1.0  # no JSON: nothing changes
    model.with_suffix(".json").write_text(json.dumps({"name": "m", CALIBRATION_KEY: block}))
    saved = load_saved_calibration(model)
    assert saved.temperature == block["temperature"]
    assert saved.min_confidence == block["abstain"]["min_confidence"]
    model.with_suffix(".json").write_text(json.dumps({CALIBRATION_KEY: {"bins": 15}}))
    with pytest.raises(ModelFileError, match="model.json"):
        load_saved_calibration(model)


def test_a_face_below_the_threshold_gets_not_sure_with_the_top_two():
    from fer_helpers.inference.face_detection import Box
    from fer_helpers.inference.face_prediction import FacePrediction, describe_prediction

    probabilities = np.array([0.05, 0.01, 0.04, 0.08, 0.35, 0.41, 0.06])
    face = FacePrediction(Box(1, 2, 30, 30), np.zeros((48, 48), np.uint8), probabilities)
    assert describe_prediction(face, "a.jpg", 1).endswith("box=1,2,30,30  sad  0.410")
    assert describe_prediction(face, "a.jpg", 1, min_confidence=0.5).endswith(
        "box=1,2,30,30  not sure (top two: sad 41 %, neutral 35 %)"
    )


@pytest.fixture(scope="module")
def calibrated_model(tmp_path_factory):
    """Return a saved (untrained) model with a JSON beside it that holds a calibration block."""
    from fer_helpers.models.builders import build_baseline

    path = tmp_path_factory.mktemp("calibrated") / "model.keras"
    build_baseline().save(path)
    block = {"temperature": 100.0, "abstain": {"min_confidence": 0.5}}  # near-uniform probabilities, all below 0.5
    path.with_suffix(".json").write_text(json.dumps({CALIBRATION_KEY: block}))
    return path


def test_fer_predict_applies_the_saved_temperature_and_threshold(calibrated_model, tmp_path, capsys):
    from fer_helpers.cli.predict import fer_predict
    from fer_helpers.inference.photos import demo_photo, save_photo

    photo = str(save_photo(demo_photo()[0], tmp_path / "faces.png"))
    assert fer_predict([photo, "--model", str(calibrated_model)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "  face " in line]
    assert lines and all("not sure (top two: " in line for line in lines)
    assert fer_predict([photo, "--model", str(calibrated_model), "--min-confidence", "0"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "  face " in line]
    assert lines and all(float(line.split()[-1]) < 0.16 for line in lines)  # temperature 100: about 1/7 each


def test_fer_predict_rejects_a_threshold_outside_0_to_1(calibrated_model, tmp_path, capsys):
    from fer_helpers.cli.predict import fer_predict

    with pytest.raises(SystemExit) as stop:  # refused by argparse, before any work
        fer_predict([str(tmp_path / "none.jpg"), "--model", str(calibrated_model), "--min-confidence", "80"])
    assert stop.value.code == 2 and "argument --min-confidence: must lie between 0 and 1" in capsys.readouterr().err


def test_fer_predict_rejects_a_saved_threshold_outside_0_to_1(calibrated_model, tmp_path, capsys):
    import shutil

    from fer_helpers.cli.predict import fer_predict

    model = shutil.copy(calibrated_model, tmp_path / "odd.keras")
    (tmp_path / "odd.json").write_text(
        json.dumps({CALIBRATION_KEY: {"temperature": 1.0, "abstain": {"min_confidence": 80}}})
    )
    assert fer_predict([str(tmp_path / "none.jpg"), "--model", str(model)]) == 2
    err = capsys.readouterr().err
    assert "odd.json" in err and "calibration.abstain.min_confidence" in err and "--min-confidence" not in err


def test_readme_and_results_quote_the_shipped_models_calibration():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    block = json.loads((root / "models" / "fer_vgg_bn_cpu.json").read_text())[CALIBRATION_KEY]
    results = (root / "docs" / "results.md").read_text().split("## Calibration\n", 1)[1].split("\n## ", 1)[0]
    readme = " ".join((root / "README.md").read_text().split())  # line breaks do not matter
    abstain = block["abstain"]
    for split in ("validation", "test"):
        before, after = block[split]["before"], block[split]["after"]
        assert before["accuracy"] == after["accuracy"]
        row = (
            f"| {block[split]['faces']:,} | {before['ece']:.3f} | {after['ece']:.3f} | {before['nll']:.3f} | "
            f"{after['nll']:.3f} | {100 * after['accuracy']:.1f} % |"
        )
        assert row in results, row
        assert f"| {100 * abstain[split]['coverage']:.1f} % | {100 * abstain[split]['accuracy']:.1f} % |" in results
    for text in (f"T = {block['temperature']:.2f}", f"**{abstain['min_confidence']:.3f}**", "over 15 equal-width bins"):
        assert text in results, text
    test = block["test"]
    for text in (
        f"from {test['before']['ece']:.3f} to {test['after']['ece']:.3f}",
        f"T = {block['temperature']:.2f}",
        f"{test['before']['nll']:.3f} to {test['after']['nll']:.3f}",
        f"below {abstain['min_confidence']:.3f}",
        f"{100 * abstain['test']['coverage']:.1f} % of the faces, {100 * abstain['test']['accuracy']:.1f} % of them",
    ):
        assert text in readme, text
    assert block["bins"] == 15 and abstain["target_accuracy"] == 0.8
