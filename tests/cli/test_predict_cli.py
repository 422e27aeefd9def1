"""fer-predict: one line per face, a "no face" line, and one-line errors with a non-zero exit for bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fer_helpers.cli.predict import fer_predict
from fer_helpers.data.classes import CLASS_NAMES
from fer_helpers.inference.photos import demo_photo, save_photo


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    from fer_helpers.models.builders import build_baseline

    path = tmp_path_factory.mktemp("model") / "model.keras"
    build_baseline().save(path)
    return path


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("photos")
    bad = folder / "broken.jpg"
    bad.write_text("not an image")
    return {
        "two_faces": save_photo(demo_photo()[0], folder / "two_faces.png"),
        "blank": save_photo(np.full((240, 320, 3), 128, np.uint8), folder / "blank.png"),
        "broken": bad,
    }


def test_one_line_per_face_and_annotated_copies(model_file, photos, tmp_path, capsys):
    code = fer_predict([str(photos["two_faces"]), "--model", str(model_file), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    face_lines = [line for line in out.splitlines() if "  face " in line]
    assert code == 0
    assert len(face_lines) == 2
    for line in face_lines:
        assert line.startswith(str(photos["two_faces"])) and "box=" in line
        assert line.split()[-2] in CLASS_NAMES and 0 <= float(line.split()[-1]) <= 1
    assert (tmp_path / "out" / "two_faces_annotated.png").is_file()


def test_image_without_a_face(model_file, photos, capsys):
    assert fer_predict([str(photos["blank"]), "--model", str(model_file)]) == 0
    out = capsys.readouterr().out
    assert "no face" in out and str(photos["blank"]) in out


def test_unreadable_image_is_one_error_line_and_the_others_still_run(model_file, photos, capsys):
    code = fer_predict([str(photos["broken"]), str(photos["blank"]), "--model", str(model_file)])
    captured = capsys.readouterr()
    assert code != 0
    assert "no face" in captured.out  # the readable photo was still processed
    errors = captured.err.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("fer-predict: error:") and "broken.jpg" in errors[0]


@pytest.mark.parametrize("content", [None, "this is not a keras zip"])
def test_missing_or_invalid_model(tmp_path, photos, content, capsys):
    model = tmp_path / "model.keras"
    if content is not None:
        model.write_text(content)
    assert fer_predict([str(photos["blank"]), "--model", str(model)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "model.keras" in err and "Traceback" not in err


def test_no_model_anywhere_says_to_pass_one(project_dir, photos, capsys):
    assert fer_predict([str(photos["blank"])]) == 2
    assert "--model" in capsys.readouterr().err


def face_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "  face " in line]


def test_a_tflite_model_reads_photos_as_its_keras_model_does(model_file, photos, tmp_path, capsys):
    from fer_helpers.inference.export import save_tflite
    from fer_helpers.models.files import load_trained_model

    tflite = save_tflite(load_trained_model(model_file), tmp_path / "model.tflite")
    assert fer_predict([str(photos["two_faces"]), "--model", str(model_file)]) == 0
    keras_lines = face_lines(capsys.readouterr().out)
    assert fer_predict([str(photos["two_faces"]), "--model", str(tflite)]) == 0
    tflite_lines = face_lines(capsys.readouterr().out)
    assert len(tflite_lines) == 2
    for keras_line, tflite_line in zip(keras_lines, tflite_lines, strict=True):
        assert keras_line.split()[:-1] == tflite_line.split()[:-1]  # same face, box and label
        assert float(keras_line.split()[-1]) == pytest.approx(float(tflite_line.split()[-1]), abs=1e-3)


@pytest.mark.parametrize("tta", ["none", "flip", "ten-crop"])
def test_photos_take_every_tta_mode(model_file, photos, capsys, tta):
    assert fer_predict([str(photos["two_faces"]), "--model", str(model_file), "--tta", tta]) == 0
    assert len(face_lines(capsys.readouterr().out)) == 2


def test_min_confidence_must_be_a_probability(model_file, photos, capsys):
    for bad in ("1.5", "nan", "-0.1", "high"):
        with pytest.raises(SystemExit):
            fer_predict([str(photos["two_faces"]), "--model", str(model_file), "--min-confidence", bad])
        assert "argument --min-confidence:" in capsys.readouterr().err


def test_python_dash_m_fer_helpers_cli_says_how(capsys):
    from fer_helpers.cli.__main__ import main

    assert main([]) == 2
    assert "usage: python -m fer_helpers.cli {train,evaluate,predict}" in capsys.readouterr().err
    assert main(["fer-predict"]) == 2
    assert "unknown command 'fer-predict'" in capsys.readouterr().err
    assert main(["--help"]) == 0 and "predict   = fer-predict" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:
        main(["predict", "--help"])
    assert stop.value.code == 0 and "usage: fer-predict" in capsys.readouterr().out


@pytest.mark.slow
def test_console_script_exits_non_zero_without_a_traceback(tmp_path, photos):
    bad_model = tmp_path / "bad.keras"
    bad_model.write_text("nope")
    result = subprocess.run(
        [sys.executable, "-m", "fer_helpers.cli", "predict", str(photos["two_faces"]), "--model", str(bad_model)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "fer-predict: error:" in result.stderr and "bad.keras" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("detector", ["yunet", "haar"])
def test_the_detector_option_picks_the_face_detector(model_file, photos, capsys, monkeypatch, detector):
    from fer_helpers.inference import face_detection

    if detector == "haar" and not face_detection.haar_available():
        pytest.skip("this OpenCV has no Haar cascade")
    used = []
    real = face_detection.detect_faces

    def spy(photo, *args, **kwargs):
        used.append(kwargs.get("detector"))
        return real(photo, *args, **kwargs)

    monkeypatch.setattr("fer_helpers.inference.face_prediction.detect_faces", spy)  # where predict_faces looks it up
    assert fer_predict([str(photos["two_faces"]), "--model", str(model_file), "--detector", detector]) == 0
    assert used == [detector]
    assert len([line for line in capsys.readouterr().out.splitlines() if "  face " in line]) == 2


def test_the_default_detector_is_yunet():
    from fer_helpers.cli.predict import predict_parser

    assert predict_parser().parse_args(["x.png"]).detector == "yunet"
    with pytest.raises(SystemExit):
        predict_parser().parse_args(["x.png", "--detector", "dlib"])
