"""Camera frames in a notebook: the browser's camera in Colab (JavaScript), a local camera through OpenCV.

In Colab the Python kernel runs on a server in a data centre: ``cv2.VideoCapture(0)`` looks for a camera *there*
and finds none. The camera is in the browser, so a few lines of JavaScript ask for it (``getUserMedia``), draw
the current picture on a canvas and hand it to Python as a JPEG ``data:`` URL through
``google.colab.output.eval_js``. In a local JupyterLab the kernel runs on the machine with the camera, and
OpenCV reads it directly. Where there is no camera (CI, a server) both report it and return None.
"""

from __future__ import annotations

import base64
import glob
import platform
import time
from collections.abc import Callable

import cv2
import numpy as np

from fer_helpers.video.io import quiet_opencv

COLAB_CAMERA_JS = """
async function ferCameraStart() {
  const stream = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480}});
  const video = document.createElement('video');
  video.srcObject = stream;
  video.muted = true;
  video.playsInline = true;
  video.style.width = '160px';  // a small live preview, so you can see the camera is on
  document.body.appendChild(video);
  await video.play();
  window.ferCamera = {stream: stream, video: video};
  return [video.videoWidth, video.videoHeight];
}

function ferCameraGrab(quality) {
  const video = window.ferCamera.video;
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d').drawImage(video, 0, 0);
  return canvas.toDataURL('image/jpeg', quality);
}

function ferCameraStop() {
  window.ferCamera.stream.getTracks().forEach(track => track.stop());
  window.ferCamera.video.remove();
  delete window.ferCamera;
  return true;
}
"""
"""The JavaScript that runs in the browser in Colab: start the camera, grab one frame as JPEG, stop it."""


def decode_data_url(data_url: str) -> np.ndarray:
    """Return the picture in a ``data:image/...;base64,`` URL (what the browser sends) as RGB uint8."""
    header, _, payload = data_url.partition(",")
    if not header.startswith("data:image/") or ";base64" not in header:
        raise ValueError(f"Expected a base64 data:image URL, got one starting {data_url[:30]!r}")
    pixels = cv2.imdecode(np.frombuffer(base64.b64decode(payload), np.uint8), cv2.IMREAD_COLOR)
    if pixels is None:
        raise ValueError("The browser sent a picture that OpenCV cannot decode.")
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)


class ColabCamera:
    """The browser's camera, seen from Colab's Python: ``grab()`` returns the current frame as RGB.

    Creating it shows the JavaScript in the cell's output and asks the browser for the camera (the browser asks
    you to allow it). Use it inside one cell, in a ``with`` block: each cell's output has its own JavaScript.
    """

    def __init__(self, quality: float = 0.8):
        from google.colab.output import eval_js
        from IPython.display import Javascript, display

        self._eval_js = eval_js
        self.quality = quality
        display(Javascript(COLAB_CAMERA_JS))
        self.size = tuple(eval_js("ferCameraStart()"))

    def grab(self) -> np.ndarray:
        """Return the camera's current frame (RGB uint8)."""
        return decode_data_url(self._eval_js(f"ferCameraGrab({self.quality})"))

    def close(self) -> None:
        """Stop the camera (its light goes off)."""
        self._eval_js("ferCameraStop()")

    def __enter__(self) -> ColabCamera:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_colab_camera(quality: float = 0.8) -> ColabCamera | None:
    """Return a :class:`ColabCamera`, or None (saying why) when the browser has no camera or refused it."""
    try:
        return ColabCamera(quality)
    except Exception as err:  # eval_js raises the browser's error (NotAllowedError, NotFoundError) as a MessageError
        print(f"The browser gave no camera ({err}); allow the camera for colab.research.google.com and rerun.")
        return None


def open_local_camera(index: int = 0) -> cv2.VideoCapture | None:
    """Return OpenCV's capture of local camera ``index`` if it delivers a frame, else None (CI, a server)."""
    if platform.system() == "Linux" and not glob.glob("/dev/video*"):
        return None  # no camera device at all: do not even ask OpenCV (it would log warnings)
    with quiet_opencv():
        capture = cv2.VideoCapture(index)
        if capture.isOpened() and capture.read()[0]:
            return capture
    capture.release()
    return None


def read_local_frame(capture: cv2.VideoCapture) -> np.ndarray | None:
    """Return the local camera's next frame as RGB, or None if it delivered none."""
    ok, frame = capture.read()
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB) if ok else None


def jpeg_bytes(image: np.ndarray, quality: int = 80) -> bytes:
    """Return an RGB image encoded as JPEG (small and quick to send to the notebook)."""
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("OpenCV could not encode the frame as JPEG")
    return encoded.tobytes()


def show_live(
    grab: Callable[[], np.ndarray | None], process: Callable[[np.ndarray], np.ndarray], seconds: float = 10.0
) -> float:
    """Show ``process(grab())`` as one image in the notebook, updated in place for ``seconds``; return frames/s.

    ``grab`` returns the next frame (None: the camera stopped); ``process`` returns the picture to show.
    """
    from IPython.display import Image, display

    handle, frames, start = None, 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        frame = grab()
        if frame is None:
            break
        picture = Image(data=jpeg_bytes(process(frame)))
        if handle is None:
            handle = display(picture, display_id=True)
        else:
            handle.update(picture)
        frames += 1
    return frames / (time.perf_counter() - start)
