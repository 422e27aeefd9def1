"""fer-predict on videos: CSV, annotated MP4, per-face summary and speed; bad videos are one clear error line each."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from fer_helpers.cli.predict import fer_predict
from fer_helpers.inference.classifiers import keras_classifier, load_classifier, tflite_classifier
from fer_helpers.inference.photos import demo_photo, save_photo
from fer_helpers.video.analysis import CSV_COLUMNS
from fer_helpers.video.demo import DemoFace, write_demo_video

SMALL = {"width": 320, "height": 240, "fps": 10.0, "seconds": 2.0}


@pytest.fixture(scope="module")
def model():
    from fer_helpers.models.builders import build_baseline

    return build_baseline()


@pytest.fixture(scope="module")
def model_file(model, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "model.keras"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("clips") / "clip.mp4"
    write_demo_video(path, [DemoFace(("happy", "surprise"))], **SMALL)
    return path


def test_video_writes_csv_and_annotated_mp4_and_prints_a_summary(model_file, clip, tmp_path, capsys):
    out = tmp_path / "out"
    assert fer_predict([str(clip), "--model", str(model_file), "--out", str(out), "--every", "2"]) == 0
    printed = capsys.readouterr().out
    assert "320x240, 10.0 frames/s, 20 frames" in printed
    assert "analysed 10 frames (1 frame in 2)" in printed and "face 1: in" in printed
    assert "speed:" in printed and "frames/s" in printed
    with (out / "clip_frames.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert tuple(rows[0]) == CSV_COLUMNS and {row["face_id"] for row in rows} == {"1"}
    assert {int(row["frame"]) for row in rows} <= set(range(0, 20, 2))
    assert (out / "clip_annotated.mp4").stat().st_size > 1000

    assert fer_predict([str(clip), "--model", str(model_file), "--out", str(out), "--every", "4"]) == 0
    printed = capsys.readouterr().out
    assert f"replacing the existing {out / 'clip_frames.csv'}" in printed  # nothing overwritten silently
    assert f"replacing the existing {out / 'clip_annotated.mp4'}" in printed


def test_photos_and_videos_in_one_command(model_file, clip, tmp_path, capsys):
    photo = save_photo(demo_photo()[0], tmp_path / "two_faces.png")
    assert fer_predict([str(photo), str(clip), "--model", str(model_file), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert sum("  face " in line and "box=" in line for line in printed.splitlines()) == 2  # the photo, as before
    assert (tmp_path / "two_faces_annotated.png").is_file() and (tmp_path / "clip_frames.csv").is_file()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.mp4", None, "does not exist"),
        ("notes.mp4", b"plain text, not a video", "is not a video file"),
        ("empty.mp4", b"\x00\x00\x00\x1cftypisom\x00\x00\x02\x00isomiso2mp41\x00\x00\x00\x08mdat", "holds no frames"),
    ],
)
def test_bad_video_is_one_error_line_naming_it(model_file, clip, tmp_path, capsys, name, content, expected):
    bad = tmp_path / name
    if content is not None:
        bad.write_bytes(content)
    code = fer_predict([str(bad), str(clip), "--model", str(model_file), "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 2
    errors = captured.err.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("fer-predict: error:") and name in errors[0]
    assert expected in errors[0] and "Traceback" not in captured.err
    assert "clip.mp4  speed:" in captured.out  # the good video was still analysed


def test_unwritable_output_folder(model_file, clip, tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert fer_predict([str(clip), "--model", str(model_file), "--out", str(blocker / "out")]) == 2
    err = capsys.readouterr().err
    assert f"Cannot create --out {blocker / 'out'}" in err and "a_file is a file, not a folder" in err


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--every", "0"], "argument --every: must be at least 1, not 0"),
        (["--detect-size", "x"], "argument --detect-size: 'x' is not a whole number"),
        (["--smoothing", "nan"], "argument --smoothing: must be a finite number of seconds, 0 or more, not nan"),
        (["--smoothing", "inf"], "argument --smoothing: must be a finite number of seconds"),
        (["--smoothing", "-1"], "argument --smoothing: must be a finite number of seconds"),
        (["--tta", "five-crop"], "argument --tta: invalid choice: 'five-crop'"),
        (["--min-confidence", "0.5"], "--min-confidence applies to photos only"),
    ],
)
def test_video_options_are_checked_before_any_work(model_file, clip, tmp_path, capsys, option, message):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as stop:
        fer_predict([str(clip), "--model", str(model_file), "--out", str(out), *option])
    assert stop.value.code == 2 and message in capsys.readouterr().err and not out.exists()


def test_videos_honour_tta(model, model_file, clip, tmp_path, monkeypatch):
    from fer_helpers.video import analysis

    seen = []
    original = analysis.FrameAnalyser.analyse

    def analyse(self, frame, **kwargs):
        faces = original(self, frame, **kwargs)
        seen.extend(face.prediction for face in faces)
        return faces

    monkeypatch.setattr(analysis.FrameAnalyser, "analyse", analyse)
    assert (
        fer_predict([str(clip), "--model", str(model_file), "--out", str(tmp_path), "--every", "2", "--tta", "flip"])
        == 0
    )
    assert seen
    classify = keras_classifier(model)
    for prediction in seen[:3]:
        face = prediction.face[None]
        expected = (classify(face) + classify(face[:, :, ::-1])) / 2
        np.testing.assert_allclose(prediction.probabilities, expected[0], atol=1e-5)


def test_keras_classifier_agrees_with_predict_and_takes_any_batch_size(model):
    from fer_helpers.evaluation.metrics import predict_probabilities

    faces = np.random.default_rng(0).integers(0, 256, (5, 48, 48), dtype=np.uint8)
    classify = keras_classifier(model)
    for batch in (faces[:1], faces[:3], faces):  # one compiled function for every batch size
        assert np.allclose(classify(batch), predict_probabilities(model, batch), atol=1e-5)


def test_tflite_classifier_agrees_with_keras(model, tmp_path):
    from fer_helpers.inference.export import save_tflite

    faces = np.random.default_rng(1).integers(0, 256, (4, 48, 48), dtype=np.uint8)
    path = save_tflite(model, tmp_path / "model.tflite")
    assert np.allclose(tflite_classifier(path)(faces), keras_classifier(model)(faces), atol=1e-4)
    assert np.allclose(load_classifier(path)(faces[:2]), tflite_classifier(path.read_bytes())(faces[:2]), atol=1e-6)


def test_a_saved_temperature_scales_video_probabilities_as_for_photos(model_file, clip, tmp_path, capsys):
    import json
    import shutil

    from fer_helpers.evaluation.calibration import apply_temperature

    faces = np.random.default_rng(2).integers(0, 256, (3, 48, 48), dtype=np.uint8)
    scaled = load_classifier(model_file, temperature=2.0)(faces)
    assert np.allclose(scaled, apply_temperature(load_classifier(model_file)(faces), 2.0))

    calibrated = shutil.copy(model_file, tmp_path / "calibrated.keras")
    (tmp_path / "calibrated.json").write_text(json.dumps({"calibration": {"temperature": 2.0}}))
    assert fer_predict([str(clip), "--model", str(calibrated), "--out", str(tmp_path / "out"), "--every", "5"]) == 0
    assert "temperature 2.00" in capsys.readouterr().out
