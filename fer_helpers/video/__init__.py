"""Video and webcam (notebook 09): read and write video, track faces, analyse every frame, the live loops."""

from fer_helpers.video.analysis import FrameAnalyser, analyse_video
from fer_helpers.video.io import VideoReader
from fer_helpers.video.tracking import IoUTracker

__all__ = ["FrameAnalyser", "IoUTracker", "VideoReader", "analyse_video"]
