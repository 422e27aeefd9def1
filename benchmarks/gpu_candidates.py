"""Train the gpu recipe's candidates side by side on one GPU, pick the winner by a rule fixed in advance, pack results.

Issue 18: a lent GPU machine (an H200 with JAX and PyTorch but no TensorFlow; 15 minutes of device time in all,
10 at most per command) trains the candidates below at the same time, each within the same wall-clock budget,
and sends back their histories and metrics, the winner's model, and the ensemble of all of them.

Subcommands:

- ``prepare`` (here, before the GPU session, in the checkout that the device tool sends): packs FER2013's JPEG
  files byte for byte into ``data/gpu_carry/fer2013_jpeg.npz`` (their shared 328-byte header stored once: 47
  instead of 57 MiB, so that the repository and the data fit the 64 MiB a call may carry), downloads the wheels
  the machine lacks (keras, namex, optree for Python 3.12) and records the git commit. Nothing there enters git.
- ``run`` (there, through ``benchmarks/gpu_candidates.sh``): unpacks the data, trains every candidate in its own
  process, scores them, and packs what comes back under ``--out`` (``$OUT`` there).
- ``train`` (``run`` starts one per candidate).
- ``collect`` (here, afterwards): checks and joins the model's parts into ``models/fer_<model>_gpu.keras`` with its
  provenance JSON, and prints validation numbers, then the test numbers that the rule allows.

A smoke run on a CPU (3 % of the data, one epoch, two candidates): ``python benchmarks/gpu_candidates.py run
--smoke --out /tmp/gpu_smoke --data "$FER2013_DIR"``. See ``benchmarks/README.md`` for the device command.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

import fer_helpers.quiet  # noqa: F401  (drops TensorFlow's start-up lines; import it before TensorFlow)
from fer_helpers.profiles import Profile, get_profile

ROOT = Path(__file__).resolve().parent.parent
CARRY_DIR = ROOT / "data" / "gpu_carry"
DATA_PACK = "fer2013_jpeg.npz"
WHEELS = ("keras", "namex", "optree")
"""Packages Keras needs that the GPU machine's Python 3.12 lacks (numpy, h5py, ml-dtypes, rich, absl-py are there)."""
PART_BYTES = 15 * 2**20
"""Size of the parts a model file travels back in: the device tool returns files of at most 16 MiB."""
SHIP_LIMIT_BYTES = 3 * PART_BYTES
"""Largest model file that can be shipped: three parts (the tool returns at most 8 files, 64 MiB in all)."""
SETUP_SECONDS, SCORING_SECONDS, FINISH_SECONDS = 75, 60, 45
"""Seconds of a run kept for unpacking and loading the data and starting the candidates, for each candidate's
scoring after its training, and for the ensemble and packing at the end: the rest is training budget."""
SEED = 42
"""The seed of the validation split (the cpu model's), of the weights and of the augmentation."""
TTA_ORDER = ("none", "flip", "ten-crop")

RULE = """Fixed before the runs:
1. Each candidate keeps its best epoch by validation accuracy (10 % of train/, stratified, seed 42: the
   cpu model's 2,871 faces); it is scored as a float32 copy, which is what ships.
2. The winner is the candidate with the most validation faces right, without test-time augmentation; a tie
   goes to the lower validation loss, then to fewer weights.
3. The model shipped is the winner if its file fits three 15-MiB parts (45 MiB); otherwise the best candidate
   that fits, by the same rule, and the winner's numbers say what its recipe reaches.
4. The shipped model's test-time augmentation is chosen on validation (most faces right among none, flip and
   ten-crop; a tie goes to the cheaper). Test (PublicTest) is reported for the shipped model only, with and
   without that augmentation, and for the ensemble below; no test number changes any choice.
5. The ensemble averages the probabilities of every candidate that finished; its augmentation is chosen on
   validation the same way.
All candidates train at the same time on the one GPU, so each has about a share of it."""


def candidates() -> dict[str, Profile]:
    """Return the candidate recipes by name, each a variant of the ``gpu`` profile."""
    gpu = get_profile("gpu")
    published = {  # Khaireddin and Chen (2021), as their code trains (train.py, data/fer2013.py)
        "optimizer": "sgd",
        "learning_rate": 0.01,
        "weight_decay": 1e-3,  # PyTorch's SGD weight_decay 1e-4 with momentum 0.9 (see training.build_optimizer)
        "schedule": "plateau",
        "plateau_factor": 0.75,
        "plateau_patience": 5,
        "warmup_epochs": 0.0,
        "shift": 0.2,
        "zoom": 0.0,
        "crop_scale": (0.8, 1.2),
        "erasing": 0.5,
        "erasing_scale": (0.02, 0.33),
        "batch_size": 64,
        "max_epochs": 300,
        "patience": 300,
        "ten_crop_tta": True,
    }
    return {
        # today's gpu profile, for comparison under the same budget and the same share of the GPU
        "gpu": replace(gpu, ten_crop_tta=True),
        # the published recipe with the published network (40 M weights: too big to ship, see rule 3)
        "paper": replace(gpu, name="paper", model="vgg_bn_paper", dropout=0.2, **published),
        # the published training recipe on the course's wide network (5.0 M weights)
        "paper_wide": replace(gpu, name="paper_wide", model="vgg_bn_wide", **published),
        # the course's recipe with its regularisation raised: crops, 20 % shifts, erasing 0.5 on larger patches,
        # dropout 0.5, and room for 300 epochs in the cosine
        "wide_regularised": replace(
            gpu,
            name="wide_regularised",
            dropout=0.5,
            shift=0.2,
            zoom=0.0,
            crop_scale=(0.8, 1.2),
            erasing=0.5,
            erasing_scale=(0.02, 0.33),
            max_epochs=300,
            patience=300,
            ten_crop_tta=True,
        ),
    }


# ---------------------------------------------------------------------------------------------------------- prepare


def jpeg_header_length(data: bytes) -> int:
    """Return the length of a JPEG file's header: everything up to the end of its start-of-scan segment."""
    start = data.find(b"\xff\xda")
    if start < 0:
        raise ValueError("not a baseline JPEG (no start-of-scan marker)")
    return start + 2 + int.from_bytes(data[start + 2 : start + 4], "big")


def pack_jpegs(source: Path, target: Path) -> dict:
    """Pack every file under ``source`` into ``target`` (.npz), losslessly; return counts, sizes and the checksum.

    Files that start with the first JPEG's header are stored without it (FER2013's all share it).
    """
    files = sorted(p for p in source.rglob("*") if p.is_file())
    if not files:
        raise SystemExit(f"No files under {source}.")
    header = b""
    for path in files:
        data = path.read_bytes()
        if data.startswith(b"\xff\xd8") and b"\xff\xda" in data:
            header = data[: jpeg_header_length(data)]
            break
    digest, tails, offsets, whole = hashlib.sha256(), [], [0], []
    for path in files:
        data = path.read_bytes()
        digest.update(data)
        shared = bool(header) and data.startswith(header)
        tails.append(data[len(header) :] if shared else data)
        whole.append(not shared)
        offsets.append(offsets[-1] + len(tails[-1]))
    names = "\n".join(str(p.relative_to(source)) for p in files).encode()
    np.savez(
        target,
        header=np.frombuffer(header, np.uint8),
        blob=np.frombuffer(b"".join(tails), np.uint8),
        offsets=np.array(offsets, np.int64),
        whole=np.array(whole),
        names=np.frombuffer(names, np.uint8),
        sha256=np.array(digest.hexdigest()),
    )
    return {"files": len(files), "bytes": offsets[-1], "sha256": digest.hexdigest(), "whole_files": int(sum(whole))}


def unpack_jpegs(pack: Path, target: Path) -> int:
    """Write the files packed by :func:`pack_jpegs` under ``target``; check their checksum; return their count."""
    arrays = np.load(pack)
    header, blob, offsets, whole = (arrays[k] for k in ("header", "blob", "offsets", "whole"))
    names = arrays["names"].tobytes().decode().split("\n")
    digest = hashlib.sha256()
    for i, name in enumerate(names):
        data = (b"" if whole[i] else header.tobytes()) + blob[offsets[i] : offsets[i + 1]].tobytes()
        digest.update(data)
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if digest.hexdigest() != str(arrays["sha256"]):
        raise SystemExit(f"{pack}: the unpacked files do not match the packed checksum.")
    return len(names)


def download_wheels(target: Path) -> list[str]:
    """Download the :data:`WHEELS` at this venv's versions for the GPU machine's Python 3.12 (x86-64 Linux)."""
    from importlib import metadata

    pins = [f"{name}=={metadata.version(name)}" for name in WHEELS]
    platforms = ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version"]
    command += ["3.12", "--implementation", "cp", *[f"--platform={p}" for p in platforms], "-d", str(target), *pins]
    subprocess.run(command, check=True)
    return pins


def tree_bytes() -> int:
    """Return the bytes of the files git tracks plus untracked files it does not ignore (what the tool sends)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True
    ).stdout.split(b"\0")
    return sum((ROOT / name.decode()).stat().st_size for name in listed if name and (ROOT / name.decode()).is_file())


def prepare(args: argparse.Namespace) -> None:
    """Pack the data, download the wheels and record the commit into ``data/gpu_carry``."""
    from fer_helpers.provenance import git_commit

    source = Path(args.data or os.environ.get("FER2013_DIR", ""))
    if not (source / "train").is_dir() or not (source / "test").is_dir():
        raise SystemExit("Give --data (or set FER2013_DIR to) FER2013 in the Kaggle folder layout (train/, test/).")
    shutil.rmtree(CARRY_DIR, ignore_errors=True)
    (CARRY_DIR / "wheels").mkdir(parents=True)
    packed = pack_jpegs(source, CARRY_DIR / DATA_PACK)
    pins = download_wheels(CARRY_DIR / "wheels")
    (CARRY_DIR / "COMMIT").write_text(git_commit(ROOT) + "\n")
    carried = sum(p.stat().st_size for p in CARRY_DIR.rglob("*") if p.is_file())
    total = carried + tree_bytes()
    print(f"Packed {packed['files']} files ({packed['bytes'] / 2**20:.1f} MiB), wheels {', '.join(pins)}.")
    print(f"data/gpu_carry: {carried / 2**20:.1f} MiB; with the working tree {total / 2**20:.1f} MiB (limit 64).")
    if total > 64 * 2**20:
        raise SystemExit("Too big for one call of the device tool: remove untracked files from the working tree.")
    print('Device tool: run(command="bash benchmarks/gpu_candidates.sh", carry=["data/gpu_carry"], timeout_s=600)')


# ------------------------------------------------------------------------------------------------------------- train


def float32_copy(model, profile: Profile):
    """Return the model rebuilt in float32 with the trained weights: what ships (it runs on any CPU)."""
    from fer_helpers.models.builders import build_model

    copy = build_model(profile.model, dropout=profile.dropout)
    copy.set_weights(model.get_weights())
    return copy


def score_probabilities(labels: np.ndarray, probs: np.ndarray) -> dict:
    """Return accuracy, faces right, loss and macro F1 for predicted probabilities."""
    from fer_helpers.evaluation.metrics import metrics_from_probabilities

    metrics = metrics_from_probabilities(labels, probs)
    right = int((probs.argmax(axis=1) == labels).sum())
    return {
        "accuracy": metrics["accuracy"],
        "right": right,
        "faces": len(labels),
        "loss": metrics["loss"],
        "macro_f1": metrics["macro_f1"],
    }


def train(args: argparse.Namespace) -> None:
    """Train one candidate, then score its float32 copy on validation and test with every TTA mode."""
    from fer_helpers.evaluation.metrics import metrics_from_probabilities, predict_probabilities
    from fer_helpers.provenance import gpu_names
    from fer_helpers.training.experiment import train_and_evaluate

    profile = candidates()[args.candidate]
    if args.epochs is None:
        profile = replace(profile, time_budget_minutes=args.minutes)
    if not gpu_names():  # float16 on a CPU is many times slower than float32: a smoke run keeps float32
        profile = replace(profile, mixed_precision=False)
        print("No GPU: mixed precision off.", flush=True)
    data = pickle.loads(Path(args.data_pickle).read_bytes())
    out = Path(args.out)
    result = train_and_evaluate(data, profile, out, model_name=profile.model, epochs=args.epochs, seed=SEED, verbose=2)
    ship = float32_copy(result.run.model, profile)
    ship.save(out / "ship.keras")
    probs, scores = {}, {"val": {}, "test": {}}
    for split, faces in (("val", data.val), ("test", data.test)):
        for mode in TTA_ORDER:
            probs[f"{split}_{mode}"] = predict_probabilities(ship, faces.images, mode).astype("float32")
            scores[split][mode] = score_probabilities(faces.labels, probs[f"{split}_{mode}"])
    np.savez(out / "probabilities.npz", **probs)
    test_full = {mode: metrics_from_probabilities(data.test.labels, probs[f"test_{mode}"]) for mode in TTA_ORDER}
    report = {
        "candidate": args.candidate,
        "model": profile.model,
        "parameters": int(ship.count_params()),
        "file_bytes": (out / "ship.keras").stat().st_size,
        "epochs_run": result.run.epochs_run,
        "training_seconds": round(result.run.training_seconds, 1),
        "best_val_accuracy_in_training": result.run.best_val_accuracy,
        "validation": scores["val"],
        "test": scores["test"],
        "test_full": test_full,
        "profile": profile.to_dict(),
    }
    (out / "candidate.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"{args.candidate}: {scores['val']['none']['right']} of {len(data.val)} validation faces right", flush=True)


# --------------------------------------------------------------------------------------------------------------- run


def winner_key(report: dict) -> tuple:
    """Return the sort key of rule 2: most validation faces right, then lower validation loss, then fewer weights."""
    plain = report["validation"]["none"]
    return (plain["right"], -plain["loss"], -report["parameters"])


def choose_mode(scores: dict) -> str:
    """Return the TTA mode with the most validation faces right; a tie goes to the cheaper (rule 4)."""
    return max(TTA_ORDER, key=lambda mode: (scores[mode]["right"], -TTA_ORDER.index(mode)))


def ensemble(work: Path, names: list[str], data) -> dict:
    """Return the ensemble of ``names`` (averaged probabilities): validation per mode, the mode chosen, its test."""
    loaded = [np.load(work / name / "probabilities.npz") for name in names]
    val = {m: score_probabilities(data.val.labels, np.mean([p[f"val_{m}"] for p in loaded], 0)) for m in TTA_ORDER}
    mode = choose_mode(val)
    test_probs = np.mean([p[f"test_{mode}"] for p in loaded], axis=0)
    test_plain = np.mean([p["test_none"] for p in loaded], axis=0)
    return {
        "members": names,
        "validation": val,
        "chosen_tta": mode,
        "test": score_probabilities(data.test.labels, test_probs),
        "test_without_tta": score_probabilities(data.test.labels, test_plain),
    }


def decide(reports: dict[str, dict], data, work: Path) -> dict:
    """Apply :data:`RULE` to the finished candidates' reports; return the decisions and the numbers they allow."""
    ranked = sorted(reports, key=lambda name: winner_key(reports[name]), reverse=True)
    shippable = [name for name in ranked if reports[name]["file_bytes"] <= SHIP_LIMIT_BYTES]
    shipped = shippable[0] if shippable else None
    decision = {"ranking_on_validation": ranked, "winner": ranked[0], "shipped": shipped}
    if shipped:
        report = reports[shipped]
        mode = choose_mode(report["validation"])
        decision["shipped_tta"] = mode
        decision["shipped_test"] = {"without_tta": report["test"]["none"], "with_chosen_tta": report["test"][mode]}
    decision["ensemble"] = ensemble(work, ranked, data)
    return decision


def launch(name: str, args: argparse.Namespace, work: Path, out: Path, train_minutes: float, env: dict):
    """Start one candidate's training process, its output going to ``out/<name>.log``."""
    command = [sys.executable, __file__, "train", "--candidate", name, "--out", str(work / name)]
    command += ["--data-pickle", str(work / "data.pkl"), "--minutes", f"{train_minutes:.2f}"]
    command += ["--epochs", str(args.epochs)] if args.epochs else []
    log = (out / f"{name}.log").open("w")
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def wait_for(processes: dict, deadline: float) -> dict[str, int | None]:
    """Wait for the processes until ``deadline`` (time.time()); stop those still running; return exit codes."""
    while time.time() < deadline and any(p.poll() is None for p in processes.values()):
        time.sleep(2)
    for name, process in processes.items():
        if process.poll() is None:
            print(f"{name}: still running at the deadline: stopped", flush=True)
            os.killpg(process.pid, signal.SIGTERM)
            process.wait()
    return {name: process.returncode for name, process in processes.items()}


def load_data(args: argparse.Namespace, work: Path):
    """Return FER2013 (unpacked from the carried pack if no ``--data``), cut to 3 % for a smoke run; pickle it."""
    from fer_helpers.data.dataset import load_fer2013

    source = args.data
    if source is None:
        source = work / "fer2013"
        count = unpack_jpegs(Path(args.carry) / DATA_PACK, source)
        print(f"Unpacked {count} FER2013 files (checksum verified) to {source}", flush=True)
    data = load_fer2013(source, seed=SEED, subset=0.03 if args.smoke else 1.0, progress=False)
    (work / "data.pkl").write_bytes(pickle.dumps(data))
    return data


def split_file(path: Path, out: Path) -> list[str]:
    """Copy ``path`` into ``out`` as parts of :data:`PART_BYTES`; return their names."""
    data, names = path.read_bytes(), []
    for index in range(0, len(data), PART_BYTES):
        names.append(f"model.keras.part{index // PART_BYTES}")
        (out / names[-1]).write_bytes(data[index : index + PART_BYTES])
    return names


def pack_results(work: Path, out: Path, names: list[str]) -> None:
    """Move every candidate's log, metrics, history and figures into ``out/runs.tar.gz``."""
    with tarfile.open(out / "runs.tar.gz", "w:gz") as tar:
        for name in names:
            log = out / f"{name}.log"
            if log.is_file():
                tar.add(log, arcname=f"{name}/{name}.log")
                log.unlink()
            for file in ("candidate.json", "metrics.json", "history.csv", "learning_curves.png", "train_state.json"):
                if (work / name / file).is_file():
                    tar.add(work / name / file, arcname=f"{name}/{file}")


def run(args: argparse.Namespace) -> None:
    """Train every candidate at once, apply the rule, and pack the results under ``--out``."""
    started = time.time()
    out, work = Path(args.out), Path(args.work)
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    names = args.candidates.split(",") if args.candidates else list(candidates())
    reserved = (SETUP_SECONDS + SCORING_SECONDS + FINISH_SECONDS) / 60
    train_minutes = args.train_minutes or max(args.minutes - reserved, 0.5)
    print(RULE + f"\n\nCandidates: {', '.join(names)}; training budget {train_minutes:.2f} min each.", flush=True)
    for name in names:
        print(f"{name}: {json.dumps(candidates()[name].to_dict())}", flush=True)
    data = load_data(args, work)
    share = {"XLA_PYTHON_CLIENT_MEM_FRACTION": f"{0.9 / len(names):.2f}", "PYTHONUNBUFFERED": "1"}
    env = {**os.environ, **share}
    processes = {name: launch(name, args, work, out, train_minutes, env) for name in names}
    codes = wait_for(processes, started + args.minutes * 60 - FINISH_SECONDS)
    reports = {n: json.loads((work / n / "candidate.json").read_text()) for n in names if codes[n] == 0}
    summary = {"rule": RULE, "candidates": reports, "exit_codes": codes, "train_minutes": train_minutes}
    summary["smoke"] = args.smoke
    if reports:
        summary.update(decide(reports, data, work))
        shipped = summary["shipped"]
        if shipped:
            ship = work / shipped / "ship.keras"
            summary["shipped_file"] = {
                "sha256": hashlib.sha256(ship.read_bytes()).hexdigest(),
                "parts": split_file(ship, out),
            }
    from fer_helpers.provenance import provenance

    summary["provenance"] = provenance()
    summary["wall_seconds"] = round(time.time() - started, 1)
    pack_results(work, out, names)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(
        f"Winner on validation: {summary.get('winner')}; shipped: {summary.get('shipped')}; "
        f"{summary['wall_seconds']} s. Results in {out}",
        flush=True,
    )


# ----------------------------------------------------------------------------------------------------------- collect


def collect(args: argparse.Namespace) -> None:
    """Join the shipped model's parts into models/, write its provenance JSON, and print the allowed numbers."""
    results = Path(args.results)
    summary = json.loads((results / "summary.json").read_text())
    for name, report in summary["candidates"].items():
        plain = report["validation"]
        print(
            f"{name:>17}: validation {plain['none']['accuracy']:.4f} (flip {plain['flip']['accuracy']:.4f}, "
            f"ten-crop {plain['ten-crop']['accuracy']:.4f}), {report['epochs_run']} epochs, "
            f"{report['parameters'] / 1e6:.1f} M weights"
        )
    shipped, ens = summary.get("shipped"), summary["ensemble"]
    print(f"Winner: {summary['winner']}; shipped: {shipped} (TTA chosen on validation: {summary.get('shipped_tta')})")
    if shipped:
        test = summary["shipped_test"]
        print(
            f"Shipped model on test: {test['without_tta']['accuracy']:.4f} without TTA, "
            f"{test['with_chosen_tta']['accuracy']:.4f} with {summary['shipped_tta']}"
        )
    print(
        f"Ensemble of {len(ens['members'])}: validation {ens['validation'][ens['chosen_tta']]['accuracy']:.4f} "
        f"({ens['chosen_tta']}), test {ens['test']['accuracy']:.4f}"
    )
    if not shipped or summary.get("smoke"):
        print("Nothing to ship (no shippable candidate, or a smoke run).")
        return
    data = b"".join((results / part).read_bytes() for part in summary["shipped_file"]["parts"])
    if hashlib.sha256(data).hexdigest() != summary["shipped_file"]["sha256"]:
        raise SystemExit("The model's parts do not add up to the file that was trained: fetch them again.")
    with tarfile.open(results / "runs.tar.gz") as tar:
        metrics = json.load(tar.extractfile(f"{shipped}/metrics.json"))
    for mixed_precision_only in ("accuracy_ten_crop", "test_ten_crop", "validation_tta"):  # the float32 copy's below
        metrics.pop(mixed_precision_only, None)
    report = summary["candidates"][shipped]
    target = ROOT / "models" / f"fer_{report['model']}_gpu.keras"
    target.write_bytes(data)
    record = {
        **metrics,
        "name": target.stem,
        "command": f"bash benchmarks/gpu_candidates.sh (candidate {shipped}); see benchmarks/gpu_candidates.py",
        "validation_accuracy": report["validation"]["none"]["accuracy"],
        "test_accuracy": report["test"]["none"]["accuracy"],
        "test_accuracy_tta": report["test"]["flip"]["accuracy"],
        "accuracy": report["test"]["none"]["accuracy"],
        "accuracy_tta": report["test"]["flip"]["accuracy"],
        "loss": report["test"]["none"]["loss"],
        "test": report["test_full"]["none"],
        "test_tta": report["test_full"]["flip"],
        "training_minutes": round(report["training_seconds"] / 60, 1),
        "test_time_augmentation": {
            "chosen_on_validation": summary["shipped_tta"],
            "validation": report["validation"],
            "test_of_chosen": summary["shipped_test"]["with_chosen_tta"],
        },
        "rule": summary["rule"],
        "candidates_on_validation": {n: r["validation"]["none"] for n, r in summary["candidates"].items()},
        "winner": summary["winner"],
        "ensemble": summary["ensemble"],
        "notes": [
            f"The {len(summary['candidates'])} candidates trained side by side on one GPU, sharing it.",
            "The file is the trained weights in a float32 model (training used mixed precision); every test and "
            "validation number here is the float32 model's own. training.best_val_accuracy is the mixed-precision "
            "model's, as measured during training.",
        ],
    }
    target.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"Wrote {target} and {target.with_suffix('.json')}. The README's Results table needs its row:")
    print(readme_row(record, target))


def readme_row(record: dict, target: Path) -> str:
    """Return the README Results row for a shipped model (``tests/test_results_table.py`` checks it against JSON)."""
    cells = [
        f"`{record['model']}`: the gpu recipe's winner, shipped",
        f"`models/{target.name}`",
        f"`{record['profile']['name']}` profile, {record['training']['epochs_run']} epochs",
        f"{100 * record['validation_accuracy']:.1f} %",
        f"**{100 * record['test_accuracy']:.1f} %**",
        f"{100 * record['test_accuracy_tta']:.1f} %",
        f"{record['test']['macro_f1']:.2f}",
        f"{record['training_minutes']:.1f} min",
    ]
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("prepare", help="pack data and wheels into data/gpu_carry (here)")
    p.add_argument("--data", help="FER2013 folder (default: $FER2013_DIR)")
    p = commands.add_parser("run", help="train the candidates (on the GPU machine)")
    p.add_argument("--out", required=True, help="where the results go ($OUT on the GPU machine)")
    p.add_argument("--work", default="/tmp/gpu_candidates", help="scratch folder (models, data; not sent back)")
    p.add_argument("--carry", default=str(CARRY_DIR), help="the folder prepare filled")
    p.add_argument("--data", help="FER2013 folder (default: unpack the carried pack)")
    p.add_argument("--minutes", type=float, default=8.0, help="wall-clock minutes for the whole run (default 8)")
    p.add_argument("--train-minutes", type=float, help="training budget per candidate (default: minutes - 3)")
    p.add_argument("--candidates", help=f"comma-separated subset of {', '.join(candidates())}")
    p.add_argument("--epochs", type=int, help="a fixed epoch count instead of the budget (smoke runs)")
    p.add_argument("--smoke", action="store_true", help="3 %% of the data (use with --epochs 1 on a CPU)")
    p = commands.add_parser("train", help="train one candidate (run starts these)")
    p.add_argument("--candidate", required=True, choices=sorted(candidates()))
    p.add_argument("--out", required=True)
    p.add_argument("--data-pickle", required=True)
    p.add_argument("--minutes", type=float, required=True)
    p.add_argument("--epochs", type=int)
    p = commands.add_parser("collect", help="ship the model from the fetched results (here)")
    p.add_argument("results", help="the folder holding summary.json, runs.tar.gz and the model's parts")
    args = parser.parse_args(argv)
    {"prepare": prepare, "run": run, "train": train, "collect": collect}[args.command](args)


if __name__ == "__main__":
    main()
