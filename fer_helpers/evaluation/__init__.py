"""Measuring a model (notebook 05), explaining it with Grad-CAM (notebook 06) and calibrating it (notebook 10)."""

from fer_helpers.evaluation.gradcam import gradcam_batch, gradcam_heatmap, overlay_heatmap
from fer_helpers.evaluation.metrics import evaluate_model, format_report, predict_probabilities
from fer_helpers.evaluation.recorded_metrics import load_recorded_metrics, metrics_table

__all__ = [
    "evaluate_model",
    "format_report",
    "gradcam_batch",
    "gradcam_heatmap",
    "load_recorded_metrics",
    "metrics_table",
    "overlay_heatmap",
    "predict_probabilities",
]
