"""Load FER2013 (folders, CSV or the generated sample), carve a seeded validation split, and build tf.data pipelines."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from fer_helpers.data.classes import CLASS_NAMES, NUM_CLASSES
from fer_helpers.data.csv_layout import load_csv_layout
from fer_helpers.data.folder_layout import PRIVATE_TEST, load_folder_layout, load_split, split_files
from fer_helpers.data.imageset import ImageSet
from fer_helpers.data.locate import data_home, find_fer2013
from fer_helpers.data.synthetic import SYNTHETIC_NOTICE, generate_synthetic_fer, is_synthetic
from fer_helpers.errors import FERDataError, FERDataWarning
from fer_helpers.profiles import Profile

SYNTHETIC = "synthetic"
VAL_FRACTION = 0.1
"""Share of train/ held out for validation (stratified, seeded); 0 for a final refit on all of it."""


@dataclass
class FERData:
    """Train, validation and test splits plus a description of where they came from."""

    train: ImageSet
    val: ImageSet
    test: ImageSet
    source: str
    """``"fer2013-folders"``, ``"fer2013-csv"`` or ``"synthetic"``."""
    location: str
    private_test: ImageSet | None = None
    """FER2013's PrivateTest faces, when the data holds them (Kaggle's download and the CSV do), else None.
    The final exam: evaluate on it once at the very end, and never choose anything on it."""

    @property
    def is_synthetic(self) -> bool:
        """Return True when the data is the generated sample, not real faces."""
        return self.source == SYNTHETIC

    def describe(self) -> str:
        """Return a one-line summary: source, location, split sizes, and whether the private test split is there."""
        return (
            f"{self.source} from {self.location}: {len(self.train)} train, "
            f"{len(self.val)} validation, {len(self.test)} test faces; {describe_private_test(self.private_test)}"
        )


def describe_private_test(private_test: ImageSet | None) -> str:
    """Return what the course says about the private test split: its size and its one use, or that it is absent."""
    if private_test is None:
        return "no private test split (test/ holds no PrivateTest_* files), the course goes on without it"
    return (
        f"private test split: {len(private_test)} faces, held back as the final exam "
        "(evaluate once at the very end, never choose anything on it)"
    )


def resolve_source(source: str | os.PathLike | None = None) -> tuple[str, Path]:
    """Return ``(kind, path)`` for ``source``: a folder, a ``.csv``, ``"synthetic"``, or None for automatic.

    Automatic means ``$FER2013_DIR``, else ``data/fer2013`` (folders or ``fer2013.csv`` inside), else the
    generated sample in ``data/synthetic``.
    """
    if source is not None and str(source) == SYNTHETIC:
        return SYNTHETIC, data_home() / SYNTHETIC
    path = find_fer2013(source)
    if path is None:
        return SYNTHETIC, data_home() / SYNTHETIC
    if path.suffix.lower() == ".csv":
        return "fer2013-csv", path
    if path.is_dir() and not (path / "train").exists() and (path / "fer2013.csv").is_file():
        return "fer2013-csv", path / "fer2013.csv"
    if path.is_dir() and is_synthetic(path):
        return SYNTHETIC, path
    return "fer2013-folders", path


def check_can_stratify(labels: np.ndarray, fraction: float | None, where: str, what: str) -> None:
    """Raise :class:`FERDataError` naming the class, the folder and the count needed when ``labels`` cannot be split
    by class with ``fraction`` of them on one side (scikit-learn's ``stratify`` would fail, naming neither).
    ``fraction`` None: the sizes are known to fit, only the classes are checked."""
    counts = np.bincount(np.asarray(labels, dtype=int), minlength=NUM_CLASSES)
    present = int((counts > 0).sum())
    single = [CLASS_NAMES[i] for i in range(NUM_CLASSES) if counts[i] == 1]
    if single:
        raise FERDataError(
            f"{where}: class {single[0]} has only 1 face; to {what}, every class needs at least 2 (one on each "
            f"side). Add {single[0]} faces to {where}, or remove that class's only face."
        )

    def parts(n: int) -> tuple[int, int]:
        second = int(np.ceil(fraction * n))
        return n - second, second

    if fraction is not None and min(parts(len(labels))) < present:
        need = next(n for n in range(len(labels), 10**7) if min(parts(n)) >= present)
        raise FERDataError(
            f"{where}: {len(labels)} faces are too few to {what}: each part needs at least one face of each of the "
            f"{present} classes, so at least {need} faces are needed here. Add faces, or use a larger subset."
        )


def split_train_val(
    train: ImageSet, val_fraction: float = VAL_FRACTION, seed: int = 42, where: str = "the training faces"
) -> tuple[ImageSet, ImageSet]:
    """Return ``(train, val)``: a stratified, seeded split of the training faces (test is never touched).

    ``val_fraction`` 0 returns all faces for training and an empty validation set (a final refit). ``where`` names
    the faces (their folder) in errors.
    """
    if not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must lie in [0, 1), got {val_fraction}")
    if val_fraction == 0:
        return train, train.subset(np.array([], dtype=int))
    indices = np.arange(len(train))
    check_can_stratify(train.labels, val_fraction, where, "carve a validation split from it")
    train_idx, val_idx = train_test_split(indices, test_size=val_fraction, stratify=train.labels, random_state=seed)
    return train.subset(np.sort(train_idx)), train.subset(np.sort(val_idx))


def stratified_fraction(images: ImageSet, fraction: float, seed: int = 42, where: str = "the faces") -> ImageSet:
    """Return a stratified random ``fraction`` of ``images`` (for quick smoke runs); 1.0 returns them all.

    When what is left out would be too small to hold every class, all faces are kept.
    """
    classes = len(np.unique(images.labels))
    size = max(int(round(fraction * len(images))), classes)  # at least one face per class
    if fraction >= 1.0 or size >= len(images) - classes:
        return images
    check_can_stratify(images.labels, None, where, f"take a stratified {fraction:g} of it")
    keep, _ = train_test_split(np.arange(len(images)), train_size=size, stratify=images.labels, random_state=seed)
    return images.subset(np.sort(keep))


def load_fer2013(
    source: str | os.PathLike | None = None,
    val_fraction: float = VAL_FRACTION,
    seed: int = 42,
    subset: float = 1.0,
    skip_bad_files: bool = False,
    progress: bool = True,
    verbose: bool = True,
    allow_missing_classes: bool = False,
) -> FERData:
    """Return FER2013 (or the generated sample, announced loudly) as train/val/test ImageSets.

    ``subset`` < 1 keeps a stratified fraction of every split, for smoke runs; ``val_fraction`` 0 keeps no
    validation split (see :func:`split_train_val`). A class with no training faces is refused (a model trained on
    them would never predict it) unless ``allow_missing_classes``; one with no test faces is stated, and left out
    of the macro averages.
    """
    kind, path = resolve_source(source)
    if kind == SYNTHETIC and verbose:
        print(SYNTHETIC_NOTICE, flush=True)
    splits = load_splits(kind, path, skip_bad_files=skip_bad_files, progress=progress)
    if "train" not in splits or "test" not in splits:
        raise FERDataError(f"{path} needs both Training and PublicTest rows; found only {sorted(splits)}.")
    where = {split: str(path / split) if kind != "fer2013-csv" else f"{path} ({split} rows)" for split in splits}
    check_classes(splits, where, allow_missing_classes)
    train, val = split_train_val(splits["train"], val_fraction, seed, where=where["train"])
    private_test = splits.get(PRIVATE_TEST)
    data = FERData(
        train=stratified_fraction(train, subset, seed, where=where["train"]),
        val=stratified_fraction(val, subset, seed, where=where["train"]) if len(val) else val,
        test=stratified_fraction(splits["test"], subset, seed, where=where["test"]),
        source=kind,
        location=str(path),
        private_test=stratified_fraction(private_test, subset, seed) if private_test is not None else None,
    )
    if verbose:
        print(f"Data: {data.describe()}", flush=True)
    return data


def check_classes(splits: dict[str, ImageSet], where: dict[str, str], allow_missing: bool = False) -> None:
    """Refuse training data that lacks a class (unless ``allow_missing``); warn about test data that lacks one."""
    import warnings

    for split in ("train", "test"):
        present = set(np.asarray(splits[split].labels).tolist())
        missing = [name for i, name in enumerate(CLASS_NAMES) if i not in present]
        if not missing:
            continue
        if split == "train" and not allow_missing:
            raise FERDataError(
                f"{where['train']} has no faces of {', '.join(missing)} (a folder per class is expected): a model "
                "trained on it would never predict them. Add those faces, or pass --allow-missing-classes "
                "(allow_missing_classes=True) to train anyway."
            )
        warnings.warn(
            f"{where[split]} has no faces of {', '.join(missing)}"
            + (": left out of the test averages (macro F1)." if split == "test" else ": the model never sees them."),
            FERDataWarning,
            stacklevel=3,
        )


def load_splits(kind: str, path: Path, skip_bad_files: bool = False, progress: bool = True) -> dict[str, ImageSet]:
    """Return every split that ``path`` holds, by :func:`resolve_source`'s ``kind`` (the sample is generated once)."""
    if kind == SYNTHETIC:
        if not is_synthetic(path):  # generate the default sample once; reuse any existing one
            generate_synthetic_fer(path)
        return load_folder_layout(path, skip_bad_files, progress=False)
    if kind == "fer2013-csv":
        return load_csv_layout(path)
    return load_folder_layout(path, skip_bad_files, progress=progress)


def load_evaluation_split(
    source: str | os.PathLike, split: str = "test", skip_bad_files: bool = False
) -> tuple[ImageSet, int]:
    """Return ``(faces of split, size of the private test split)`` from a folder layout, ``fer2013.csv`` or the sample.

    The size is 0 when the data holds no private test split.

    ``split`` is ``"test"`` or ``"private_test"``; a missing split raises :class:`FERDataError` naming the fix.
    Only the test folder is read from a folder layout (train/ is not needed to evaluate).
    """
    if split not in ("test", PRIVATE_TEST):
        raise ValueError(f"split must be 'test' or '{PRIVATE_TEST}', not {split!r}")
    kind, path = resolve_source(source)
    if kind == "fer2013-folders":
        if not (path / "test").is_dir():
            raise FERDataError(
                f"{path} has no test/ folder; expected {path}/test/<class>/*.jpg (Kaggle layout) or a fer2013.csv."
            )
        return load_split(path, split, skip_bad_files), len(split_files(path, PRIVATE_TEST))
    splits = load_splits(kind, path, skip_bad_files=skip_bad_files, progress=False)
    if split not in splits:
        raise FERDataError(
            f"{path} holds no {'PrivateTest' if split == PRIVATE_TEST else 'PublicTest'} rows, so it has no "
            f"{split} split; evaluate --split test instead."
        )
    return splits[split], len(splits.get(PRIVATE_TEST, []))


def load_data_for_profile(
    profile: Profile,
    source: str | os.PathLike | None = None,
    seed: int = 42,
    val_fraction: float = VAL_FRACTION,
    skip_bad_files: bool = False,
    allow_missing_classes: bool = False,
) -> FERData:
    """Return the data a profile trains on: FER2013 cut to ``profile.subset``, or the whole (small) generated sample."""
    kind, _ = resolve_source(source)
    subset = 1.0 if kind == SYNTHETIC else profile.subset
    return load_fer2013(
        source,
        val_fraction=val_fraction,
        seed=seed,
        subset=subset,
        skip_bad_files=skip_bad_files,
        allow_missing_classes=allow_missing_classes,
    )
