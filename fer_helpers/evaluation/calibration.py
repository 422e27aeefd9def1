"""Know when the model does not know: calibration (reliability diagram, ECE, temperature scaling) and abstention.

A model is *calibrated* when its confidence matches its accuracy: of the faces it answers with 70 %, 70 % are right.
The expected calibration error (ECE) measures the gap in equal-width bins of the top-class probability.
Temperature scaling (Guo et al. 2017, arXiv:1706.04599) divides the log-probabilities by one scalar ``T`` fitted on
the validation split; it changes how sure the model is, never which class it picks, so accuracy stays the same.
Abstention answers "not sure" below a confidence threshold chosen on validation for a target accuracy on the faces
the model does answer; the risk-coverage curve shows that trade-off.

The course's models end in a softmax, so everything here starts from probabilities (their logarithms are the
logits up to a constant per face, which a softmax ignores). :func:`calibration_block` computes what the model's
JSON stores under :data:`CALIBRATION_KEY`; :func:`load_saved_calibration` reads it back for ``fer-predict``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import softmax

from fer_helpers.errors import ModelFileError

ECE_BINS = 15
"""Equal-width bins of the top-class probability for the reliability diagram and the ECE (as in Guo et al. 2017)."""
DEFAULT_TARGET_ACCURACY = 0.80
"""The accuracy the default abstain threshold aims for on the faces the model answers (chosen on validation)."""
TEMPERATURE_RANGE = (0.05, 20.0)
"""The search range of the temperature (a 1-D bounded search over its logarithm)."""
CALIBRATION_KEY = "calibration"
"""The key of the calibration block in a model's JSON (the ``.json`` file with the model file's stem)."""
_TINY = 1e-12  # floor for probabilities before taking logarithms


@dataclass
class ReliabilityBins:
    """Per-bin numbers of a reliability diagram: bin ``edges`` (bins + 1), face ``counts``, mean top-class
    ``confidence`` and ``accuracy`` (NaN for empty bins)."""

    edges: np.ndarray
    counts: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray


@dataclass
class RiskCoverage:
    """The risk-coverage curve: answering the faces whose confidence is at least ``thresholds[i]`` answers the share
    ``coverage[i]`` of them, with ``accuracy[i]`` right. Thresholds fall, coverage rises to 1."""

    thresholds: np.ndarray
    coverage: np.ndarray
    accuracy: np.ndarray


@dataclass
class SavedCalibration:
    """What ``fer-predict`` applies: the ``temperature`` and the default ``min_confidence`` saved in ``source``
    (1.0 and 0.0, which change nothing, when the model has no calibration block)."""

    temperature: float = 1.0
    min_confidence: float = 0.0
    source: Path | None = None


def confidence_and_correct(probabilities: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each face's top-class probability and whether that class is its label."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    return probabilities.max(axis=1), probabilities.argmax(axis=1) == np.asarray(labels)


def reliability_bins(probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> ReliabilityBins:
    """Return the reliability diagram's numbers: faces sorted into ``bins`` equal-width confidence bins
    ``(i/bins, (i+1)/bins]``, with the mean confidence and the accuracy in each."""
    confidence, correct = confidence_and_correct(probabilities, labels)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.searchsorted(edges[1:-1], confidence, side="left"), 0, bins - 1)
    counts = np.bincount(index, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(index, weights=confidence, minlength=bins) / counts
        accuracy = np.bincount(index, weights=correct.astype(float), minlength=bins) / counts
    return ReliabilityBins(edges=edges, counts=counts, confidence=mean_confidence, accuracy=accuracy)


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> float:
    """Return the ECE: the gap |accuracy - mean confidence| of each bin, weighted by its share of the faces."""
    table = reliability_bins(probabilities, labels, bins)
    filled = table.counts > 0
    weights = table.counts[filled] / table.counts.sum()
    return float(np.sum(weights * np.abs(table.accuracy[filled] - table.confidence[filled])))


def negative_log_likelihood(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Return the mean of -ln p(true class): the cross-entropy loss the model was trained to lower."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    true_class = probabilities[np.arange(len(probabilities)), np.asarray(labels)]
    return float(-np.mean(np.log(np.clip(true_class, _TINY, 1.0))))


def apply_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Return ``softmax(ln(p) / temperature)``: above 1 the answers get less sure, below 1 surer; the order of the
    classes, and so the predicted class, never changes."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    log_probabilities = np.log(np.clip(np.asarray(probabilities, dtype=np.float64), _TINY, 1.0))
    return softmax(log_probabilities / temperature, axis=1)


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Return the temperature that minimises the negative log-likelihood of ``labels`` (fit it on validation)."""
    log_low, log_high = np.log(TEMPERATURE_RANGE)
    result = minimize_scalar(
        lambda log_t: negative_log_likelihood(apply_temperature(probabilities, float(np.exp(log_t))), labels),
        bounds=(log_low, log_high),
        method="bounded",
        options={"xatol": 1e-6},
    )
    return float(np.exp(result.x))


def calibration_metrics(probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> dict[str, float]:
    """Return ``{"ece", "nll", "accuracy"}`` of probabilities against labels."""
    _, correct = confidence_and_correct(probabilities, labels)
    return {
        "ece": expected_calibration_error(probabilities, labels, bins),
        "nll": negative_log_likelihood(probabilities, labels),
        "accuracy": float(correct.mean()),
    }


def risk_coverage_curve(probabilities: np.ndarray, labels: np.ndarray) -> RiskCoverage:
    """Return the accuracy on the faces the model is surest about, as the share it answers grows from the surest
    face to all of them (faces with equal confidence are answered together)."""
    confidence, correct = confidence_and_correct(probabilities, labels)
    order = np.argsort(-confidence, kind="stable")
    confidence, correct = confidence[order], correct[order]
    answered = np.arange(1, len(confidence) + 1)
    right = np.cumsum(correct)
    last_of_ties = np.r_[confidence[1:] != confidence[:-1], True]
    return RiskCoverage(
        thresholds=confidence[last_of_ties],
        coverage=answered[last_of_ties] / len(confidence),
        accuracy=right[last_of_ties] / answered[last_of_ties],
    )


def coverage_at(probabilities: np.ndarray, labels: np.ndarray, min_confidence: float) -> dict[str, float]:
    """Return ``{"coverage", "accuracy"}``: the share of faces answered at ``min_confidence`` and the accuracy on
    them (NaN when none is answered)."""
    confidence, correct = confidence_and_correct(probabilities, labels)
    answered = confidence >= min_confidence
    return {
        "coverage": float(answered.mean()),
        "accuracy": float(correct[answered].mean()) if answered.any() else float("nan"),
    }


def choose_threshold(
    probabilities: np.ndarray, labels: np.ndarray, target_accuracy: float = DEFAULT_TARGET_ACCURACY
) -> float:
    """Return the lowest confidence threshold whose answered faces reach ``target_accuracy`` (the most coverage
    that meets it). When even the surest face misses it, return a threshold above every confidence: answer none."""
    curve = risk_coverage_curve(probabilities, labels)
    meets = np.flatnonzero(curve.accuracy >= target_accuracy)
    if not len(meets):
        return float(np.nextafter(curve.thresholds[0], np.inf))
    return float(curve.thresholds[meets[-1]])


def calibration_block(
    val_probabilities: np.ndarray,
    val_labels: np.ndarray,
    test_probabilities: np.ndarray,
    test_labels: np.ndarray,
    target_accuracy: float = DEFAULT_TARGET_ACCURACY,
    bins: int = ECE_BINS,
) -> dict[str, object]:
    """Return the calibration block of a model's JSON: the temperature fitted on validation, ECE/NLL/accuracy before
    and after on validation and test, and the abstain threshold chosen on the calibrated validation probabilities,
    with its coverage and accuracy on both splits. Test is only reported, never used for a choice."""
    temperature = fit_temperature(val_probabilities, val_labels)
    threshold = choose_threshold(apply_temperature(val_probabilities, temperature), val_labels, target_accuracy)
    block: dict[str, object] = {
        "temperature": temperature,
        "bins": bins,
        "method": "temperature scaling of the log-probabilities, fitted on validation by minimising the NLL; "
        f"ECE over {bins} equal-width bins of the top-class probability",
    }
    abstain: dict[str, object] = {
        "min_confidence": threshold,
        "target_accuracy": target_accuracy,
        "chosen_on": "validation, calibrated probabilities",
    }
    for split, probabilities, labels in (
        ("validation", val_probabilities, val_labels),
        ("test", test_probabilities, test_labels),
    ):
        calibrated = apply_temperature(probabilities, temperature)
        block[split] = {
            "faces": int(len(labels)),
            "before": calibration_metrics(probabilities, labels, bins),
            "after": calibration_metrics(calibrated, labels, bins),
        }
        abstain[split] = coverage_at(calibrated, labels, threshold)
    block["abstain"] = abstain
    return block


def load_saved_calibration(model_path: str | Path) -> SavedCalibration:
    """Return the calibration saved in the JSON next to ``model_path`` (same stem, ``.json``); the neutral
    :class:`SavedCalibration` when there is no such file or it has no calibration block."""
    path = Path(model_path).with_suffix(".json")
    if not path.is_file():
        return SavedCalibration()
    try:
        block = json.loads(path.read_text()).get(CALIBRATION_KEY)
        if block is None:
            return SavedCalibration()
        temperature = float(block["temperature"])
        min_confidence = float(block.get("abstain", {}).get("min_confidence", 0.0))
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ModelFileError(
            f"Cannot read the calibration in {path} ({err.__class__.__name__}: {err}); fix or delete its "
            f'"{CALIBRATION_KEY}" block (benchmarks/calibrate_model.py writes it).'
        ) from err
    for key, value, ok in (
        ("temperature", temperature, math.isfinite(temperature) and temperature > 0),
        ("abstain.min_confidence", min_confidence, 0 <= min_confidence <= 1),
    ):
        if not ok:
            raise ModelFileError(
                f'{path}: "{CALIBRATION_KEY}.{key}" is {value}, which cannot be used (a temperature must be a positive '
                f'number, min_confidence a probability from 0 to 1). Fix or delete the "{CALIBRATION_KEY}" block '
                "(benchmarks/calibrate_model.py writes it)."
            )
    return SavedCalibration(temperature=temperature, min_confidence=min_confidence, source=path)
