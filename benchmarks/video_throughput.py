"""Frames per second of the video pipeline on a 640x480 video with one face: each stage alone, then end to end.

python benchmarks/video_throughput.py [--model models/fer_vgg_bn_cpu.keras] [--seconds 6]

The video is the generated demo (a drawn face moving and zooming, 25 frames/s). Stages: decoding, YuNet and Haar
detection at several sizes, following the boxes between detections, classifying one face (Keras compiled, Keras eager,
TFLite float32 and int8), and ``analyse_video`` end to end with the CSV and the annotated MP4 written (what
``fer-predict`` does), with Keras and with TFLite. Numbers depend on the machine and on what else it runs: the
load average is printed before and after. "Per CPU-second" divides the frames by the CPU time the process used
(all its threads): on a busy machine it shows what the code costs, apart from the time spent waiting for a core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import fer_helpers.quiet  # noqa: F401  (drops TensorFlow's start-up lines; import it before TensorFlow)
from fer_helpers.augmentation.pipeline import as_model_input
from fer_helpers.inference.classifiers import keras_classifier, tflite_classifier
from fer_helpers.inference.export import convert_to_tflite, latencies_ms
from fer_helpers.inference.face_detection import crop_face, detect_faces, haar_available, to_gray
from fer_helpers.models.files import load_trained_model
from fer_helpers.models.shipped import shipped_model_path
from fer_helpers.provenance import cpu_name
from fer_helpers.video.analysis import analyse_video
from fer_helpers.video.demo import write_demo_video
from fer_helpers.video.io import VideoReader
from fer_helpers.video.tracking import follow_box

END_TO_END = (  # (what, analyse_video options)
    ("YuNet, every frame at 640 (the default)", {"detect_max_side": 640}),
    ("Haar, every frame at 640", {"detect_max_side": 640, "detector": "haar"}),
    ("detect every frame at 480", {"detect_max_side": 480}),
    ("detect every frame at 320", {"detect_max_side": 320}),
    ("detect every 3rd frame at 320, follow between", {"detect_max_side": 320, "detect_every": 3}),
    ("detect every 3rd frame at 240, follow between", {"detect_max_side": 240, "detect_every": 3}),
    ("detect every 5th frame at 320, follow between", {"detect_max_side": 320, "detect_every": 5}),
)


def timed(run: Callable[[], object], runs: int, warmup: int = 3) -> tuple[float, float]:
    """Return ``run``'s median wall-clock time and its mean CPU time (all threads), in ms per call."""
    for _ in range(warmup):
        run()
    cpu_start = time.process_time()
    walls = latencies_ms(run, runs, warmup=0)
    return statistics.median(walls), 1000 * (time.process_time() - cpu_start) / runs


def line(what: str, wall_ms: float, cpu_ms: float) -> None:
    """Print one stage: wall-clock and CPU milliseconds per frame, and the frames per second the wall time allows."""
    print(f"  {what:<46} {wall_ms:7.1f} ms/frame ({1000 / wall_ms:6.1f} frames/s); CPU {cpu_ms:6.1f} ms/frame")


def load_text() -> str:
    """Return the 1-minute load average (how busy the machine was), where the system reports it."""
    return f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "unknown"


def stage_numbers(video: Path, model, tflite: bytes) -> None:
    """Print each stage alone: decoding, detection at several sizes, following, classification."""
    start, cpu_start = time.perf_counter(), time.process_time()
    with VideoReader(video) as reader:
        grays = [to_gray(frame.image) for frame in reader.frames()]
    line(
        "decode (OpenCV, mp4v)",
        *(1000 * t / len(grays) for t in (time.perf_counter() - start, time.process_time() - cpu_start)),
    )
    for detector in ("yunet", "haar") if haar_available() else ("yunet",):
        for side in (640, 480, 320, 240):
            frames = iter(grays * 2)
            run = lambda frames=frames, side=side, d=detector: detect_faces(next(frames), max_side=side, detector=d)  # noqa: E731
            line(f"{'YuNet' if detector == 'yunet' else 'Haar'} detection at {side} px (longer side)", *timed(run, 40))
    box = detect_faces(grays[0])[0]
    line("follow the box between detections", *timed(lambda: follow_box(grays[0], grays[1], box), 50))
    face = crop_face(grays[0], box)[None]
    x = as_model_input(face)
    compiled, lite = keras_classifier(model), tflite_classifier(tflite)
    for what, run in (
        ("classify 1 face: Keras, compiled call (used)", lambda: compiled(face)),
        ("classify 1 face: Keras, eager model(x)", lambda: model(x, training=False)),
        ("classify 1 face: Keras, model.predict", lambda: model.predict(x, verbose=0)),
        ("classify 1 face: TFLite float32", lambda: lite(face)),
    ):
        line(what, *timed(run, 30))


def end_to_end_numbers(video: Path, model, tflite: bytes, out_dir: Path) -> None:
    """Print ``analyse_video`` frames/s (CSV and annotated MP4 written) for each setting, Keras and TFLite."""
    for runtime, classify in (("Keras", keras_classifier(model)), ("TFLite", tflite_classifier(tflite))):
        classify(np.zeros((1, 48, 48), np.uint8))  # the first call compiles: keep it out of the timing
        for what, options in END_TO_END:
            if options.get("detector") == "haar" and not haar_available():
                continue
            cpu_start = time.process_time()
            report = analyse_video(video, classify, out_dir=out_dir, progress=False, **options)
            cpu_fps = report.frames_analysed / (time.process_time() - cpu_start)
            print(
                f"  {runtime:<7}{what:<47} {report.frames_per_second:5.1f} frames/s; {cpu_fps:5.1f} per CPU-second; "
                f"{report.frames_without_face} of {report.frames_analysed} frames without a face"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(shipped_model_path()))
    parser.add_argument("--seconds", type=float, default=6.0, help="length of the generated 25 frames/s video")
    args = parser.parse_args()
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores; load average {load_text()} at the start")
    model = load_trained_model(args.model)
    tflite = convert_to_tflite(model)
    with tempfile.TemporaryDirectory() as folder:
        video = Path(folder) / "demo_640x480.mp4"
        write_demo_video(video, width=640, height=480, fps=25.0, seconds=args.seconds)
        print(f"video: generated demo, 640x480, 25 frames/s, {args.seconds:g} s, one drawn face; model {args.model}")
        print("each stage alone (wall clock: median; CPU: mean, all threads):")
        stage_numbers(video, model, tflite)
        print("end to end (decode, detect, track, classify, smooth, write the CSV and the annotated MP4):")
        end_to_end_numbers(video, model, tflite, Path(folder) / "out")
    print(f"load average {load_text()} at the end (the machine has {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
