"""Grad-CAM in one place: where it points, on the course models, batched, and its figures (notebook 06)."""

import keras
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from fer_helpers import plots  # noqa: E402
from fer_helpers.data.classes import CLASS_NAMES  # noqa: E402
from fer_helpers.evaluation.gradcam import (  # noqa: E402
    gradcam_batch,
    gradcam_heatmap,
    gradcam_layer_name,
    overlay_heatmap,
    upsample_heatmap,
)
from fer_helpers.models.builders import build_model  # noqa: E402


@pytest.fixture(scope="module")
def model() -> keras.Model:
    keras.utils.set_random_seed(1)
    return build_model("baseline")


@pytest.fixture(scope="module")
def faces() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (4, 48, 48), dtype=np.uint8)


def titles(fig) -> list[str]:
    return [ax.get_title() for ax in fig.axes if ax.get_title()]


class Halves(keras.layers.Layer):
    """Splits a face into two channels: its top-left quarter, and the rest."""

    def call(self, faces):
        mask = np.zeros((1, 48, 48, 1), "float32")
        mask[:, :24, :24] = 1.0
        return keras.ops.concatenate([faces * mask, faces * (1 - mask)], axis=-1)


def test_gradcam_points_where_the_evidence_is():
    """Feature map 0 sees only the top-left quarter and class 0 reads only map 0: Grad-CAM must light up there."""
    inputs = keras.Input((48, 48, 1))
    identity = keras.initializers.Constant(np.eye(2)[None, None])
    maps = keras.layers.Conv2D(2, 1, use_bias=False, kernel_initializer=identity, name="maps")(Halves()(inputs))
    pooled = keras.layers.GlobalAveragePooling2D()(maps)
    reads_map0 = keras.initializers.Constant([[1 / 255.0, 0.0], [0.0, 0.0]])
    logits = keras.layers.Dense(2, use_bias=False, kernel_initializer=reads_map0)(pooled)
    model = keras.Model(inputs, keras.layers.Activation("softmax")(logits))
    heatmap = gradcam_heatmap(model, np.full((48, 48), 200, np.uint8), class_index=0, layer_name="maps")
    assert heatmap.shape == (48, 48)
    assert heatmap[:24, :24].min() == pytest.approx(1.0)
    assert heatmap[24:, :].max() == 0.0 and heatmap[:, 24:].max() == 0.0


def test_gradcam_on_course_models():
    model = build_model("vgg_bn")
    assert gradcam_layer_name(model) == "block4_2_relu"
    face = np.random.default_rng(1).integers(0, 255, (48, 48), dtype=np.uint8)
    heatmap = gradcam_heatmap(model, face)
    assert heatmap.shape == (6, 6) and heatmap.min() >= 0 and heatmap.max() <= 1
    assert upsample_heatmap(heatmap).shape == (48, 48)
    overlay = overlay_heatmap(face, heatmap)
    assert overlay.shape == (48, 48, 3) and overlay.dtype == np.uint8


def test_gradcam_batch_equals_gradcam_heatmap_face_by_face(model, faces):
    heatmaps, probs = gradcam_batch(model, faces, class_indices=[0, 3, 6, 1])
    assert heatmaps.shape == (4, 12, 12) and probs.shape == (4, 7)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    for face, heatmap, c in zip(faces, heatmaps, [0, 3, 6, 1]):
        assert np.allclose(heatmap, gradcam_heatmap(model, face, class_index=c), atol=1e-5)
    assert heatmaps.min() >= 0 and heatmaps.max() == pytest.approx(1.0)  # each map is divided by its peak


def test_gradcam_batch_explains_the_predicted_class_by_default(model, faces):
    heatmaps, probs = gradcam_batch(model, faces, layer_name="block2_conv")
    assert heatmaps.shape == (4, 24, 24)
    predicted = probs.argmax(axis=1)
    for face, heatmap, c in zip(faces, heatmaps, predicted):
        expected = gradcam_heatmap(model, face, class_index=int(c), layer_name="block2_conv")
        assert np.allclose(heatmap, expected, atol=1e-5)


def test_gradcam_batch_in_chunks_equals_one_pass():
    keras.utils.set_random_seed(2)
    model = build_model("baseline")
    faces = np.random.default_rng(3).integers(0, 256, (5, 48, 48), dtype=np.uint8)
    classes = [6, 0, 3, 3, 1]
    whole, whole_probs = gradcam_batch(model, faces, class_indices=classes)
    chunked, chunked_probs = gradcam_batch(model, faces, class_indices=classes, batch_size=2)  # 2 + 2 + 1 faces
    assert chunked.shape == whole.shape == (5, 12, 12) and chunked_probs.shape == (5, 7)
    np.testing.assert_allclose(chunked, whole, atol=1e-5)
    np.testing.assert_allclose(chunked_probs, whole_probs, atol=1e-6)
    predicted, _ = gradcam_batch(model, faces, batch_size=2)  # default: each face's predicted class
    np.testing.assert_allclose(predicted, gradcam_batch(model, faces)[0], atol=1e-5)


def test_plot_gradcam_grid_shows_every_requested_class(model, faces):
    one_face = np.repeat(faces[:1], 7, axis=0)
    fig = plots.plot_gradcam_grid(model, one_face, class_indices=range(7), columns=7)
    assert [t.split()[0] for t in titles(fig)] == list(CLASS_NAMES)
    assert fig.axes[0].images[0].get_array().shape == (48, 48, 3)
    plt.close(fig)
    fig = plots.plot_gradcam_grid(model, faces, labels=[0, 1, 2, 3], columns=3)
    assert len(fig.axes) == 6 and all(t.startswith("true ") and "\npred " in t for t in titles(fig))
    plt.close(fig)


def test_plot_gradcam_layers_has_one_row_per_layer(model, faces):
    fig = plots.plot_gradcam_layers(model, faces[:3], ["block3_conv", "block1_conv"])
    assert len(fig.axes) == 9
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert labels == ["face", "block3_conv\n12×12", "block1_conv\n48×48"]
    plt.close(fig)


def test_plot_gradcam_steps(model, faces):
    fig = plots.plot_gradcam_steps(model, faces[0], class_index=2)
    assert titles(fig)[1] == "block3_conv: 12×12" and titles(fig)[3].startswith("overlay: fear ")
    plt.close(fig)
