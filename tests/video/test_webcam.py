"""Camera helpers that run without a camera: the browser's JPEG data URL, no local camera, the live display loop."""

from __future__ import annotations

import base64
import shutil
import subprocess

import cv2
import numpy as np
import pytest

from fer_helpers.inference.drawing import annotate_video_frame, face_colour
from fer_helpers.inference.face_detection import Box
from fer_helpers.inference.face_prediction import FacePrediction
from fer_helpers.video import webcam
from fer_helpers.video.analysis import FaceObservation


def test_decode_data_url_reads_what_a_browser_canvas_sends():
    picture = np.zeros((48, 64, 3), np.uint8)
    picture[:, 32:] = (255, 0, 0)  # right half red, in RGB
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
    url = "data:image/png;base64," + base64.b64encode(encoded.tobytes()).decode()
    assert np.array_equal(webcam.decode_data_url(url), picture)
    with pytest.raises(ValueError, match="data:image"):
        webcam.decode_data_url("hello")


def test_no_camera_device_means_none_and_no_opencv_call(monkeypatch):
    monkeypatch.setattr(webcam.platform, "system", lambda: "Linux")
    monkeypatch.setattr(webcam.glob, "glob", lambda pattern: [])
    monkeypatch.setattr(webcam.cv2, "VideoCapture", lambda *a: pytest.fail("asked OpenCV for a camera"))
    assert webcam.open_local_camera() is None


def test_show_live_updates_one_image_until_the_camera_stops(capsys):
    frames = iter([np.full((48, 64, 3), i * 40, np.uint8) for i in range(3)])
    seen = []
    rate = webcam.show_live(lambda: next(frames, None), lambda f: seen.append(f) or f, seconds=30)
    assert len(seen) == 3 and rate > 0


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to check the JavaScript's syntax")
def test_colab_javascript_parses(tmp_path):
    script = tmp_path / "camera.js"
    script.write_text(webcam.COLAB_CAMERA_JS)
    result = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for name in ("ferCameraStart", "ferCameraGrab", "ferCameraStop", "getUserMedia", "toDataURL"):
        assert name in webcam.COLAB_CAMERA_JS


def test_annotated_frame_draws_box_tag_and_bars_in_the_faces_colour():
    frame = np.full((240, 320, 3), 100, np.uint8)
    happy = np.eye(7)[3]
    face = FaceObservation(0, 0.0, 2, FacePrediction(Box(60, 80, 90, 90), np.zeros((48, 48)), happy), happy)
    drawn = annotate_video_frame(frame, [face])
    assert drawn.shape == frame.shape and np.array_equal(frame, np.full((240, 320, 3), 100, np.uint8))
    assert (drawn == face_colour(2)).all(axis=2).sum() > 500  # box, tag and the "happy" bar
    assert np.array_equal(drawn[200:, :50], frame[200:, :50])  # far from the face: untouched
