"""Video files in and out with OpenCV: read frames one at a time, write an MP4, prepare an output folder.

Frames are streamed: :class:`VideoReader` decodes one frame, hands it over and forgets it, so an hour of video
needs no more memory than a second of it. Every way a video can fail to load gets its own error naming the
file and the fix (missing, not a video, no frames, a codec this OpenCV cannot decode), because OpenCV itself
only answers "not opened" or returns an empty frame.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # FFmpeg's own messages off (read at its first use)

import contextlib  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import NamedTuple  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from fer_helpers.errors import FERDataError  # noqa: E402
from fer_helpers.output_paths import check_writable_folder  # noqa: E402

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp")
"""File name endings that ``fer-predict`` treats as videos (everything else is read as a photo)."""
FALLBACK_FPS = 25.0
"""Frame rate assumed for a video whose header does not say (rare; some streams and webcam recordings)."""
CONVERT_HINT = "convert it to H.264 MP4, e.g. `ffmpeg -i {path} -c:v libx264 -pix_fmt yuv420p converted.mp4`"
CONTAINER_SIGNATURES = (
    (4, b"ftyp", "MP4/MOV"),
    (0, b"RIFF", "AVI"),
    (0, b"\x1a\x45\xdf\xa3", "Matroska/WebM"),
    (0, b"\x00\x00\x01\xba", "MPEG"),
    (0, b"\x30\x26\xb2\x75", "WMV/ASF"),
    (0, b"FLV", "FLV"),
)
"""(offset, bytes, name) of the video containers OpenCV's FFmpeg reads: how a video file starts."""


def is_video_path(path: str | Path) -> bool:
    """Return True when ``path``'s name ends like a video file (``.mp4``, ``.avi``, ...)."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


@dataclass(frozen=True)
class VideoInfo:
    """What a video's header says: size in pixels, frames per second, frame count and codec (FourCC)."""

    path: Path
    width: int
    height: int
    fps: float
    frame_count: int
    """As the header says; 0 when it does not say (the frames are then counted while reading)."""
    codec: str

    @property
    def duration_s(self) -> float:
        """Return the length in seconds (from the header's frame count and rate)."""
        return self.frame_count / self.fps

    def describe(self) -> str:
        """Return one readable line: size, rate, frames, duration and codec."""
        frames = f"{self.frame_count} frames ({self.duration_s:.1f} s)" if self.frame_count else "unknown length"
        return f"{self.width}x{self.height}, {self.fps:.1f} frames/s, {frames}, codec {self.codec or '?'}"


class VideoFrame(NamedTuple):
    """One decoded frame: its ``index`` in the video (0 first), its time ``time_s`` and the RGB uint8 ``image``."""

    index: int
    time_s: float
    image: np.ndarray


def container_name(head: bytes) -> str | None:
    """Return the video container a file starting with ``head`` is (``"AVI"``, ...), or None if it is none of them."""
    for offset, signature, name in CONTAINER_SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return name
    return None


def mp4_truncation(path: Path) -> str | None:
    """Return how an MP4/MOV file is cut short (a top-level box running past the end, or no ``moov`` index), or None.

    An MP4 is a chain of boxes, each starting with its size and four-letter type; a copy cut short ends inside one.
    """
    size = path.stat().st_size
    offset, types = 0, []
    with path.open("rb") as file:
        while offset + 8 <= size:
            file.seek(offset)
            header = file.read(16)
            length, kind = int.from_bytes(header[:4], "big"), header[4:8].decode("latin-1")
            if length == 1 and len(header) == 16:
                length = int.from_bytes(header[8:16], "big")
            elif length == 0:
                length = size - offset
            if length < 8:
                return None  # not a box chain this check understands: let OpenCV's error stand
            if offset + length > size:
                return f"its '{kind}' box ends at byte {offset + length:,} but the file stops at byte {size:,}"
            if kind != "mdat" or length > 8:  # an empty mdat holds no frames: nothing was cut
                types.append(kind)
            offset += length
    if "mdat" in types and "moov" not in types:
        return "it has frames ('mdat') but no 'moov' index, which is written last"
    return None


def _codec_text(fourcc: float) -> str:
    """Return OpenCV's numeric FourCC property as its four letters ('' when unknown)."""
    code = int(fourcc)
    return "".join(chr((code >> 8 * i) & 0xFF) for i in range(4)).strip("\x00 ") if code > 0 else ""


@contextlib.contextmanager
def quiet_opencv() -> Iterator[None]:
    """Silence OpenCV's own log lines (its "can't open" warnings) inside the block: the caller raises clear errors."""
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(level)


def _unopenable_video_error(path: Path) -> FERDataError:
    """Return the error for a file OpenCV cannot open: not a video, a video without frames, or an unknown codec."""
    with path.open("rb") as file:
        head = file.read(1 << 20)
    container = container_name(head)
    if container is None:
        return FERDataError(
            f"{path} is not a video file (it starts like none of MP4, MOV, AVI, MKV, WebM, MPEG, WMV or FLV); "
            "give the path of a video, or of a photo with a photo's file ending (.jpg, .png)."
        )
    truncated = mp4_truncation(path) if container == "MP4/MOV" else None
    if truncated:
        return FERDataError(
            f"{path} is truncated ({truncated}): an interrupted download or copy, or a recording that did not stop "
            "cleanly. Copy or download it again, or export it again from the recorder."
        )
    small = path.stat().st_size <= len(head)
    if container == "MP4/MOV" and small and b"trak" not in head:  # a header without a single track
        return FERDataError(f"{path} holds no frames (an MP4 without a video track); record or export it again.")
    return FERDataError(
        f"OpenCV cannot decode the video in {path} ({container}): its codec is not one this OpenCV build reads, "
        f"or the file is damaged; {CONVERT_HINT.format(path=path)}."
    )


class VideoReader:
    """An open video file that hands out its frames one at a time (use it in a ``with`` block).

    Opening reads the first frame, so that a file which opens but cannot be decoded fails here, with a clear
    error, rather than looking like an empty video later.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise FERDataError(
                f"{self.path} does not exist or is not a file; give the path of a video (MP4, AVI, ...)."
            )
        with quiet_opencv():
            self._capture = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not self._capture.isOpened():
            raise _unopenable_video_error(self.path)
        capture = self._capture
        ok, first = capture.read()
        frame_count = max(0, int(capture.get(cv2.CAP_PROP_FRAME_COUNT)))
        codec = _codec_text(capture.get(cv2.CAP_PROP_FOURCC))
        if not ok:
            self.close()
            if frame_count == 0:
                raise FERDataError(f"{self.path} holds no frames (an empty recording); record or export it again.")
            raise FERDataError(
                f"OpenCV opened {self.path} (codec {codec or 'unknown'}, {frame_count} frames) but cannot decode "
                f"its frames; {CONVERT_HINT.format(path=self.path)}."
            )
        fps = capture.get(cv2.CAP_PROP_FPS)
        self.info = VideoInfo(
            path=self.path,
            width=first.shape[1],
            height=first.shape[0],
            fps=fps if 0 < fps < 1000 else FALLBACK_FPS,
            frame_count=frame_count,
            codec=codec,
        )
        self._first: np.ndarray | None = first

    def frames(self, every: int = 1) -> Iterator[VideoFrame]:
        """Yield every ``every``-th frame (the first, then ``every`` later, ...) as RGB, decoding one at a time."""
        if every < 1:
            raise ValueError(f"every must be 1 or more, got {every}")
        if self._first is None:
            raise RuntimeError(f"The frames of {self.path} were already read; open it again.")
        bgr, self._first, index = self._first, None, 0
        while True:
            yield VideoFrame(index, index / self.info.fps, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            for _ in range(every - 1):  # grab() decodes less work than read(): no colour conversion
                if not self._capture.grab():
                    return
            index += every
            ok, bgr = self._capture.read()
            if not ok:
                return

    def close(self) -> None:
        """Release the file."""
        self._capture.release()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Mp4Writer:
    """Write RGB frames to an MP4 file (MPEG-4 Part 2, FourCC ``mp4v``: every OpenCV build can write it)."""

    def __init__(self, path: str | Path, fps: float, width: int, height: int):
        self.path = Path(path)
        self.size = (width, height)
        with quiet_opencv():
            self._writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"mp4v"), fps, self.size)
        if not self._writer.isOpened():
            raise FERDataError(f"Cannot write the video {self.path}; check that its folder exists and is writable.")

    def write(self, frame: np.ndarray) -> None:
        """Append one RGB uint8 frame of the writer's size."""
        if (frame.shape[1], frame.shape[0]) != self.size:
            raise ValueError(
                f"Frame of {frame.shape[1]}x{frame.shape[0]} pixels for a {self.size[0]}x{self.size[1]} video"
            )
        self._writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))

    def close(self) -> None:
        """Finish the file (what was written so far stays playable)."""
        self._writer.release()

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def prepare_output_folder(folder: str | Path, names: list[str], option: str = "--out") -> tuple[list[Path], list[Path]]:
    """Create ``folder`` if needed, check it can be written, and return ``(paths of names, those already there)``.

    Raises :class:`~fer_helpers.output_paths.OutputPathError` (a :class:`FERDataError`) naming the folder and
    ``option`` when it cannot be created or written. The caller says which existing files it replaces, so nothing
    is overwritten silently.
    """
    folder = check_writable_folder(folder, option=option)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / name for name in names]
    return paths, [path for path in paths if path.exists()]
