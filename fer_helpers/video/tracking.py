"""Follow faces from frame to frame (IoU matching) and smooth each face's probabilities over time (an EMA).

**The tracker** gives each face a number, ``face_id``, that stays the same while the face moves. It keeps the
last box of every face it has seen and matches each new box to the old box it overlaps most (intersection over
union, IoU), greedily, best pairs first. A new box that overlaps no old box well enough starts a new face.

What it cannot do, because it only compares boxes:

- a face that moves further than about its own width between two analysed frames (a fast move, a cut, a low
  frame rate or a large ``every``) no longer overlaps its old box and gets a new ``face_id``;
- two faces that cross can swap numbers: while they overlap, the boxes alone cannot tell who is who;
- a face that leaves (or that the detector misses) for longer than ``forget_after_s`` comes back as a new face:
  the tracker does not recognise people, it has never seen what the face looks like;
- a false detection (a patch of texture) would become a short-lived face of its own: so, as SORT does with its
  ``min_hits``, a face is only *confirmed* (reported) once the detector has found it in ``min_hits`` frames
  while the tracker kept it; false detections rarely last that long, real faces do. (SORT counts hits in a row;
  the course's drawn demo faces are found in most frames but not all, so hits here need not be consecutive.)

**The smoothing** is an exponential moving average with a time constant in seconds, not frames:
``smoothed += (1 - exp(-dt / time_constant_s)) * (new - smoothed)``. A step change in the probabilities then
shows up to 63 % after one time constant whatever the frame rate, so analysing every 2nd frame, or a 60
frames/s video, smooths the same amount of *time*.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from fer_helpers.inference.face_detection import Box, box_iou

MIN_IOU = 0.3
"""Smallest overlap between a face's last box and a new box for the two to count as the same face."""
MIN_HITS = 3
"""A face is reported once the detector has found it in this many frames (1: at once). See docs/results.md (a
panned real photo: false tracks with and without it)."""
FORGET_AFTER_S = 1.0
"""A face not seen for longer than this (seconds) is forgotten: if it comes back, it gets a new number."""
SMOOTHING_S = 0.5
"""Default time constant of the probability smoothing, in seconds (0 turns smoothing off)."""


def match_boxes(previous: Sequence[Box], current: Sequence[Box], min_iou: float = MIN_IOU) -> list[tuple[int, int]]:
    """Return ``(index in previous, index in current)`` pairs: greedily the most overlapping first, IoU >= min_iou."""
    pairs = sorted(
        ((box_iou(old, new), i, j) for i, old in enumerate(previous) for j, new in enumerate(current)), reverse=True
    )
    matches, used_old, used_new = [], set(), set()
    for iou, i, j in pairs:
        if iou < min_iou:
            break
        if i not in used_old and j not in used_new:
            matches.append((i, j))
            used_old.add(i)
            used_new.add(j)
    return matches


@dataclass
class Track:
    """One face the tracker follows: its number, its last box, when it was last seen (seconds), in how many frames
    the detector found it (``hits``) and whether that reached ``min_hits`` (``confirmed``)."""

    face_id: int
    box: Box
    last_seen_s: float
    hits: int = 1
    confirmed: bool = False


class IoUTracker:
    """Give every face box a ``face_id`` that stays the same from frame to frame (see the module docstring)."""

    def __init__(self, min_iou: float = MIN_IOU, forget_after_s: float = FORGET_AFTER_S, min_hits: int = MIN_HITS):
        if min_hits < 1:
            raise ValueError(f"min_hits must be 1 or more, got {min_hits}")
        self.min_iou = min_iou
        self.forget_after_s = forget_after_s
        self.min_hits = min_hits
        self.tracks: dict[int, Track] = {}
        self._next_id = 1

    def update(self, boxes: Sequence[Box], time_s: float, detected: bool = True) -> list[int]:
        """Return one ``face_id`` per box of the frame at ``time_s``: an old face's number or a new one.

        ``detected=False`` says the boxes were followed (``follow_box``), not detected: they keep their faces alive
        but do not count towards confirming them.
        """
        for face_id in [i for i, t in self.tracks.items() if time_s - t.last_seen_s > self.forget_after_s]:
            del self.tracks[face_id]
        known = list(self.tracks.values())
        face_ids: list[int | None] = [None] * len(boxes)
        for i, j in match_boxes([t.box for t in known], boxes, self.min_iou):
            face_ids[j] = known[i].face_id
        for j, box in enumerate(boxes):
            old = None
            if face_ids[j] is None:
                face_ids[j], self._next_id = self._next_id, self._next_id + 1
            else:
                old = self.tracks[face_ids[j]]
            hits = 1 if old is None else old.hits + int(detected)
            confirmed = (old is not None and old.confirmed) or hits >= self.min_hits
            self.tracks[face_ids[j]] = Track(face_ids[j], Box(*box), time_s, hits, confirmed)
        return face_ids

    def confirmed(self, face_id: int) -> bool:
        """Return True when the face ``face_id`` has been detected in ``min_hits`` frames (report it)."""
        track = self.tracks.get(face_id)
        return track is not None and track.confirmed


def ema_weight(dt_s: float, time_constant_s: float) -> float:
    """Return how much of a new value enters the average after ``dt_s`` seconds: ``1 - exp(-dt / time constant)``."""
    if time_constant_s <= 0:
        return 1.0
    return 1.0 - math.exp(-dt_s / time_constant_s)


class ProbabilitySmoother:
    """Keep one exponential moving average of the class probabilities per ``face_id`` (time constant in seconds)."""

    def __init__(self, time_constant_s: float = SMOOTHING_S):
        self.time_constant_s = time_constant_s
        self._state: dict[int, tuple[float, np.ndarray]] = {}

    def update(self, face_id: int, probabilities: np.ndarray, time_s: float) -> np.ndarray:
        """Fold the probabilities of ``face_id`` at ``time_s`` into its average and return the average."""
        probabilities = np.asarray(probabilities, dtype=np.float64)
        if face_id in self._state:
            last_s, smoothed = self._state[face_id]
            smoothed = smoothed + ema_weight(time_s - last_s, self.time_constant_s) * (probabilities - smoothed)
        else:  # a new face starts from its first prediction
            smoothed = probabilities
        self._state[face_id] = (time_s, smoothed)
        return smoothed

    def keep_only(self, face_ids: Sequence[int]) -> None:
        """Forget the averages of faces not in ``face_ids`` (those the tracker forgot)."""
        keep = set(face_ids)
        self._state = {i: state for i, state in self._state.items() if i in keep}


def follow_box(previous_gray: np.ndarray, gray: np.ndarray, box: Box, search: float = 0.25, work_side: int = 48) -> Box:
    """Return ``box`` moved to where its content in ``previous_gray`` best matches ``gray`` (same size).

    Cheaper than detecting again: OpenCV's template matching within ``search`` box sizes of the old place, on
    copies shrunk so the box is ``work_side`` pixels wide. It follows a sliding face between two detections,
    but not a face that grows, shrinks or turns: the next detection corrects that.
    """
    height, width = gray.shape[:2]
    pad = round(search * max(box.w, box.h))
    x0, y0 = max(0, box.x - pad), max(0, box.y - pad)
    x1, y1 = min(width, box.x + box.w + pad), min(height, box.y + box.h + pad)
    scale = min(1.0, work_side / max(box.w, box.h, 1))
    template = cv2.resize(previous_gray[box.y : box.y + box.h, box.x : box.x + box.w], None, fx=scale, fy=scale)
    window = cv2.resize(gray[y0:y1, x0:x1], None, fx=scale, fy=scale)
    if min(template.shape) < 4 or window.shape[0] < template.shape[0] or window.shape[1] < template.shape[1]:
        return box
    scores = cv2.matchTemplate(window, template, cv2.TM_CCOEFF_NORMED)
    _, _, _, (best_x, best_y) = cv2.minMaxLoc(scores)
    new_x = min(max(0, x0 + round(best_x / scale)), width - box.w)
    new_y = min(max(0, y0 + round(best_y / scale)), height - box.h)
    return Box(new_x, new_y, box.w, box.h)
