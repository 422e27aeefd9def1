"""Model builders (their Grad-CAM: tests/evaluation/test_gradcam.py)."""

import keras
import numpy as np
import pytest

from fer_helpers.models.builders import MODEL_BUILDERS, build_model


@pytest.mark.parametrize("name", sorted(MODEL_BUILDERS))
def test_models_map_faces_to_class_probabilities(name):
    model = build_model(name)
    faces = np.random.default_rng(0).uniform(0, 255, (3, 48, 48, 1)).astype("float32")
    probs = np.asarray(model(faces, training=False))
    assert probs.shape == (3, 7)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_improved_model_is_bigger_than_baseline_but_cpu_sized():
    baseline, improved, wide = (build_model(n).count_params() for n in ("baseline", "vgg_bn", "vgg_bn_wide"))
    assert improved < 2_000_000 < wide
    assert baseline < 1_000_000


def test_unknown_model_name():
    with pytest.raises(ValueError, match="Unknown model 'resnet9'.*baseline"):
        build_model("resnet9")


@pytest.mark.parametrize("name", sorted(MODEL_BUILDERS))
def test_dropout_rate_can_be_set_and_defaults_to_the_models_own(name):
    rates = [layer.rate for layer in build_model(name, dropout=0.1).layers if isinstance(layer, keras.layers.Dropout)]
    assert rates and set(rates) == {0.1}
    defaults = [layer.rate for layer in build_model(name).layers if isinstance(layer, keras.layers.Dropout)]
    assert 0.1 not in defaults


def test_published_vgg_has_its_4096_wide_head_and_stays_out_of_the_lessons():
    assert "vgg_bn_paper" not in MODEL_BUILDERS  # notebooks 03 and 06 list every course model
    model = build_model("vgg_bn_paper", dropout=0.1)
    assert {layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)} == {0.1}
    assert [model.get_layer(f"dense{i}").units for i in (1, 2)] == [4096, 4096]
    assert model.get_layer("block4_2_conv").filters == 512 and model.get_layer("flatten").output.shape[-1] == 4608
    assert 40_000_000 < model.count_params() < 41_000_000
