"""Expressions over time on generated videos whose content is known: face numbers, CSV rows, labels, speed-ups.

The classifier is a deterministic stand-in that can be trusted on the drawn faces: a nearest-template
classifier built from *still* frames of the drawn people, one per expression (see ``template_classifier``).
It knows nothing of the videos' timelines, so the labels it gives there test the whole chain: decoding,
detection, cropping, batching, tracking and the CSV.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from fer_helpers.data.classes import CLASS_NAMES
from fer_helpers.inference.face_detection import (
    Box,
    box_intersection,
    crop_face,
    detect_faces,
    haar_available,
    to_gray,
)
from fer_helpers.video.analysis import CSV_COLUMNS, FrameAnalyser, analyse_video, smooth_rows
from fer_helpers.video.demo import DemoFace, demo_video_frames, write_demo_video

SIZE = {"width": 320, "height": 240, "fps": 10.0, "seconds": 4.0}
MOVING = DemoFace(("neutral", "happy", "surprise", "sad"), start=(0.3, 0.55), end=(0.7, 0.45), size=(0.4, 0.65), seed=7)
TWO = (
    DemoFace(("happy", "surprise"), start=(0.22, 0.5), end=(0.3, 0.55), size=(0.45, 0.35), seed=1),
    DemoFace(("sad", "happy"), start=(0.75, 0.45), end=(0.68, 0.5), size=(0.35, 0.45), seed=2),
)
AWAY = DemoFace(("happy", None, "happy"), start=(0.5, 0.5), end=(0.5, 0.5), size=(0.5, 0.5), seed=7)


# The stand-in classifier's templates are Haar crops and its 90 % bar was set on them; YuNet's boxes (taller than
# wide, and wobbling differently on drawn faces) give it 66 %. The real model keeps its prediction about as often with
# either detector's crops (docs/results.md), so these tests use Haar where this OpenCV has it.
DETECTOR = "haar" if haar_available() else "yunet"
STILL_SIZES = (0.5,) if DETECTOR == "haar" else (0.35, 0.5, 0.65)
"""Sizes of the stills the templates are cut from: YuNet's boxes follow a zooming face less closely than Haar's, so
its templates come from three sizes (with OpenCV 5.1 and one size the stand-in scored 66 %; with three it clears
the 90 % bar)."""


def template_classifier(seeds: list[int]):
    """Return a nearest-template classifier for the drawn people ``seeds`` (a stand-in model to trust on them).

    Its templates are crops cut the way the video pipeline cuts (Haar box, ``crop_face``) from a *still* frame
    of each person with each expression, plus the same crop with the box nudged by a few per cent (as Haar's
    box wobbles from frame to frame). A face gets, per class, its best correlation with that class's templates
    (after a slight blur), turned into probabilities. The few stills Haar does not find give no template.
    """
    templates, labels = [], []
    nudges = [(dx, dy, ds) for dx in (-0.04, 0, 0.04) for dy in (-0.04, 0, 0.04) for ds in (-0.06, 0, 0.06)]
    for seed in seeds:
        for label, name in enumerate(CLASS_NAMES):
            for size in STILL_SIZES:
                still = DemoFace((name,), start=(0.5, 0.5), end=(0.5, 0.5), size=(size, size), seed=seed)
                gray = to_gray(next(demo_video_frames([still], width=320, height=240, seed=seed))[0])
                for x, y, w, h in detect_faces(gray, detector=DETECTOR):
                    for dx, dy, ds in nudges:
                        grow = round(ds * w)
                        nudged = Box(x + round(dx * w) - grow // 2, y + round(dy * h) - grow // 2, w + grow, h + grow)
                        templates.append(crop_face(gray, nudged))
                        labels.append(label)

    def standardise(faces: np.ndarray) -> np.ndarray:
        flat = np.stack([cv2.GaussianBlur(face, (0, 0), 1.5) for face in faces]).reshape(len(faces), -1)
        flat = flat.astype(np.float64)
        return (flat - flat.mean(1, keepdims=True)) / (flat.std(1, keepdims=True) + 1e-6)

    reference, labels = standardise(np.stack(templates)), np.array(labels)

    def classify(faces: np.ndarray) -> np.ndarray:
        correlation = standardise(faces) @ reference.T / reference.shape[1]
        best = np.stack(
            [correlation[:, labels == k].max(1) if (labels == k).any() else -np.ones(len(faces)) for k in range(7)], 1
        )
        scores = np.exp(30 * best)
        return scores / scores.sum(1, keepdims=True)

    return classify


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        reader = csv.DictReader(file)
        assert tuple(reader.fieldnames) == CSV_COLUMNS
        return list(reader)


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, tuple[Path, list]]:
    folder = tmp_path_factory.mktemp("videos")
    made = {}
    for name, faces in (("moving", [MOVING]), ("two", TWO), ("away", [AWAY])):
        path = folder / f"{name}.mp4"
        made[name] = path, write_demo_video(path, faces, **SIZE)
    return made


@pytest.fixture(scope="module")
def classify():
    return template_classifier([1, 2, 7])


@pytest.fixture(scope="module")
def moving_result(videos, classify, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    report = analyse_video(videos["moving"][0], classify, out_dir=out, min_hits=1, detector=DETECTOR)
    return report, read_rows(report.csv_path)


def test_a_moving_zooming_face_keeps_one_face_id(moving_result):
    report, rows = moving_result
    assert {row["face_id"] for row in rows} == {"1"}
    assert report.frames_analysed == 40 and report.frames_without_face == 40 - len(rows) <= 2
    assert list(report.label_counts) == [1]


def test_rows_follow_the_face_across_the_frame(moving_result, videos):
    _, truth = videos["moving"]
    _, rows = moving_result
    for row in rows:
        box = Box(*(int(row[k]) for k in "xywh"))
        (_, true_box) = truth[int(row["frame"])][0]
        assert box_intersection(box, true_box) > 0.9 * box[2] * box[3]  # the found box lies on the drawn face


def test_labels_match_the_known_expression_where_it_is_clear(moving_result, videos):
    _, truth = videos["moving"]
    _, rows = moving_result
    clear = [row for row in rows if int(row["frame"]) % 10 >= 2]  # not the first 0.2 s after each change
    right = [row["label"] == truth[int(row["frame"])][0][0] for row in clear]
    assert len(clear) >= 28 and np.mean(right) >= 0.9, [(r["frame"], r["label"]) for r in clear]
    for row in rows:
        probabilities = np.array([float(row[name]) for name in CLASS_NAMES])
        assert probabilities.sum() == pytest.approx(1, abs=1e-3)
        assert float(row["confidence"]) == pytest.approx(probabilities.max(), abs=1e-4)


def test_annotated_video_has_every_analysed_frame(moving_result):
    from fer_helpers.video.io import VideoReader

    report, _ = moving_result
    with VideoReader(report.video_path) as reader:
        assert (reader.info.width, reader.info.height, reader.info.frame_count) == (320, 240, 40)


def test_two_faces_keep_two_face_ids(videos, classify):
    _, truth = videos["two"]
    faces = []
    analyser = FrameAnalyser(classify, min_hits=1, detector=DETECTOR)
    for index, (frame, _) in enumerate(demo_video_frames(TWO, **SIZE)):
        faces += analyser.analyse(frame, index=index, time_s=index / SIZE["fps"])
    assert {face.face_id for face in faces} == {1, 2} and len(faces) >= 78
    for face in faces:  # face 1 is the left one all along, face 2 the right one
        (_, left), (_, right) = truth[face.frame]
        assert box_intersection(face.box, left if face.face_id == 1 else right) > 0.9 * face.box.w * face.box.h
    clear = [face for face in faces if face.frame % 20 >= 2]  # not the first 0.2 s after each change
    assert np.mean([face.prediction.label == truth[face.frame][face.face_id - 1][0] for face in clear]) >= 0.9


def test_csv_has_one_row_per_face_per_analysed_frame_and_faceless_frames_are_counted(videos, classify, tmp_path):
    for name, every in (("two", 3), ("away", 1)):
        path, truth = videos[name]
        report = analyse_video(path, classify, out_dir=tmp_path, every=every, write_video=False, min_hits=1)
        rows = read_rows(report.csv_path)
        analysed = range(0, 40, every)
        assert report.frames_analysed == len(analysed) == math.ceil(40 / every)
        per_frame = {i: sum(int(row["frame"]) == i for row in rows) for i in analysed}
        assert per_frame == {i: len(truth[i]) for i in analysed}
        assert {int(row["frame"]) for row in rows} <= set(analysed) and report.rows == len(rows)
        assert report.frames_without_face == sum(not truth[i] for i in analysed)
    assert report.frames_without_face == 13  # "away": the middle third has no face
    assert set(report.label_counts) == {1, 2}  # away 1.3 s, longer than the tracker remembers: a new number


def test_detecting_every_third_frame_follows_the_face_in_between(videos, classify):
    path, truth = videos["moving"]
    calls = []
    report = analyse_video(path, lambda faces: calls.append(len(faces)) or classify(faces), detect_every=3, min_hits=1)
    assert list(report.label_counts) == [1] and report.rows == sum(calls) >= 38
    assert "happy" in report.time_shares()[1]


def test_summary_says_frames_faces_shares_and_speed(moving_result):
    report, _ = moving_result
    text = report.format_summary()
    assert "analysed 40 frames (every frame)" in text and "face 1: in" in text and "frames/s" in text
    shares = report.time_shares()[1]
    assert sum(shares.values()) == pytest.approx(1) and set(shares) <= set(CLASS_NAMES)


def test_smooth_rows_is_the_analysers_moving_average():
    times = np.arange(6) / 5
    probabilities = np.eye(7)[[4, 4, 3, 3, 3, 3]]
    smoothed = smooth_rows(times, probabilities, time_constant_s=0.4)
    assert np.array_equal(smoothed[0], probabilities[0]) and smoothed[2, 3] == pytest.approx(1 - math.exp(-0.5))
    assert np.array_equal(smooth_rows(times, probabilities, 0.0), probabilities)


def test_only_long_videos_show_a_progress_bar():
    from fer_helpers.video.analysis import PROGRESS_MIN_FRAMES, show_progress

    assert not show_progress(PROGRESS_MIN_FRAMES - 1, None) and show_progress(PROGRESS_MIN_FRAMES, None)
    assert not show_progress(10_000, False) and show_progress(3, True)
