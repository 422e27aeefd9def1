"""Bad input and faults for fer-train, fer-evaluate and fer-predict: one clear line, a non-zero exit, nothing lost.

Every case checks the exit code, that the message names the thing and the fix, and (where a run exists) that
no file of it changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from fer_helpers.cli.evaluate import fer_evaluate
from fer_helpers.cli.predict import fer_predict
from fer_helpers.cli.train import fer_train
from fer_helpers.inference.photos import demo_photo, save_photo
from fer_helpers.models.builders import build_model


def exit_code(command, argv: list[str]) -> int:
    """Return the exit code of a console script's entry point, also when argparse exits (bad argument, --help)."""
    try:
        return command(argv)
    except SystemExit as stop:
        return int(stop.code or 0)


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Return every file under ``folder`` with its content hash and modification time."""
    return {
        str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def one_error_line(capsys, prog: str) -> str:
    """Return the single stderr line, checking it is the course's one-line error (no traceback)."""
    err = capsys.readouterr().err.strip()
    lines = err.splitlines()
    assert lines and lines[-1].startswith(f"{prog}: error:") and "Traceback" not in err, err
    assert not any(line.startswith(f"{prog}: error:") for line in lines[:-1]), err
    return lines[-1]


def read_only_folder(tmp_path: Path) -> Path:
    """Return a folder nobody may write in (root ignores permissions: use /sys there)."""
    if os.geteuid() == 0:
        if not Path("/sys").is_dir():
            pytest.skip("running as root without /sys: no read-only folder to test with")
        return Path("/sys")
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


@pytest.fixture(scope="module")
def course_model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "baseline.keras"
    build_model("baseline").save(path)
    return path


@pytest.fixture(scope="module")
def odd_models(tmp_path_factory) -> dict[str, Path]:
    """Model files that are not the course's: another input shape, another class count, not a model at all."""
    folder = tmp_path_factory.mktemp("odd_models")
    rgb64 = keras.Sequential([keras.Input((64, 64, 3)), keras.layers.Flatten(), keras.layers.Dense(7, "softmax")])
    rgb64.save(folder / "rgb64.keras")
    five = keras.Sequential([keras.Input((48, 48, 1)), keras.layers.Flatten(), keras.layers.Dense(5, "softmax")])
    five.save(folder / "five_classes.keras")
    (folder / "text.keras").write_text("this is a text file, not a model")
    (folder / "empty.keras").write_bytes(b"")
    (folder / "garbage.h5").write_text("not hdf5")
    (folder / "saved_model.pb").write_bytes(b"\x08\x01")
    (folder / "a_folder.keras").mkdir()
    return {path.name: path for path in folder.iterdir()}


MODEL_MESSAGES = {
    "rgb64.keras": r"takes 64x64x3 faces; the course's take 48x48x1",
    "five_classes.keras": r"gives 5 outputs; the course's models give 7 class probabilities",
    "text.keras": r"text.keras is not a Keras model: a \.keras file is a zip archive",
    "empty.keras": r"empty.keras is not a Keras model: .* this one is empty",
    "garbage.h5": r"garbage.h5 is not an HDF5 model file",
    "saved_model.pb": r"saved_model.pb is not a \.keras \(or legacy \.h5\) file",
    "a_folder.keras": r"a_folder.keras is a folder, not a model file",
}


# --- fer-train: a finished run is never lost


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, small_synthetic: Path) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("finished") / "run"
    command = ["--data", str(small_synthetic), "--profile", "smoke", "--epochs", "1", "--out", str(out)]
    assert fer_train(command) == 0
    return out, command


@pytest.mark.slow
def test_rerunning_a_finished_run_changes_no_file_and_says_how_to_train_again(finished_run, capsys):
    out, command = finished_run
    capsys.readouterr()
    before = snapshot(out)
    assert fer_train(command) == 0
    assert snapshot(out) == before
    printed = capsys.readouterr().out
    assert "already holds this finished run" in printed and "--overwrite" in printed and "Epoch" not in printed


@pytest.mark.slow
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--epochs", "2"], r"finished run with other settings \(epochs: 1 -> 2\)"),
        (["--epochs", "0"], r"argument --epochs: must be at least 1, not 0"),
        (["--epochs", "-3"], r"argument --epochs: must be at least 1, not -3"),
        (["--epochs", "1.5"], r"argument --epochs: '1.5' is not a whole number"),
        (["--time-budget", "inf"], r"argument --time-budget: must be a positive, finite number of minutes, not inf"),
        (["--time-budget", "nan"], r"argument --time-budget: must be a positive, finite number of minutes, not nan"),
        (["--time-budget", "-5"], r"argument --time-budget: must be a positive, finite"),
        (["--seed", "7"], r"other settings \(.*seed: 42 -> 7"),
        (["--refit"], r"other settings \(.*data.validation: True -> False"),
    ],
)
def test_bad_or_other_arguments_on_a_finished_run_touch_nothing(finished_run, capsys, extra, message):
    out, command = finished_run
    capsys.readouterr()
    before = snapshot(out)
    assert exit_code(fer_train, [*command[:-2], *extra, "--out", str(out)]) == 2
    assert snapshot(out) == before
    err = capsys.readouterr().err
    assert re.search(message, err), err


@pytest.mark.slow
def test_overwrite_trains_a_new_run_in_its_place(finished_run, tmp_path: Path, capsys):
    out, command = finished_run
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    assert fer_train([*command[:-2], "--epochs", "2", "--out", str(copy), "--overwrite"]) == 0
    metrics = json.loads((copy / "metrics.json").read_text())
    assert metrics["training"]["epochs_run"] == 2 and not (copy / ".previous-run").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--epochs", "0"], r"argument --epochs: must be at least 1, not 0"),
        (["--epochs", "ten"], r"argument --epochs: 'ten' is not a whole number"),
        (["--time-budget", "0"], r"argument --time-budget: must be a positive, finite number of minutes, not 0"),
        (["--time-budget=-inf"], r"argument --time-budget: must be a positive, finite"),
        (["--time-budget", "1e999"], r"argument --time-budget: must be a positive, finite"),  # inf in disguise
        (["--epochs", "3", "--time-budget", "10"], r"argument --time-budget: not allowed with argument --epochs"),
        (["--seed", "-1"], r"argument --seed: must lie between 0 and 4294967295, not -1"),
        (["--augment", "strong"], r"argument --augment: invalid choice: 'strong'"),
        (["--profile", "laptop"], r"argument --profile: invalid choice: 'laptop'"),
        (["--arch", "resnet"], r"argument --arch: invalid choice: 'resnet'"),
        (
            ["--model", "vgg_bn"],
            r"--model names a model file .*choose its architecture with --arch \(here: --arch vgg_bn\)",
        ),
        (["--model", "m.keras"], r"--model names a model file .*\(here: --arch baseline \| --arch vgg_bn"),
    ],
)
def test_train_refuses_bad_arguments_before_any_work(tmp_path: Path, capsys, extra, message):
    out = tmp_path / "run"
    assert exit_code(fer_train, ["--data", "synthetic", "--out", str(out), *extra]) == 2
    assert re.search(message, capsys.readouterr().err) and not out.exists()


# --- fer-train: paths


def test_train_out_that_is_a_file(tmp_path: Path, capsys):
    (tmp_path / "run").write_text("I am a file")
    assert fer_train(["--data", "synthetic", "--profile", "smoke", "--out", str(tmp_path / "run")]) == 2
    line = one_error_line(capsys, "fer-train")
    assert f"--out {tmp_path / 'run'} is a file, not a folder" in line


def test_train_out_below_a_file(tmp_path: Path, capsys):
    (tmp_path / "notes.txt").write_text("")
    assert fer_train(["--data", "synthetic", "--profile", "smoke", "--out", str(tmp_path / "notes.txt" / "r")]) == 2
    assert "notes.txt is a file, not a folder" in one_error_line(capsys, "fer-train")


def test_train_out_in_a_read_only_folder(tmp_path: Path, capsys):
    out = read_only_folder(tmp_path) / "fer_run"
    assert fer_train(["--data", "synthetic", "--profile", "smoke", "--out", str(out)]) == 2
    line = one_error_line(capsys, "fer-train")
    assert f"Cannot write --out {out}" in line and "Choose a folder you can write to" in line


def test_train_data_that_is_an_archive(tmp_path: Path, capsys):
    archive = tmp_path / "fer2013.zip"
    archive.write_bytes(b"PK\x03\x04")
    assert fer_train(["--data", str(archive), "--profile", "smoke", "--out", str(tmp_path / "o")]) == 2
    assert "is an archive: unpack it first" in one_error_line(capsys, "fer-train")


def test_train_refuses_a_misspelt_class_folder(tiny_layout: Path, tmp_path: Path, capsys):
    (tiny_layout / "train" / "fear").rename(tiny_layout / "train" / "feer")
    assert fer_train(["--data", str(tiny_layout), "--profile", "smoke", "--out", str(tmp_path / "o")]) == 2
    assert "Unknown class folder" in one_error_line(capsys, "fer-train")


# --- fer-evaluate


def test_evaluate_refuses_a_misspelt_class_folder_like_fer_train(course_model: Path, tiny_layout: Path, capsys):
    (tiny_layout / "test" / "happy").rename(tiny_layout / "test" / "hapy")
    assert fer_evaluate(["--model", str(course_model), "--data", str(tiny_layout)]) == 2
    line = one_error_line(capsys, "fer-evaluate")
    assert "Unknown class folder" in line and "hapy" in line


def test_evaluate_json_folder_is_refused_first(course_model, small_synthetic, tmp_path, capsys, monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("evaluated before checking --json")

    monkeypatch.setattr("fer_helpers.evaluation.metrics.evaluate_model", must_not_run)
    monkeypatch.setattr("fer_helpers.data.dataset.load_evaluation_split", must_not_run)
    assert fer_evaluate(["--model", str(course_model), "--data", str(small_synthetic), "--json", str(tmp_path)]) == 2
    line = one_error_line(capsys, "fer-evaluate")
    assert f"--json {tmp_path} is a folder; give a file name" in line
    read_only = read_only_folder(tmp_path) / "m.json"
    assert fer_evaluate(["--model", str(course_model), "--data", str(small_synthetic), "--json", str(read_only)]) == 2
    assert "Cannot write --json" in one_error_line(capsys, "fer-evaluate")


@pytest.mark.parametrize("name", list(MODEL_MESSAGES))
def test_evaluate_and_predict_explain_a_model_that_is_not_the_courses(odd_models, small_synthetic, name, capsys):
    model = str(odd_models[name])
    assert fer_evaluate(["--model", model, "--data", str(small_synthetic)]) == 2
    assert re.search(MODEL_MESSAGES[name], one_error_line(capsys, "fer-evaluate"))
    assert fer_predict([str(small_synthetic / "test" / "happy" / "synthetic_00000.png"), "--model", model]) == 2
    assert re.search(MODEL_MESSAGES[name], one_error_line(capsys, "fer-predict"))


def test_evaluate_reads_the_csv_layout(course_model: Path, tmp_path: Path, capsys):
    pixels = " ".join(["90"] * 2304)
    rows = [f"{i % 7},{pixels},{usage}" for usage in ("Training", "PublicTest", "PrivateTest") for i in range(7)]
    csv = tmp_path / "fer2013.csv"
    csv.write_text("emotion,pixels,Usage\n" + "\n".join(rows) + "\n")
    out = tmp_path / "m.json"
    assert fer_evaluate(["--model", str(course_model), "--data", str(csv), "--json", str(out)]) == 0
    assert json.loads(out.read_text())["num_images"] == 7
    assert "private test split (7 faces) is left alone" in capsys.readouterr().out
    assert fer_evaluate(["--model", str(course_model), "--data", str(tmp_path), "--split", "private_test"]) == 0
    assert "Evaluating the private test split (7 faces" in capsys.readouterr().out


def test_evaluate_chooses_the_split_and_says_what_it_is(course_model: Path, kaggle_layout: Path, tmp_path, capsys):
    out = tmp_path / "m.json"
    assert fer_evaluate(["--model", str(course_model), "--data", str(kaggle_layout), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Evaluating the test split (14 faces" in printed and "private test split (7 faces) is left alone" in printed
    assert json.loads(out.read_text())["num_images"] == 14 and json.loads(out.read_text())["split"] == "test"
    args = ["--model", str(course_model), "--data", str(kaggle_layout), "--split", "private_test", "--json", str(out)]
    assert fer_evaluate(args) == 0
    assert "the final exam: evaluate once at the very end, never choose anything on it" in capsys.readouterr().out
    assert json.loads(out.read_text())["num_images"] == 7


def test_evaluate_without_private_files_says_so_and_goes_on(course_model: Path, tiny_layout: Path, capsys):
    assert fer_evaluate(["--model", str(course_model), "--data", str(tiny_layout)]) == 0
    assert "there is no private test split here" in capsys.readouterr().out
    assert fer_evaluate(["--model", str(course_model), "--data", str(tiny_layout), "--split", "private_test"]) == 2
    assert "no PrivateTest_* files, so there is no private test split" in one_error_line(capsys, "fer-evaluate")


def test_evaluate_skip_bad_files(course_model: Path, tiny_layout: Path, capsys):
    (tiny_layout / "test" / "sad" / "PublicTest_torn.jpg").write_bytes(b"\xff\xd8\xff\xe0 torn")
    assert fer_evaluate(["--model", str(course_model), "--data", str(tiny_layout)]) == 2
    assert "--skip-bad-files" in one_error_line(capsys, "fer-evaluate")  # the hint names an option that exists
    with pytest.warns(UserWarning, match="PublicTest_torn.jpg"):
        assert fer_evaluate(["--model", str(course_model), "--data", str(tiny_layout), "--skip-bad-files"]) == 0
    assert "(7 faces)" in capsys.readouterr().out


def test_evaluate_16_bit_faces_are_not_washed_out(course_model: Path, tiny_layout: Path, tmp_path: Path):
    """The same faces as 8-bit and as 16-bit PNGs get the same predictions."""
    sixteen = tmp_path / "sixteen"
    for path in tiny_layout.rglob("*.*"):
        target = sixteen / path.relative_to(tiny_layout).with_suffix(".png")
        target.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.asarray(Image.open(path)).astype(np.uint16) * 257).save(target)
    results = []
    for root in (tiny_layout, sixteen):
        out = tmp_path / f"{root.name}.json"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "16-bit image scaled to 8 bits"
            assert fer_evaluate(["--model", str(course_model), "--data", str(root), "--json", str(out)]) == 0
        results.append(json.loads(out.read_text())["confusion_matrix"])
    assert results[0] == results[1]


# --- fer-predict


@pytest.fixture(scope="module")
def photo_files(tmp_path_factory) -> dict[str, Path]:
    """The demo photo (two faces) in formats that used to be misread, and inputs that are not photos."""
    folder = tmp_path_factory.mktemp("photos")
    photo = demo_photo()[0]
    gray = np.asarray(Image.fromarray(photo).convert("L"))
    Image.fromarray(gray.astype(np.uint16) * 257).save(folder / "gray16.png")
    Image.fromarray(photo).convert("CMYK").save(folder / "cmyk.jpg", quality=95)
    rgba = np.dstack([photo, np.full(gray.shape, 255, np.uint8)])
    rgba[:10, :, 3] = 0  # a transparent strip along the top
    Image.fromarray(rgba, "RGBA").save(folder / "rgba.png")
    save_photo(photo, folder / "plain.png")
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.txt").write_text("not a photo")
    (folder / "album").mkdir()
    return {path.name: path for path in folder.iterdir()}


@pytest.mark.parametrize("name", ["plain.png", "gray16.png", "cmyk.jpg", "rgba.png"])
def test_predict_finds_both_faces_whatever_the_format(course_model: Path, photo_files, name: str, capsys):
    assert fer_predict([str(photo_files[name]), "--model", str(course_model)]) == 0
    out = capsys.readouterr().out
    assert sum("  face " in line for line in out.splitlines()) == 2, out


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.jpg", "the file is empty"),
        ("notes.txt", "corrupt or not an image"),
        ("album", "does not exist or is not a file"),
        ("missing.png", "does not exist or is not a file"),
    ],
)
def test_predict_names_each_unreadable_photo_and_goes_on(course_model, photo_files, name, message, capsys):
    path = photo_files.get(name, photo_files["plain.png"].parent / name)
    assert fer_predict([str(path), str(photo_files["plain.png"]), "--model", str(course_model)]) == 2
    captured = capsys.readouterr()
    assert sum("  face " in line for line in captured.out.splitlines()) == 2  # the good photo still ran
    errors = captured.err.strip().splitlines()
    assert len(errors) == 1 and name in errors[0] and message in errors[0]


def test_predict_out_that_is_a_file_fails_before_loading_the_model(photo_files, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setattr("fer_helpers.models.files.load_trained_model", lambda path: pytest.fail("loaded the model"))
    (tmp_path / "out").write_text("")
    assert fer_predict([str(photo_files["plain.png"]), "--model", "m.keras", "--out", str(tmp_path / "out")]) == 2
    assert "--out" in one_error_line(capsys, "fer-predict")
    out = read_only_folder(tmp_path) / "annotated"
    assert fer_predict([str(photo_files["plain.png"]), "--model", "m.keras", "--out", str(out)]) == 2
    assert "Cannot write --out" in one_error_line(capsys, "fer-predict")


# --- the one error path


def test_os_errors_become_one_line_naming_the_path_and_the_fix(capsys):
    import argparse

    from fer_helpers.cli.common import error_line, run_console_script

    def main(args):
        raise PermissionError(13, "Permission denied", "/data/fer2013/train/happy/x.jpg")

    assert run_console_script(main, argparse.ArgumentParser(prog="fer-x"), []) == 2
    line = one_error_line(capsys, "fer-x")
    assert "/data/fer2013/train/happy/x.jpg: Permission denied; check its permissions" in line
    assert error_line(OSError(28, "No space left on device", "runs/x/best.keras")).endswith(
        "the disk is full; free some space or choose another path."
    )


@pytest.mark.parametrize("how", ["--debug", "FER_DEBUG"])
def test_debug_shows_the_traceback(tmp_path: Path, how: str, capsys, monkeypatch):
    command = ["photo.jpg", "--model", str(tmp_path / "x.keras")]
    if how == "--debug":
        command.append("--debug")
    else:
        monkeypatch.setenv("FER_DEBUG", "1")
    assert fer_predict(command) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().splitlines()[-1].endswith(
        f"{tmp_path / 'x.keras'} does not exist. "
        + ("Train one with fer-train or notebook 04, or point at models/*.keras.")
    )
    monkeypatch.setenv("FER_DEBUG", "0")
    assert fer_predict(command[:3]) == 2
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("command", [fer_train, fer_evaluate, fer_predict])
def test_every_command_offers_debug_and_the_new_options(command, capsys):
    assert exit_code(command, ["--help"]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "--debug" in printed and "FER_DEBUG=1" in printed
    if command is fer_train:
        assert "--skip-bad-files" in printed and "--overwrite" in printed
    if command is fer_evaluate:
        assert "--skip-bad-files" in printed and "--split {test,private_test}" in printed
