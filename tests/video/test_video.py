"""Video files in and out: an MP4 written here reads back frame for frame; each bad input gets its own clear error."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from fer_helpers.errors import FERDataError
from fer_helpers.video.io import Mp4Writer, VideoReader, container_name, is_video_path, prepare_output_folder


def write_frames(path: Path, count: int, fourcc: str = "mp4v", size: tuple[int, int] = (64, 48)) -> Path:
    """Write ``count`` frames whose brightness is 20 * their index (BGR, OpenCV's own writer); return the path."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 25, size)
    for i in range(count):
        writer.write(np.full((size[1], size[0], 3), 20 * i, np.uint8))
    writer.release()
    return path


def test_mp4_written_with_mp4v_reads_back(tmp_path):
    path = tmp_path / "clip.mp4"
    frames = [np.full((48, 64, 3), (10 * i, 100, 200 - 10 * i), np.uint8) for i in range(12)]
    with Mp4Writer(path, fps=25, width=64, height=48) as writer:
        for frame in frames:
            writer.write(frame)
    with VideoReader(path) as reader:
        assert (reader.info.width, reader.info.height, reader.info.fps, reader.info.frame_count) == (64, 48, 25, 12)
        read = list(reader.frames())
    assert [f.index for f in read] == list(range(12))
    assert read[5].time_s == pytest.approx(0.2)
    for original, back in zip(frames, read, strict=True):  # RGB in, RGB out, within the codec's rounding
        assert np.abs(back.image.astype(int) - original).mean() < 6


def test_every_nth_frame(tmp_path):
    with VideoReader(write_frames(tmp_path / "ten.mp4", 10)) as reader:
        read = list(reader.frames(every=3))
        assert [f.index for f in read] == [0, 3, 6, 9]
        assert [round(float(f.image.mean()) / 20) for f in read] == [0, 3, 6, 9]
        with pytest.raises(RuntimeError, match="already read"):
            next(reader.frames())


def test_writer_rejects_a_frame_of_the_wrong_size(tmp_path):
    with Mp4Writer(tmp_path / "x.mp4", fps=25, width=64, height=48) as writer, pytest.raises(ValueError, match="64x48"):
        writer.write(np.zeros((48, 60, 3), np.uint8))


def test_video_suffixes_and_containers():
    assert is_video_path("a/b/Clip.MP4") and is_video_path("x.avi") and not is_video_path("photo.jpg")
    assert container_name(b"\x00\x00\x00\x1cftypisom") == "MP4/MOV" and container_name(b"RIFF....AVI ") == "AVI"
    assert container_name(b"hello") is None


def test_missing_file(tmp_path):
    with pytest.raises(FERDataError, match=r"missing\.mp4 does not exist.*give the path of a video"):
        VideoReader(tmp_path / "missing.mp4")


def test_a_text_file_named_mp4_is_not_a_video(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("these are my notes, not a video")
    with pytest.raises(FERDataError, match=r"notes\.mp4 is not a video file"):
        VideoReader(path)


@pytest.mark.parametrize(("name", "fourcc"), [("empty.mp4", "mp4v"), ("empty.avi", "MJPG")])
def test_a_video_with_zero_frames(tmp_path, name, fourcc):
    path = write_frames(tmp_path / name, 0, fourcc)
    assert path.is_file()
    with pytest.raises(FERDataError, match=rf"{name} holds no frames.*record or export it again"):
        VideoReader(path)


def test_a_codec_opencv_cannot_decode(tmp_path):
    good = write_frames(tmp_path / "good.avi", 5, "MJPG")
    bad = tmp_path / "unknown_codec.avi"
    bad.write_bytes(good.read_bytes().replace(b"MJPG", b"ZZZZ"))  # a FourCC no decoder knows
    with pytest.raises(FERDataError, match=r"cannot decode the video in .*unknown_codec\.avi.*ffmpeg -i"):
        VideoReader(bad)


def test_output_folder_is_created_and_existing_files_are_reported(tmp_path):
    folder = tmp_path / "out" / "deeper"
    paths, existing = prepare_output_folder(folder, ["a.csv", "b.mp4"])
    assert folder.is_dir() and paths == [folder / "a.csv", folder / "b.mp4"] and existing == []
    paths[1].write_text("an earlier result")
    assert prepare_output_folder(folder, ["a.csv", "b.mp4"])[1] == [folder / "b.mp4"]


def test_output_folder_that_cannot_be_written(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("a file where the folder should go")
    with pytest.raises(FERDataError, match=r"Cannot create --out .*a_file is a file, not a folder"):
        prepare_output_folder(blocker / "out", ["a.csv"])
