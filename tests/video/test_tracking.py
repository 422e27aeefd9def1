"""The IoU tracker, the time-constant moving average and box following between detections."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fer_helpers.inference.face_detection import Box
from fer_helpers.video.tracking import IoUTracker, ProbabilitySmoother, ema_weight, follow_box, match_boxes


def test_match_boxes_pairs_the_most_overlapping_first():
    previous = [Box(0, 0, 100, 100), Box(200, 0, 100, 100)]
    current = [Box(210, 5, 100, 100), Box(10, 0, 100, 100), Box(500, 500, 50, 50)]
    assert sorted(match_boxes(previous, current)) == [(0, 1), (1, 0)]
    assert match_boxes(previous, [Box(120, 0, 60, 60)]) == []  # touches neither enough
    assert match_boxes([], current) == [] and match_boxes(previous, []) == []


def test_a_sliding_face_keeps_its_number_and_a_jump_gets_a_new_one():
    tracker = IoUTracker()
    ids = [tracker.update([Box(100 + 5 * i, 100, 80, 80)], time_s=i / 25)[0] for i in range(50)]
    assert set(ids) == {1}
    assert tracker.update([Box(500, 300, 80, 80)], time_s=2.0) == [2]  # moved further than its width


def test_two_faces_keep_their_numbers_whatever_the_detection_order():
    tracker = IoUTracker()
    assert tracker.update([Box(0, 0, 80, 80), Box(300, 0, 80, 80)], time_s=0.0) == [1, 2]
    assert tracker.update([Box(305, 2, 80, 80), Box(4, 1, 80, 80)], time_s=0.04) == [2, 1]


def test_a_face_away_longer_than_forget_after_comes_back_as_a_new_face():
    tracker = IoUTracker(forget_after_s=1.0)
    box = Box(100, 100, 80, 80)
    assert tracker.update([box], time_s=0.0) == [1]
    assert tracker.update([], time_s=0.5) == []
    assert tracker.update([box], time_s=0.9) == [1]  # away 0.9 s: still known
    assert tracker.update([box], time_s=2.5) == [2]  # away 1.6 s: forgotten
    assert list(tracker.tracks) == [2]


def test_ema_weight_is_set_by_time_not_frames():
    assert ema_weight(0.5, 0.5) == pytest.approx(1 - math.exp(-1))
    assert ema_weight(0.1, 0.0) == 1.0  # no smoothing


@pytest.mark.parametrize("fps", [10, 20, 50])
def test_a_step_reaches_63_percent_after_one_time_constant_at_any_frame_rate(fps):
    smoother = ProbabilitySmoother(time_constant_s=0.5)
    smoother.update(1, np.eye(7)[4], time_s=0.0)  # neutral until t = 0, then happy
    for i in range(1, round(0.5 * fps) + 1):
        smoothed = smoother.update(1, np.eye(7)[3], time_s=i / fps)
    assert smoothed[3] == pytest.approx(1 - math.exp(-1), abs=1e-9)
    assert smoothed.sum() == pytest.approx(1.0)


def test_each_face_has_its_own_average_and_forgotten_faces_are_dropped():
    smoother = ProbabilitySmoother(time_constant_s=1.0)
    a, b = np.eye(7)[0], np.eye(7)[6]
    assert np.array_equal(smoother.update(1, a, 0.0), a)  # a new face starts from its first prediction
    assert np.array_equal(smoother.update(2, b, 0.0), b)
    assert smoother.update(1, b, 1.0)[6] == pytest.approx(1 - math.exp(-1))
    smoother.keep_only([2])
    assert np.array_equal(smoother.update(1, b, 2.0), b)  # face 1 was forgotten: starts again


def test_follow_box_finds_a_shifted_patch():
    rng = np.random.default_rng(0)
    previous = rng.integers(0, 255, (240, 320), dtype=np.uint8)
    current = np.roll(previous, shift=(6, -9), axis=(0, 1))  # the picture moved 9 left, 6 down
    assert follow_box(previous, current, Box(120, 80, 60, 60)) in {Box(111, 86, 60, 60), Box(112, 86, 60, 60)}
    corner = follow_box(previous, previous, Box(0, 0, 50, 50))
    assert corner == Box(0, 0, 50, 50)


def test_a_face_is_confirmed_after_min_hits_detections_and_followed_boxes_do_not_count():
    tracker = IoUTracker(min_hits=3)
    face, blip = Box(100, 100, 80, 80), Box(400, 50, 40, 40)
    (first, flicker) = tracker.update([face, blip], 0.00)
    assert not tracker.confirmed(first) and not tracker.confirmed(flicker)
    tracker.update([face], 0.04, detected=False)  # followed, not detected: no hit
    assert not tracker.confirmed(first)
    tracker.update([face], 0.08)
    assert not tracker.confirmed(first)
    (again,) = tracker.update([face], 0.12)
    assert again == first and tracker.confirmed(first)  # the third detection confirms it
    assert not tracker.confirmed(flicker)  # seen once: never reported
    with pytest.raises(ValueError, match="min_hits"):
        IoUTracker(min_hits=0)


def test_the_analyser_reports_a_face_from_its_min_hits_th_detection():
    from fer_helpers.inference.photos import demo_photo
    from fer_helpers.video.analysis import FrameAnalyser

    photo, _ = demo_photo(("happy", "sad", "surprise"))
    analyser = FrameAnalyser(lambda faces: np.full((len(faces), 7), 1 / 7), min_hits=2)
    counts = [len(analyser.analyse(photo, index=i, time_s=i / 25)) for i in range(3)]
    assert counts == [0, 3, 3]
    at_once = FrameAnalyser(lambda faces: np.full((len(faces), 7), 1 / 7), min_hits=1)
    assert len(at_once.analyse(photo, index=0, time_s=0.0)) == 3
