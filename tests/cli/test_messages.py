"""Every message names the file, the line or the option, and the fix; outputs never collide; faces as given.

Covers (issue 26 and issue 24's one exception hierarchy): the console prints a ``FERError`` as one line (exit 2)
and anything else as a bug, with its traceback and where to report it (exit 1); ``fer-predict -dash.jpg`` hints at
``--``; a bad value in a model's JSON names that file and key, not an option the user never passed; a truncated
MP4 is called truncated; ``--smoothing nan`` is refused before any work; two inputs with the same file name in one
``fer-predict`` call (photos or videos) get two results, each line naming its input; a 48x48 face crop
(FER2013's own format) is classified as a face. All on generated photos, videos and an untrained model.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import pytest
from PIL import Image

from fer_helpers.cli.common import run_console_script
from fer_helpers.cli.predict import fer_predict
from fer_helpers.errors import FERDataError, SettingsError
from fer_helpers.inference.photos import demo_photo, save_photo
from fer_helpers.video.demo import DemoFace, write_demo_video
from fer_helpers.video.io import VideoReader


def exit_code(command, argv: list[str]) -> int:
    try:
        return command(argv)
    except SystemExit as stop:
        return int(stop.code or 0)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    from fer_helpers.models.builders import build_model

    path = tmp_path_factory.mktemp("model") / "model.keras"
    build_model("baseline").save(path)
    return path


def console(error: BaseException) -> int:
    def main(args):
        raise error

    return run_console_script(main, argparse.ArgumentParser(prog="fer-x"), [])


def test_an_expected_error_is_one_line_and_a_bug_keeps_its_traceback_and_asks_for_a_report(capsys):
    assert console(SettingsError("bad --thing; use 3")) == 2
    assert capsys.readouterr().err.strip() == "fer-x: error: bad --thing; use 3"
    assert console(ValueError("a real bug inside a library")) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "ValueError: a real bug inside a library" in err
    assert "fer-x: this is a bug" in err and "https://github.com/fer-course/fer-course/issues" in err


def test_a_file_named_like_an_option_gets_a_hint(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    save_photo(demo_photo()[0], tmp_path / "-dash.jpg")
    assert exit_code(fer_predict, ["-dash.jpg"]) == 2
    err = capsys.readouterr().err
    assert "put -- before file names that start with -" in err and "fer-predict -- -dash.jpg" in err


def test_a_bad_value_in_the_models_json_names_the_file_and_key(model_file, tmp_path, capsys):
    model = tmp_path / "m.keras"
    model.write_bytes(model_file.read_bytes())
    (tmp_path / "m.json").write_text(
        json.dumps({"calibration": {"temperature": 1.2, "abstain": {"min_confidence": 7}}})
    )
    photo = save_photo(demo_photo()[0], tmp_path / "p.png")
    assert fer_predict([str(photo), "--model", str(model)]) == 2
    err = capsys.readouterr().err
    assert f'{tmp_path / "m.json"}: "calibration.abstain.min_confidence" is 7.0' in err
    assert "--min-confidence" not in err


def test_a_truncated_mp4_is_called_truncated(tmp_path):
    path = tmp_path / "clip.mp4"
    write_demo_video(path, [DemoFace(("happy",))], width=160, height=120, fps=10.0, seconds=1.0)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(FERDataError, match=r"clip\.mp4 is truncated \(.*Copy or download it again"):
        VideoReader(path)


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_smoothing_that_is_not_a_finite_time_is_refused_before_work(value, tmp_path, capsys):
    out = tmp_path / "out"
    assert exit_code(fer_predict, ["clip.mp4", "--smoothing", value, "--out", str(out)]) == 2
    assert "--smoothing: must be a finite number of seconds" in capsys.readouterr().err and not out.exists()


def test_inputs_with_one_name_get_one_result_each(model_file, tmp_path, capsys):
    photo = demo_photo()[0]
    names = []
    for folder in ("a", "b"):
        names.append(str(save_photo(photo, tmp_path / folder / "face.png")))
        clip = tmp_path / folder / "clip.mp4"
        write_demo_video(clip, [DemoFace(("happy",))], width=160, height=120, fps=5.0, seconds=1.2)
        names.append(str(clip))
    out = tmp_path / "out"
    assert fer_predict([*names, "--model", str(model_file), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == [
        "clip_2_annotated.mp4",
        "clip_2_frames.csv",
        "clip_annotated.mp4",
        "clip_frames.csv",
        "face_2_annotated.png",
        "face_annotated.png",
    ]
    assert f"{names[2]}  annotated copy: {out / 'face_2_annotated.png'}" in printed
    assert f"{names[3]}  wrote {out / 'clip_2_frames.csv'}" in printed
    with (out / "clip_2_frames.csv").open() as handle:
        assert list(csv.DictReader(handle))


def test_a_48x48_face_crop_is_classified_as_a_face(model_file, tmp_path, capsys, monkeypatch):
    # A detector finds no face in many of FER2013's own tight 48x48 crops: as it does here.
    monkeypatch.setattr("fer_helpers.inference.face_prediction.detect_faces", lambda photo, **options: [])
    photo, boxes = demo_photo()
    x, y, w, h = boxes[0]
    crop = Image.fromarray(photo[y : y + h, x : x + w]).convert("L").resize((48, 48))
    path = tmp_path / "crop.png"
    crop.save(path)
    assert fer_predict([str(path), "--model", str(model_file)]) == 0
    printed = capsys.readouterr().out
    assert "the size of a face crop: classified whole" in printed and "face 1  box=0,0,48,48" in printed
    big = save_photo(photo, tmp_path / "big.png")  # a photo, not a crop: no face is still no face
    assert fer_predict([str(big), "--model", str(model_file)]) == 0
    assert "no face found" in capsys.readouterr().out
