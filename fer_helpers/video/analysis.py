"""Expressions over time: detect, track, classify and smooth every face of a video, frame after frame.

:class:`FrameAnalyser` does one frame (a video's or a webcam's): find the faces (YuNet or Haar, or between
detections follow the last boxes), number them with the IoU tracker, classify all the confirmed ones (found in
``min_hits`` frames) in *one* batched call, and smooth each face's probabilities over time. :func:`analyse_video`
runs it over a video file, streaming, and writes what it finds: a CSV with one row per face per analysed frame, and
an annotated MP4.
"""

from __future__ import annotations

import contextlib
import csv
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fer_helpers.data.classes import CLASS_NAMES
from fer_helpers.inference.classifiers import Classifier
from fer_helpers.inference.face_detection import (
    DEFAULT_DETECTOR,
    FACE_MARGIN,
    YUNET_SCORE_THRESHOLD,
    Box,
    crop_face,
    detect_faces,
    drop_nested_boxes,
    to_gray,
)
from fer_helpers.inference.face_prediction import FacePrediction
from fer_helpers.quiet import with_progress
from fer_helpers.video.io import Mp4Writer, VideoReader, prepare_output_folder
from fer_helpers.video.tracking import MIN_HITS, SMOOTHING_S, IoUTracker, ProbabilitySmoother, follow_box

CSV_COLUMNS = ("frame", "time_s", "face_id", "x", "y", "w", "h", "label", "confidence", *CLASS_NAMES)
"""The per-frame CSV's header: the frame's index and time, the face's number and box, then the model's raw output."""
PROGRESS_MIN_FRAMES = 300
"""Videos with at least this many frames to analyse show a progress bar (shorter ones finish in seconds)."""


@dataclass
class FaceObservation:
    """One face in one analysed frame: its number, the model's ``prediction`` for this frame and the ``smoothed`` one.

    ``prediction`` (box, 48x48 crop, raw probabilities, label, confidence) is what the model said about this
    frame alone; ``smoothed`` is the moving average of this face's probabilities up to this frame.
    """

    frame: int
    time_s: float
    face_id: int
    prediction: FacePrediction
    smoothed: np.ndarray

    @property
    def box(self) -> Box:
        """Return the face's box in the frame."""
        return self.prediction.box

    @property
    def smoothed_prediction(self) -> FacePrediction:
        """Return the prediction made of the smoothed probabilities (steadier: what the annotated video shows)."""
        return FacePrediction(self.prediction.box, self.prediction.face, self.smoothed)

    def csv_row(self) -> list[object]:
        """Return this face's CSV row (:data:`CSV_COLUMNS`): raw label, confidence and probabilities."""
        raw = self.prediction
        return [
            self.frame,
            f"{self.time_s:.3f}",
            self.face_id,
            *raw.box,
            raw.label,
            f"{raw.confidence:.4f}",
            *(f"{p:.4f}" for p in raw.probabilities),
        ]


class FrameAnalyser:
    """Analyse successive frames of one video or camera: detect, track, classify in one batch, smooth.

    ``detect_every=k`` runs the face detector on every k-th frame only and follows the boxes in between
    (``tracking.follow_box``): faster, but a face that appears waits up to k-1 frames to be found.
    ``detect_max_side`` shrinks frames for detection (faster; faces under ``min_face`` pixels of the shrunk
    frame are not reported). ``detector`` is ``"yunet"`` or ``"haar"`` and ``score_threshold`` YuNet's
    (``face_detection.detect_faces``).
    ``min_hits``: a face is reported once it was detected in this many frames (false detections rarely last;
    1 reports every box at once). ``smoothing_s`` is the time constant of the moving average (0: none).
    """

    def __init__(
        self,
        classify: Classifier,
        *,
        smoothing_s: float = SMOOTHING_S,
        detect_every: int = 1,
        detect_max_side: int = 640,
        min_face: int = 30,
        margin: float = FACE_MARGIN,
        detector: str = DEFAULT_DETECTOR,
        score_threshold: float = YUNET_SCORE_THRESHOLD,
        min_hits: int = MIN_HITS,
        tracker: IoUTracker | None = None,
    ):
        if detect_every < 1:
            raise ValueError(f"detect_every must be 1 or more, got {detect_every}")
        self.classify = classify
        self.detect_every = detect_every
        self.detect_max_side = detect_max_side
        self.min_face = min_face
        self.margin = margin
        self.detector = detector
        self.score_threshold = score_threshold
        self.tracker = tracker or IoUTracker(min_hits=min_hits)
        self.smoother = ProbabilitySmoother(smoothing_s)
        self._frames_seen = 0
        self._previous: tuple[np.ndarray, list[Box]] | None = None

    def detects_now(self) -> bool:
        """Return True when this frame is one the detector runs on (the others follow the last boxes)."""
        return self._previous is None or self._frames_seen % self.detect_every == 0

    def find_faces(self, gray: np.ndarray) -> list[Box]:
        """Return this frame's face boxes: detected on every ``detect_every``-th frame, else followed."""
        if self.detects_now():
            found = detect_faces(
                gray,
                max_side=self.detect_max_side,
                min_size=self.min_face,
                detector=self.detector,
                score_threshold=self.score_threshold,
            )
            return drop_nested_boxes(found)
        previous_gray, previous_boxes = self._previous
        return [follow_box(previous_gray, gray, box) for box in previous_boxes]

    def analyse(self, frame: np.ndarray, *, index: int, time_s: float) -> list[FaceObservation]:
        """Return one :class:`FaceObservation` per face in ``frame`` (RGB or gray) at ``time_s``; [] if none."""
        gray = to_gray(frame)
        detected = self.detects_now()
        boxes = self.find_faces(gray)
        self._frames_seen += 1
        self._previous = (gray, boxes)
        face_ids = self.tracker.update(boxes, time_s, detected=detected)
        self.smoother.keep_only(list(self.tracker.tracks))
        confirmed = [(i, box) for i, box in zip(face_ids, boxes, strict=True) if self.tracker.confirmed(i)]
        if not confirmed:
            return []
        face_ids, boxes = [i for i, _ in confirmed], [box for _, box in confirmed]
        faces = np.stack([crop_face(gray, box, self.margin) for box in boxes])
        probabilities = self.classify(faces)
        return [
            FaceObservation(
                index, time_s, face_id, FacePrediction(box, face, probs), self.smoother.update(face_id, probs, time_s)
            )
            for face_id, box, face, probs in zip(face_ids, boxes, faces, probabilities, strict=True)
        ]


@dataclass
class VideoReport:
    """What :func:`analyse_video` did: frames analysed, frames without a face, speed, files and per-face labels."""

    video: str
    every: int = 1
    """Every how many frames one was analysed."""
    frames_analysed: int = 0
    frames_without_face: int = 0
    rows: int = 0
    seconds: float = 0.0
    """Wall-clock time of the whole loop: decoding, detection, classification, drawing and writing."""
    video_seconds: float = 0.0
    """Length of the video covered by the analysed frames."""
    csv_path: Path | None = None
    video_path: Path | None = None
    label_counts: dict[int, Counter] = field(default_factory=dict)
    """Per ``face_id``: how many analysed frames had each *smoothed* label."""

    @property
    def frames_per_second(self) -> float:
        """Return the analysed frames per wall-clock second."""
        return self.frames_analysed / self.seconds if self.seconds else 0.0

    @property
    def real_time_factor(self) -> float:
        """Return how many seconds of video were analysed per wall-clock second (above 1: faster than real time)."""
        return self.video_seconds / self.seconds if self.seconds else 0.0

    def time_shares(self) -> dict[int, dict[str, float]]:
        """Return, per ``face_id``, the share of its analysed frames spent in each (smoothed) expression."""
        return {
            face_id: {name: count / sum(counts.values()) for name, count in counts.most_common()}
            for face_id, counts in sorted(self.label_counts.items())
        }

    def format_summary(self) -> str:
        """Return the readable summary ``fer-predict`` prints: frames, faces, time shares and speed."""
        without = self.frames_without_face / self.frames_analysed if self.frames_analysed else 0.0
        which = "every frame" if self.every == 1 else f"1 frame in {self.every}"
        lines = [
            f"{self.video}  analysed {self.frames_analysed} frames ({which}): "
            f"{self.frames_without_face} without a face ({without:.0%}), {self.rows} face rows"
        ]
        for face_id, shares in self.time_shares().items():
            frames = sum(self.label_counts[face_id].values())
            text = ", ".join(f"{name} {share:.0%}" for name, share in shares.items())
            lines.append(f"{self.video}  face {face_id}: in {frames} frames; {text}")
        if not self.label_counts:
            lines.append(f"{self.video}  no face found in any analysed frame")
        lines.append(
            f"{self.video}  speed: {self.frames_per_second:.1f} frames/s ({self.real_time_factor:.1f}x real time)"
        )
        return "\n".join(lines)


def show_progress(total: int, progress: bool | None) -> bool:
    """Return whether :func:`analyse_video` shows a progress bar: ``progress``, or when None for long videos only."""
    return total >= PROGRESS_MIN_FRAMES if progress is None else progress


def output_names(video: str | Path, stem: str | None = None) -> list[str]:
    """Return the names :func:`analyse_video` writes for ``video``: ``<stem>_frames.csv``, ``<stem>_annotated.mp4``
    (``stem``: the video's file name without its suffix, unless given)."""
    stem = stem or Path(video).stem
    return [f"{stem}_frames.csv", f"{stem}_annotated.mp4"]


def analyse_video(
    path: str | Path,
    classify: Classifier,
    *,
    out_dir: str | Path | None = None,
    every: int = 1,
    write_video: bool = True,
    progress: bool | None = None,
    stem: str | None = None,
    **analyser_options,
) -> VideoReport:
    """Analyse every ``every``-th frame of the video at ``path`` and return a :class:`VideoReport`.

    With ``out_dir`` it writes the per-frame CSV (:data:`CSV_COLUMNS`) and, with ``write_video``, the annotated
    MP4 (the analysed frames only, at the rate that keeps the video's duration). Existing files of those names
    are replaced: check ``prepare_output_folder`` first to say so. Interrupted, both files keep the frames
    done so far. ``analyser_options`` go to :class:`FrameAnalyser` (``smoothing_s``, ``detect_every``, ...).
    """
    from fer_helpers.inference.drawing import annotate_video_frame

    analyser = FrameAnalyser(classify, **analyser_options)
    with VideoReader(path) as reader, contextlib.ExitStack() as stack:
        info = reader.info
        report = VideoReport(video=str(path), every=every)
        rows = writer = None
        if out_dir is not None:
            (csv_path, video_path), _ = prepare_output_folder(out_dir, output_names(path, stem))
            csv_file = stack.enter_context(csv_path.open("w", newline=""))
            rows, report.csv_path = csv.writer(csv_file), csv_path
            rows.writerow(CSV_COLUMNS)
            if write_video:
                writer = stack.enter_context(Mp4Writer(video_path, info.fps / every, info.width, info.height))
                report.video_path = video_path
        total = -(-info.frame_count // every)  # frames to analyse, rounded up
        start = time.perf_counter()
        try:
            frames = with_progress(
                reader.frames(every=every),
                enabled=show_progress(total, progress),
                description="analysing",
                unit="frame",
                total=total or None,
            )
            for frame in frames:
                faces = analyser.analyse(frame.image, index=frame.index, time_s=frame.time_s)
                report.frames_analysed += 1
                report.video_seconds = frame.time_s + every / info.fps
                report.frames_without_face += not faces
                report.rows += len(faces)
                for face in faces:
                    report.label_counts.setdefault(face.face_id, Counter())[face.smoothed_prediction.label] += 1
                if rows is not None:
                    rows.writerows(face.csv_row() for face in faces)
                if writer is not None:
                    writer.write(annotate_video_frame(frame.image, faces))
        finally:
            report.seconds = time.perf_counter() - start
    return report


def smooth_rows(times: Sequence[float], probabilities: np.ndarray, time_constant_s: float) -> np.ndarray:
    """Return the moving average of one face's probabilities (N, 7) observed at ``times`` (as the analyser does)."""
    smoother = ProbabilitySmoother(time_constant_s)
    return np.stack([smoother.update(0, p, t) for t, p in zip(times, probabilities, strict=True)])
