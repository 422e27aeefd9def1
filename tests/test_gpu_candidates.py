"""benchmarks/gpu_candidates.py: the lossless data pack, the candidates, and the rule that picks the winner."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import gpu_candidates as gc  # noqa: E402


def test_pack_and_unpack_give_back_every_file_byte_for_byte(tiny_layout: Path, tmp_path: Path):
    (tiny_layout / "test" / "happy" / "odd.png").write_bytes(b"\x89PNG not a jpeg")
    packed = gc.pack_jpegs(tiny_layout, tmp_path / "pack.npz")
    files = sorted(p for p in tiny_layout.rglob("*") if p.is_file())
    assert packed["files"] == len(files) and packed["whole_files"] >= 1  # the PNGs keep their own header
    assert gc.unpack_jpegs(tmp_path / "pack.npz", tmp_path / "out") == len(files)
    for path in files:
        assert (tmp_path / "out" / path.relative_to(tiny_layout)).read_bytes() == path.read_bytes()


def test_unpack_refuses_a_damaged_pack(tiny_layout: Path, tmp_path: Path):
    gc.pack_jpegs(tiny_layout, tmp_path / "pack.npz")
    arrays = dict(np.load(tmp_path / "pack.npz"))
    arrays["blob"] = arrays["blob"].copy()
    arrays["blob"][-5] ^= 0xFF
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(SystemExit, match="do not match"):
        gc.unpack_jpegs(tmp_path / "bad.npz", tmp_path / "out")


def test_candidates_port_the_published_recipe_and_keep_todays_gpu_profile():
    candidates = gc.candidates()
    assert set(candidates) == {"gpu", "paper", "paper_wide", "wide_regularised"}
    paper = candidates["paper"]
    assert (paper.model, paper.optimizer, paper.learning_rate, paper.schedule) == (
        "vgg_bn_paper",
        "sgd",
        0.01,
        "plateau",
    )
    assert (paper.crop_scale, paper.shift, paper.erasing, paper.dropout, paper.batch_size) == (
        (0.8, 1.2),
        0.2,
        0.5,
        0.2,
        64,
    )
    assert candidates["paper_wide"].model == "vgg_bn_wide" and candidates["paper_wide"].optimizer == "sgd"
    assert candidates["gpu"].model == "vgg_bn_wide" and candidates["gpu"].optimizer == "adamw"


def report(right: int, loss: float, parameters: int, file_bytes: int, val_tta: dict | None = None) -> dict:
    scores = {mode: {"right": right, "loss": loss, "accuracy": right / 100} for mode in gc.TTA_ORDER}
    for mode, value in (val_tta or {}).items():
        scores[mode] = {"right": value, "loss": loss, "accuracy": value / 100}
    test = {mode: {"accuracy": 0.5} for mode in gc.TTA_ORDER}
    return {"validation": scores, "test": test, "parameters": parameters, "file_bytes": file_bytes}


def fake_probabilities(work: Path, names: list[str], labels_val: np.ndarray, labels_test: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    for name in names:
        (work / name).mkdir(parents=True)
        probs = {}
        for split, labels in (("val", labels_val), ("test", labels_test)):
            for mode in gc.TTA_ORDER:
                p = rng.uniform(0, 1, (len(labels), 7))
                probs[f"{split}_{mode}"] = p / p.sum(axis=1, keepdims=True)
        np.savez(work / name / "probabilities.npz", **probs)


def test_rule_picks_the_most_validation_faces_right_and_ships_the_best_that_fits(tmp_path: Path):
    from fer_helpers.data.dataset import FERData
    from fer_helpers.data.imageset import ImageSet

    labels = np.arange(14) % 7
    faces = ImageSet(np.zeros((14, 48, 48), np.uint8), labels)
    data = FERData(train=faces, val=faces, test=faces, source="synthetic", location="-")
    reports = {
        "paper": report(72, 0.90, 40_000_000, 160 * 2**20),  # the most right, but too big to ship
        "paper_wide": report(70, 0.95, 5_000_000, 20 * 2**20, val_tta={"flip": 71, "ten-crop": 71}),
        "gpu": report(70, 0.93, 5_000_000, 20 * 2**20),  # ties paper_wide on faces right, lower loss
    }
    fake_probabilities(tmp_path, list(reports), labels, labels)
    decision = gc.decide(reports, data, tmp_path)
    assert decision["ranking_on_validation"] == ["paper", "gpu", "paper_wide"]
    assert decision["winner"] == "paper" and decision["shipped"] == "gpu" and decision["shipped_tta"] == "none"
    assert decision["ensemble"]["members"] == ["paper", "gpu", "paper_wide"]
    assert decision["ensemble"]["chosen_tta"] in gc.TTA_ORDER
    assert gc.choose_mode(reports["paper_wide"]["validation"]) == "flip"  # a tie with ten-crop: the cheaper


def test_split_file_parts_add_up(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(gc, "PART_BYTES", 10)
    source = tmp_path / "model.keras"
    source.write_bytes(bytes(range(25)))
    (tmp_path / "out").mkdir()
    parts = gc.split_file(source, tmp_path / "out")
    assert parts == ["model.keras.part0", "model.keras.part1", "model.keras.part2"]
    assert b"".join((tmp_path / "out" / p).read_bytes() for p in parts) == source.read_bytes()


def fake_results(folder: Path, model_bytes: bytes) -> None:
    """Write what a run sends back: summary.json, runs.tar.gz and the model in parts."""
    import hashlib
    import io
    import json
    import tarfile

    folder.mkdir()
    scores = {
        mode: {"accuracy": 0.70, "right": 2010, "faces": 2871, "loss": 0.9, "macro_f1": 0.66} for mode in gc.TTA_ORDER
    }
    full = {mode: {"accuracy": 0.71, "macro_f1": 0.68, "per_class": {}} for mode in gc.TTA_ORDER}
    report = {
        "model": "vgg_bn_wide",
        "validation": scores,
        "test": scores,
        "test_full": full,
        "epochs_run": 120,
        "parameters": 4_957_767,
        "training_seconds": 300.0,
    }
    (folder / "model.keras.part0").write_bytes(model_bytes)
    summary = {
        "rule": gc.RULE,
        "candidates": {"paper_wide": report},
        "winner": "paper_wide",
        "shipped": "paper_wide",
        "shipped_tta": "flip",
        "shipped_test": {"without_tta": scores["none"], "with_chosen_tta": scores["flip"]},
        "ensemble": {"members": ["paper_wide"], "validation": scores, "chosen_tta": "none", "test": scores["none"]},
        "shipped_file": {"sha256": hashlib.sha256(model_bytes).hexdigest(), "parts": ["model.keras.part0"]},
        "smoke": False,
    }
    (folder / "summary.json").write_text(json.dumps(summary))
    metrics = {
        "model": "vgg_bn_wide",
        "profile": {"name": "paper_wide"},
        "data": {"source": "fer2013-folders", "val_images": 2871},
        "training": {"seed": 42, "epochs_run": 120},
        "accuracy": 0.5,
    }
    with tarfile.open(folder / "runs.tar.gz", "w:gz") as tar:
        data = json.dumps(metrics).encode()
        info = tarfile.TarInfo("paper_wide/metrics.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def test_collect_ships_the_model_with_the_json_the_readme_table_and_the_default_choice_read(
    tmp_path, monkeypatch, capsys
):
    import json

    from fer_helpers.models import shipped as course_model

    monkeypatch.setattr(gc, "ROOT", tmp_path)
    (tmp_path / "models").mkdir()
    fake_results(tmp_path / "back", b"the model's bytes")
    gc.main(["collect", str(tmp_path / "back")])
    shipped = tmp_path / "models" / "fer_vgg_bn_wide_gpu.keras"
    assert shipped.read_bytes() == b"the model's bytes"
    record = json.loads(shipped.with_suffix(".json").read_text())
    assert record["validation_accuracy"] == record["candidates_on_validation"]["paper_wide"]["accuracy"] == 0.70
    assert record["accuracy"] == record["test_accuracy"] == 0.70 and record["training_minutes"] == 5.0
    assert record["test"]["macro_f1"] == 0.68 and record["test_time_augmentation"]["chosen_on_validation"] == "flip"
    assert course_model.recorded_validation(shipped) == (0.70, ("fer2013-folders", 2871, 42))
    row = capsys.readouterr().out.strip().splitlines()[-1]
    assert row == (
        "| `vgg_bn_wide`: the gpu recipe's winner, shipped | `models/fer_vgg_bn_wide_gpu.keras` | "
        "`paper_wide` profile, 120 epochs | 70.0 % | **70.0 %** | 70.0 % | 0.68 | 5.0 min |"
    )


def test_collect_refuses_parts_that_do_not_add_up(tmp_path, monkeypatch):
    monkeypatch.setattr(gc, "ROOT", tmp_path)
    (tmp_path / "models").mkdir()
    fake_results(tmp_path / "back", b"the model's bytes")
    (tmp_path / "back" / "model.keras.part0").write_bytes(b"truncated")
    with pytest.raises(SystemExit, match="do not add up"):
        gc.main(["collect", str(tmp_path / "back")])
    assert not list((tmp_path / "models").iterdir())
