"""Grad-CAM (Selvaraju et al., 2017): where in a conv layer's feature maps the evidence for a class lies.

The map is as coarse as the layer (6x6 cells for vgg_bn's last block) and each cell's units see more than the
whole face, so it shows regions, not which pixels the model responded to (occlusion answers that more directly).

For a conv layer with feature maps A^k and the class score y^c:
    alpha_k = mean over positions of dy^c / dA^k        (how much map k matters for class c)
    heatmap = ReLU(sum_k alpha_k * A^k)                  (keep only evidence *for* the class)
then normalise to [0, 1] and upsample to the image size.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from fer_helpers.augmentation.pipeline import as_model_input


def gradcam_layer_name(model: keras.Model) -> str:
    """Return the last layer with a 4-D (spatial) output: the conv block's activation Grad-CAM should look at."""
    spatial = [
        layer.name
        for layer in model.layers
        if len(layer.output.shape) == 4 and not isinstance(layer, keras.layers.MaxPooling2D)
    ]
    if not spatial:
        raise ValueError(f"Model {model.name!r} has no layer with spatial output for Grad-CAM.")
    return spatial[-1]


def gradcam_heatmap(
    model: keras.Model, face: np.ndarray, class_index: int | None = None, layer_name: str | None = None
) -> np.ndarray:
    """Return the Grad-CAM heatmap (h, w) in [0, 1] at the layer's resolution for one uint8 face (48, 48).

    ``class_index`` defaults to the predicted class; ``layer_name`` to :func:`gradcam_layer_name`.
    """
    classes = None if class_index is None else [class_index]
    heatmaps, _ = gradcam_batch(model, face[None], class_indices=classes, layer_name=layer_name)
    return heatmaps[0]


def upsample_heatmap(heatmap: np.ndarray, size: tuple[int, int] = (48, 48)) -> np.ndarray:
    """Return ``heatmap`` resized to ``size`` (bilinear), still in [0, 1]."""
    resized = tf.image.resize(heatmap[..., None], size, method="bilinear")[..., 0].numpy()
    return np.clip(resized, 0.0, 1.0)


def overlay_heatmap(face: np.ndarray, heatmap: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """Return an RGB uint8 image: the gray face with the (upsampled) heatmap in the 'jet' colour map on top."""
    import matplotlib

    gray = np.repeat(face[..., None].astype(np.float32) / 255.0, 3, axis=-1)
    colours = matplotlib.colormaps["jet"](upsample_heatmap(heatmap, face.shape[:2]))[..., :3]
    return np.uint8(255 * np.clip((1 - alpha) * gray + alpha * colours, 0, 1))


def gradcam_batch(
    model: keras.Model,
    faces: np.ndarray,
    class_indices=None,
    layer_name: str | None = None,
    batch_size: int = 256,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(heatmaps, probabilities)`` for uint8 faces (N, 48, 48), one forward and one backward pass per batch.

    ``heatmaps`` (N, h, w) in [0, 1] equal :func:`gradcam_heatmap` face by face: in inference mode every
    face's score depends on that face alone, so the gradient of the summed scores holds each face's own
    gradients. ``class_indices`` (N,) default to the predicted classes; ``probabilities`` are (N, 7).
    More than ``batch_size`` faces are explained ``batch_size`` at a time, so that a whole test split fits in memory.
    """
    faces = np.asarray(faces)
    if len(faces) > batch_size:
        classes = None if class_indices is None else np.asarray(class_indices).reshape(-1)
        parts = [
            gradcam_batch(
                model,
                faces[i : i + batch_size],
                None if classes is None else classes[i : i + batch_size],
                layer_name,
                batch_size,
            )
            for i in range(0, len(faces), batch_size)
        ]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    layer = model.get_layer(layer_name or gradcam_layer_name(model))
    grad_model = keras.Model(model.inputs, [layer.output, model.output])
    x = tf.convert_to_tensor(as_model_input(faces))
    with tf.GradientTape() as tape:
        feature_maps, probs = grad_model(x, training=False)
        if class_indices is None:
            class_indices = tf.argmax(probs, axis=1)
        chosen = tf.cast(tf.reshape(class_indices, [-1]), tf.int32)
        total = tf.reduce_sum(tf.gather(probs, chosen, axis=1, batch_dims=1))
    grads = tape.gradient(total, feature_maps)
    weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)  # alpha_k per face
    heatmaps = tf.nn.relu(tf.reduce_sum(feature_maps * weights, axis=-1)).numpy()
    peaks = heatmaps.max(axis=(1, 2), keepdims=True)
    heatmaps = np.divide(heatmaps, peaks, out=np.zeros_like(heatmaps), where=peaks > 0)
    return heatmaps.astype(np.float32), probs.numpy().astype(np.float64)
