"""RandomAffine: one resampling step that rotates, shifts and zooms; the course pipeline built from it."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from fer_helpers.augmentation.layers import RandomAffine, baseline_augmentation, build_augmentation, edge_strength


def _dot_faces(n: int, row: int = 24, col: int = 24) -> np.ndarray:
    """Return n black 48x48x1 images with one bright 3x3 square centred at (row, col)."""
    images = np.zeros((n, 48, 48, 1), dtype="float32")
    images[:, row - 1 : row + 2, col - 1 : col + 2] = 255.0
    return images


def _centroids(images: np.ndarray) -> np.ndarray:
    """Return the (row, col) brightness centroid of each image."""
    rows, cols = np.mgrid[:48, :48]
    mass = images[..., 0].sum(axis=(1, 2))
    return np.stack(
        [(images[..., 0] * rows).sum(axis=(1, 2)) / mass, (images[..., 0] * cols).sum(axis=(1, 2)) / mass], 1
    )


def _textured_faces(n: int = 32) -> np.ndarray:
    """Return n smooth random textures (blurred noise), a stand-in for faces with real detail."""
    rng = np.random.default_rng(0)
    noise = rng.uniform(0, 255, (n, 48, 48, 1)).astype("float32")
    return (noise + np.roll(noise, 1, axis=1) + np.roll(noise, 1, axis=2)) / 3


def test_zero_ranges_are_the_identity_and_inference_leaves_faces_alone():
    faces = _textured_faces(4)
    assert np.array_equal(keras.ops.convert_to_numpy(RandomAffine(0, 0, 0, seed=1)(faces, training=True)), faces)
    assert np.array_equal(keras.ops.convert_to_numpy(RandomAffine(seed=1)(faces, training=False)), faces)


def test_shift_moves_each_face_by_its_own_amount_within_the_range():
    moved = keras.ops.convert_to_numpy(
        RandomAffine(rotation=0, shift=0.1, zoom=0, seed=3)(_dot_faces(64), training=True)
    )
    offsets = _centroids(moved) - 24
    assert np.abs(offsets).max() <= 0.1 * 48 + 0.5  # at most 4.8 px each way
    assert np.abs(offsets).max() > 2.0  # and it does move
    assert len(np.unique(offsets.round(2), axis=0)) > 50  # a different draw for (nearly) every face


def test_rotation_and_zoom_turn_about_the_centre():
    centred = _dot_faces(32, 24, 24)  # the pixel grid's centre is 23.5; the dot's centre is at 24
    for layer in (
        RandomAffine(rotation=30, shift=0, zoom=0, seed=4),
        RandomAffine(rotation=0, shift=0, zoom=0.3, seed=5),
    ):
        out = keras.ops.convert_to_numpy(layer(centred, training=True))
        assert np.abs(_centroids(out) - 23.5).max() < 1.0  # 0.5 px from the centre before, at most ~0.7 after
    corner = keras.ops.convert_to_numpy(
        RandomAffine(rotation=30, shift=0, zoom=0, seed=4)(_dot_faces(32, 8, 8), training=True)
    )
    assert np.abs(_centroids(corner) - 8).max() > 2.0  # far from the centre, a rotation moves the dot


def test_one_warp_blurs_less_than_the_seed_chain_of_three():
    faces = _textured_faces(64)
    one = edge_strength(RandomAffine(seed=1)(faces, training=True))
    three = faces
    for step in ("rotation", "shift", "zoom"):  # the seed's chain without the flip, which does not resample
        three = baseline_augmentation(seed=1).get_layer(step)(three, training=True)
    three = edge_strength(three)
    assert one > 1.1 * three, (one, three)
    assert edge_strength(faces) > one  # resampling still softens a little


def test_pipelines_name_their_steps_and_config_round_trips():
    assert [layer.name for layer in build_augmentation().layers] == ["flip", "affine", "erasing"]
    assert [layer.name for layer in build_augmentation(rotation=0, shift=0, zoom=0, erasing=0).layers] == ["flip"]
    assert [layer.name for layer in baseline_augmentation().layers] == ["flip", "rotation", "shift", "zoom"]
    layer = RandomAffine(rotation=7, shift=0.05, zoom=0.2, seed=9, name="warp")
    clone = RandomAffine.from_config(layer.get_config())
    assert (clone.rotation, clone.shift, clone.zoom, clone.seed, clone.name) == (7.0, 0.05, 0.2, 9, "warp")


@pytest.mark.parametrize("seed", [0, 1])
def test_seeded_layers_repeat_their_draws(seed: int):
    faces = _textured_faces(8)
    first = keras.ops.convert_to_numpy(build_augmentation(seed=seed)(faces, training=True))
    again = keras.ops.convert_to_numpy(build_augmentation(seed=seed)(faces, training=True))
    assert np.array_equal(first, again)


def test_crops_inside_the_face_sample_only_the_face_and_larger_ones_zoom_out():
    white = np.full((16, 48, 48, 1), 255.0, dtype="float32")
    square = {"crop_ratio": (1, 1), "fill_mode": "constant", "seed": 2}
    inside = RandomAffine(0, 0, 0, crop_scale=(0.5, 0.9), **square)(white, training=True)
    assert np.allclose(keras.ops.convert_to_numpy(inside), 255.0, atol=1e-3)  # every window lies inside the face
    larger = keras.ops.convert_to_numpy(RandomAffine(0, 0, 0, crop_scale=(1.44, 1.44), **square)(white, training=True))
    outside = (larger < 128).mean(axis=(1, 2, 3))
    assert np.allclose(outside, 1 - 1 / 1.44, atol=0.05)  # a window 1.2x the face: a frame of fill around it


def test_crop_aspect_ratio_stretches_the_face():
    dot = _dot_faces(4)
    wide_window = RandomAffine(0, 0, 0, crop_scale=(0.5, 0.5), crop_ratio=(2, 2), seed=1)(dot, training=True)
    out = keras.ops.convert_to_numpy(wide_window)[..., 0]
    rows, cols = (out > 64).any(axis=2).sum(axis=1), (out > 64).any(axis=1).sum(axis=1)
    assert (rows >= 2 * cols - 1).all(), (rows, cols)  # a window as wide as the face and half as tall: 2x taller


def test_crops_vary_per_face_and_are_off_by_default():
    faces = _textured_faces(8)
    cropped = keras.ops.convert_to_numpy(RandomAffine(0, 0, 0, crop_scale=(0.8, 1.2), seed=1)(faces, training=True))
    assert len({round(float(np.abs(c - f).mean()), 3) for c, f in zip(cropped, faces)}) == 8
    assert RandomAffine().crop_scale is None and build_augmentation().get_layer("affine").crop_scale is None
    clone = RandomAffine.from_config(RandomAffine(crop_scale=(0.8, 1.2), seed=1).get_config())
    assert clone.crop_scale == (0.8, 1.2) and clone.crop_ratio == (0.75, 4 / 3)
    with pytest.raises(ValueError, match="crop_scale"):
        RandomAffine(crop_scale=(1.2, 0.8))


def test_erasing_scale_reaches_the_erasing_layer():
    layer = build_augmentation(erasing=0.5, erasing_scale=(0.02, 0.33)).get_layer("erasing")
    assert layer.scale == (0.02, 0.33) and tuple(layer.factor) == (0.5, 0.5)
