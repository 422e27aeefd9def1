"""Transfer-learning model: course input contract, frozen then unfrozen backbone, plans per profile (no downloads)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from fer_helpers.evaluation.metrics import predict_probabilities
from fer_helpers.models.files import load_trained_model
from fer_helpers.models.transfer import (
    BACKBONES,
    TRANSFER_IMAGE_SIZE,
    backbone_of,
    build_transfer_model,
    compile_transfer,
    trainable_parameters,
    transfer_plan,
    unfreeze_backbone,
)

HEAD_PARAMETERS = {"mobilenet_v3_small": 576 * 7 + 7, "efficientnet_b0": 1280 * 7 + 7}


@pytest.fixture(scope="module")
def faces() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (8, 48, 48), dtype=np.uint8)


@pytest.mark.parametrize("backbone", sorted(BACKBONES))
def test_course_input_contract_and_frozen_backbone(backbone, faces):
    model = build_transfer_model(backbone, weights=None)
    assert model.input_shape == (None, 48, 48, 1) and model.output_shape == (None, 7)
    assert model.get_layer("upscale").output.shape[1:] == (TRANSFER_IMAGE_SIZE, TRANSFER_IMAGE_SIZE, 1)
    assert model.get_layer("gray_to_rgb").output.shape[-1] == 3
    assert trainable_parameters(model) == HEAD_PARAMETERS[backbone]  # only the new head learns at first
    probs = predict_probabilities(model, faces)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_unfreezing_keeps_batch_norm_frozen():
    model = build_transfer_model(weights=None)
    head = trainable_parameters(model)
    some = unfreeze_backbone(model, top_layers=20)
    partly = trainable_parameters(model)
    everything = unfreeze_backbone(model)
    assert 0 < some < everything and head < partly < trainable_parameters(model)
    batch_norms = [layer for layer in backbone_of(model).layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert batch_norms and not any(layer.trainable for layer in batch_norms)


@pytest.mark.slow
def test_an_eager_step_trains_the_head_like_a_traced_one(faces):
    steps = []
    for eager in (False, True):
        keras.utils.set_random_seed(5)
        model = compile_transfer(build_transfer_model(weights=None), learning_rate=1e-2, run_eagerly=eager)
        assert model.run_eagerly == eager
        model.fit(faces[..., None].astype("float32"), np.arange(8) % 7, batch_size=8, epochs=1, verbose=0)
        steps.append(model.get_layer("logits").get_weights()[0])
    np.testing.assert_allclose(steps[0], steps[1], atol=1e-4)


@pytest.mark.slow
def test_one_training_step_changes_the_head_and_saves(faces, tmp_path):
    model = compile_transfer(build_transfer_model(weights=None), learning_rate=1e-2)
    frozen_before = [w.copy() for w in backbone_of(model).get_weights()]
    head_before = model.get_layer("logits").get_weights()[0].copy()
    model.fit(faces[..., None].astype("float32"), np.arange(8) % 7, batch_size=8, epochs=1, verbose=0)
    assert not np.allclose(model.get_layer("logits").get_weights()[0], head_before)
    assert all(np.array_equal(a, b) for a, b in zip(frozen_before, backbone_of(model).get_weights(), strict=True))
    model.save(tmp_path / "transfer.keras")
    reloaded = load_trained_model(tmp_path / "transfer.keras")  # what fer-predict --model would do
    np.testing.assert_allclose(predict_probabilities(reloaded, faces), predict_probabilities(model, faces), atol=1e-5)


def test_plans():
    smoke = transfer_plan("smoke")
    assert smoke.weights is None and smoke.max_train_faces  # CI: no download, a tiny batch
    assert smoke.fine_tune_layers and transfer_plan("gpu").fine_tune_layers is None  # CI: a few layers; GPU: all
    assert smoke.run_eagerly and not transfer_plan("gpu").run_eagerly and not transfer_plan("cpu").run_eagerly
    for name in ("cpu", "gpu"):
        plan = transfer_plan(name)
        assert plan.weights == "imagenet" and plan.max_train_faces is None
        assert plan.fine_tune_learning_rate < plan.head_learning_rate
    with pytest.raises(ValueError, match="backbone"):
        build_transfer_model("resnet9000", weights=None)
