"""Figures for the notebooks and the run folders, one module per kind (``from fer_helpers import plots`` then
``plots.plot_face_grid(...)``)."""

from fer_helpers.plots.data import (
    plot_augmentation_grid,
    plot_class_distribution,
    plot_duplicate_groups,
    plot_face_grid,
    plot_faces_per_class,
    plot_feature_maps,
    plot_mean_faces,
    plot_pixel_statistics,
)
from fer_helpers.plots.explain import (
    plot_face_predictions,
    plot_gradcam_grid,
    plot_gradcam_layers,
    plot_gradcam_steps,
    plot_predictions,
)
from fer_helpers.plots.results import (
    plot_confusion_matrix,
    plot_learning_curves,
    plot_probabilities_over_time,
    plot_reliability_diagrams,
    plot_risk_coverage,
    save_figure,
)

__all__ = [
    "plot_augmentation_grid",
    "plot_class_distribution",
    "plot_confusion_matrix",
    "plot_duplicate_groups",
    "plot_face_grid",
    "plot_face_predictions",
    "plot_faces_per_class",
    "plot_feature_maps",
    "plot_gradcam_grid",
    "plot_gradcam_layers",
    "plot_gradcam_steps",
    "plot_learning_curves",
    "plot_mean_faces",
    "plot_pixel_statistics",
    "plot_predictions",
    "plot_probabilities_over_time",
    "plot_reliability_diagrams",
    "plot_risk_coverage",
    "save_figure",
]
