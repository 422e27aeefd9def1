"""A generated demo video: drawn cartoon faces gliding and zooming across a background. NOT a recording.

It lets the video notebook, the benchmark and the tests run without anyone's video, and it comes with the truth:
which expression each face shows in each frame, and where its square is. Each face is drawn by the course's
face generator (:mod:`fer_helpers.data.synthetic`) with one seed, so it stays the same "person" while its
expression changes from segment to segment; light camera-like noise is added to every frame.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from fer_helpers.inference.face_detection import Box
from fer_helpers.video.io import Mp4Writer

DEMO_NOTICE = (
    "GENERATED DEMO VIDEO: a drawn cartoon face (the course's face generator) moving and zooming across the frame. "
    "It is not a recording of a person."
)


@dataclass(frozen=True)
class DemoFace:
    """One drawn face of the demo video and its path through it.

    ``expressions`` are shown one after the other in equal parts of the video (None: the face is away). The
    face's centre moves in a straight line from ``start`` to ``end`` (fractions of the frame's width and
    height) while its side grows or shrinks from ``size[0]`` to ``size[1]`` (fractions of the frame's height).
    """

    expressions: tuple[str | None, ...] = ("neutral", "happy", "surprise", "happy")
    start: tuple[float, float] = (0.3, 0.55)
    end: tuple[float, float] = (0.7, 0.45)
    size: tuple[float, float] = (0.35, 0.6)
    seed: int = 7

    def expression_at(self, fraction: float) -> str | None:
        """Return the expression shown at ``fraction`` (0-1) of the video."""
        return self.expressions[min(int(fraction * len(self.expressions)), len(self.expressions) - 1)]

    def segments(self, seconds: float) -> list[tuple[float, float, str | None]]:
        """Return ``(start s, end s, expression)`` of each part of a video ``seconds`` long."""
        part = seconds / len(self.expressions)
        return [(i * part, (i + 1) * part, name) for i, name in enumerate(self.expressions)]

    def box_at(self, fraction: float, width: int, height: int) -> Box:
        """Return the face's square at ``fraction`` (0-1) of the video, inside a ``width`` x ``height`` frame."""
        side = round(height * (self.size[0] + fraction * (self.size[1] - self.size[0])))
        side = min(side, width, height)
        cx = width * (self.start[0] + fraction * (self.end[0] - self.start[0]))
        cy = height * (self.start[1] + fraction * (self.end[1] - self.start[1]))
        x = min(max(0, round(cx - side / 2)), width - side)
        y = min(max(0, round(cy - side / 2)), height - side)
        return Box(x, y, side, side)


def _background(width: int, height: int) -> np.ndarray:
    """Return a calm two-colour gradient (RGB float32) for the faces to move over."""
    ramp = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
    colours = np.array([70, 110, 150], np.float32) + ramp * np.array([60, 40, -40], np.float32)
    return np.broadcast_to(colours, (height, width, 3)).copy()


def demo_video_frames(
    faces: Sequence[DemoFace] = (DemoFace(),),
    *,
    width: int = 640,
    height: int = 480,
    fps: float = 25.0,
    seconds: float = 6.0,
    noise: float = 6.0,
    seed: int = 0,
) -> Iterator[tuple[np.ndarray, list[tuple[str, Box]]]]:
    """Yield the demo video's frames (RGB uint8) with the truth: ``(expression, box)`` of each face in view."""
    from fer_helpers.data.synthetic import EXPRESSIONS, draw_face

    drawn = [  # one seed per face: the same person, with each of its expressions
        {
            name: draw_face(EXPRESSIONS[name], np.random.default_rng(face.seed))
            for name in set(face.expressions) - {None}
        }
        for face in faces
    ]
    background = _background(width, height)
    rng = np.random.default_rng(seed)
    count = round(seconds * fps)
    for index in range(count):
        fraction = index / count
        frame = background.copy()
        truth = []
        for face, images in zip(faces, drawn, strict=True):
            name = face.expression_at(fraction)
            if name is None:
                continue
            box = face.box_at(fraction, width, height)
            square = cv2.resize(images[name], (box.w, box.h), interpolation=cv2.INTER_CUBIC)
            frame[box.y : box.y + box.h, box.x : box.x + box.w] = square[..., None]
            truth.append((name, box))
        frame += rng.normal(0, noise, (height, width, 1)).astype(np.float32)
        yield np.clip(frame, 0, 255).astype(np.uint8), truth


def write_demo_video(
    path: str | Path,
    faces: Sequence[DemoFace] = (DemoFace(),),
    *,
    width: int = 640,
    height: int = 480,
    fps: float = 25.0,
    **options,
) -> list[list[tuple[str, Box]]]:
    """Write the demo video as an MP4 at ``path`` and return its truth, one list of ``(expression, box)`` per frame.

    ``options`` go to :func:`demo_video_frames` (``seconds``, ``noise``, ``seed``).
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    truth = []
    with Mp4Writer(path, fps, width, height) as writer:
        for frame, frame_truth in demo_video_frames(faces, width=width, height=height, fps=fps, **options):
            writer.write(frame)
            truth.append(frame_truth)
    return truth
