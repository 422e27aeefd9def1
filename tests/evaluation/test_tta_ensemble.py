"""Test-time augmentation (flip, ten crops), ensembles, and fer-evaluate's options for both."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from fer_helpers.cli.evaluate import fer_evaluate
from fer_helpers.data.imageset import ImageSet
from fer_helpers.evaluation import metrics as evaluation
from fer_helpers.evaluation.ensemble import ensemble_probabilities, evaluate_ensemble
from fer_helpers.evaluation.metrics import choose_tta, evaluate_model, predict_probabilities, ten_crop_views, tta_mode


def tiny_model(seed: int, name: str) -> keras.Model:
    """Return a small random CNN that maps (48, 48, 1) faces to 7 probabilities and does not ignore position."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((48, 48, 1))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(4, 5, strides=4, activation="relu")(x)
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, keras.layers.Dense(7, activation="softmax")(x), name=name)


@pytest.fixture(scope="module")
def faces() -> ImageSet:
    rng = np.random.default_rng(0)
    return ImageSet(rng.integers(0, 256, (21, 48, 48), dtype=np.uint8), np.arange(21) % 7)


def test_tta_names():
    assert [tta_mode(t) for t in (None, "none", "flip", "ten-crop")] == ["none", "none", "flip", "ten-crop"]
    with pytest.raises(ValueError, match="Unknown test-time augmentation True"):
        tta_mode(True)  # the older flag is gone: say "flip"
    with pytest.raises(ValueError, match="Unknown test-time augmentation 'five-crop'"):
        tta_mode("five-crop")


def test_ten_crops_are_corners_centre_and_mirrors_resized_to_the_whole_face(faces: ImageSet):
    images = faces.images[:3]
    views = ten_crop_views(images, crop_size=44)
    assert len(views) == 10 and all(view.shape == (3, 48, 48) and view.dtype == np.float32 for view in views)
    for view, mirror in zip(views[::2], views[1::2]):
        np.testing.assert_array_equal(mirror, view[:, :, ::-1])
    corners = [images[:, :44, :44], images[:, :44, 4:], images[:, 4:, :44], images[:, 4:, 4:], images[:, 2:46, 2:46]]
    for view, corner in zip(views[::2], corners):
        expected = keras.ops.image.resize(corner[..., None].astype("float32"), (48, 48), interpolation="bilinear")
        np.testing.assert_allclose(view, keras.ops.convert_to_numpy(expected)[..., 0], atol=1e-4)
    whole = ten_crop_views(images, crop_size=48)
    np.testing.assert_array_equal(whole[0], images)
    np.testing.assert_array_equal(whole[1], images[:, :, ::-1])
    with pytest.raises(ValueError, match="crop_size"):
        ten_crop_views(images, crop_size=50)


def test_ten_crop_prediction_is_the_mean_over_the_ten_views(faces: ImageSet):
    model = tiny_model(1, "a")
    expected = np.mean([model.predict(v[..., None], verbose=0) for v in ten_crop_views(faces.images)], axis=0)
    np.testing.assert_allclose(predict_probabilities(model, faces.images, "ten-crop"), expected, atol=1e-5)
    flip = predict_probabilities(model, faces.images, "flip")
    mirrored = model.predict(faces.images[:, :, ::-1, None].astype("float32"), verbose=0)
    np.testing.assert_allclose(
        flip, (model.predict(faces.images[..., None].astype("float32"), verbose=0) + mirrored) / 2, atol=1e-5
    )
    metrics = evaluate_model(model, faces, tta="ten-crop")
    assert metrics["tta"] is True and metrics["tta_mode"] == "ten-crop"
    assert "ten-crop TTA" in evaluation.format_report(metrics)
    assert evaluate_model(model, faces, tta="flip")["tta_mode"] == "flip"


def test_choose_tta_uses_the_faces_right_and_prefers_the_cheaper_mode_on_a_tie(faces: ImageSet, monkeypatch):
    right = {"none": 10, "flip": 12, "ten-crop": 12}
    monkeypatch.setattr(evaluation, "evaluate_model", lambda model, val, tta: {"accuracy": right[tta] / len(val)})
    chosen, scored = choose_tta(None, faces)
    assert chosen == "flip" and scored["ten-crop"]["accuracy"] == pytest.approx(12 / 21)
    right["ten-crop"] = 13
    assert choose_tta(None, faces)[0] == "ten-crop"


def test_ensemble_averages_the_members_probabilities(faces: ImageSet):
    a, b = tiny_model(1, "a"), tiny_model(2, "b")
    pa, pb = (m.predict(faces.images[..., None].astype("float32"), verbose=0) for m in (a, b))
    np.testing.assert_allclose(ensemble_probabilities([a, b], faces.images), (pa + pb) / 2, atol=1e-6)
    metrics = evaluate_ensemble([a, b], faces, tta="flip")
    assert metrics["members"] == ["a", "b"] and metrics["tta_mode"] == "flip" and metrics["num_images"] == 21
    with pytest.raises(ValueError, match="at least one model"):
        ensemble_probabilities([], faces.images)


def test_fer_evaluate_takes_several_models_and_ten_crop_tta(small_synthetic: Path, tmp_path: Path, capsys):
    paths = []
    for seed in (1, 2):
        paths += ["--model", str(tmp_path / f"m{seed}.keras")]
        tiny_model(seed, f"m{seed}").save(paths[-1])
    out = tmp_path / "ensemble.json"
    args = [*paths, "--data", str(small_synthetic), "--tta", "ten-crop", "--json", str(out)]
    assert fer_evaluate(args) == 0
    metrics = json.loads(out.read_text())
    assert metrics["model"] == paths[1::2] and metrics["members"] == ["m1", "m2"] and metrics["tta_mode"] == "ten-crop"
    printed = capsys.readouterr().out
    assert "Ensemble of 2 models" in printed and "ten-crop TTA" in printed
    assert fer_evaluate([*paths[:2], "--data", str(small_synthetic), "--json", str(out)]) == 0
    single = json.loads(out.read_text())
    assert single["model"] == paths[1] and single["tta"] is False and "members" not in single
    with pytest.raises(SystemExit):
        fer_evaluate([*paths[:2], "--data", str(small_synthetic), "--tta", "five-crop"])


def test_ten_crop_metrics_choose_on_validation_and_report_test(faces: ImageSet):
    from fer_helpers.data.dataset import FERData
    from fer_helpers.training.experiment import ten_crop_metrics

    data = FERData(train=faces, val=faces.subset(np.arange(14)), test=faces, source="synthetic", location="-")
    result = ten_crop_metrics(tiny_model(3, "c"), data)
    assert result["test_ten_crop"]["tta_mode"] == "ten-crop"
    assert result["accuracy_ten_crop"] == result["test_ten_crop"]["accuracy"]
    assert result["validation_tta"]["chosen"] in ("none", "flip", "ten-crop")
    assert set(result["validation_tta"]) == {"chosen", "none", "flip", "ten-crop"}
    empty = FERData(train=faces, val=faces.subset(np.array([], int)), test=faces, source="synthetic", location="-")
    assert "validation_tta" not in ten_crop_metrics(tiny_model(3, "c"), empty)
