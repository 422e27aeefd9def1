"""A small generated stand-in for FER2013: cartoon 48x48 faces whose 7 expressions differ in brows, eyes and mouth.

Used when FER2013 is not on the machine (a fresh clone, CI), so that every notebook and
command still runs. It is *not* real faces: every use prints :data:`SYNTHETIC_NOTICE`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from fer_helpers.data.classes import CLASS_NAMES
from fer_helpers.data.folder_layout import GET_DATA_HINT
from fer_helpers.data.imageset import IMAGE_SIZE

SYNTHETIC_NOTICE = (
    "\n" + "!" * 78 + "\n"
    "!!  SYNTHETIC DATA: these are generated cartoon faces, NOT FER2013 and NOT real people.\n"
    "!!  Accuracy on them says nothing about real facial expressions.\n"
    f"!!  {GET_DATA_HINT}\n" + "!" * 78 + "\n"
)
MARKER_FILE = "SYNTHETIC_NOT_REAL_FACES.json"
GENERATOR_VERSION = 1
CANVAS = 96  # drawn at 2x, then downsampled to 48x48 for smooth edges


@dataclass(frozen=True)
class Expression:
    """Mean geometry of one expression, in canvas pixels (positive ``brow_tilt`` lowers the inner brow ends)."""

    brow_height: float
    brow_tilt: float
    eye_open: float
    mouth_curve: float
    mouth_open: float
    mouth_width: float
    sneer: float = 0.0


EXPRESSIONS: dict[str, Expression] = {
    "angry": Expression(brow_height=-15, brow_tilt=5, eye_open=0.6, mouth_curve=-2, mouth_open=0, mouth_width=12),
    "disgust": Expression(
        brow_height=-14, brow_tilt=3, eye_open=0.5, mouth_curve=-3, mouth_open=1, mouth_width=14, sneer=6
    ),
    "fear": Expression(brow_height=-21, brow_tilt=-4, eye_open=1.4, mouth_curve=-1, mouth_open=4, mouth_width=15),
    "happy": Expression(brow_height=-18, brow_tilt=0, eye_open=0.75, mouth_curve=8, mouth_open=2, mouth_width=18),
    "neutral": Expression(brow_height=-18, brow_tilt=0, eye_open=1.0, mouth_curve=0, mouth_open=0, mouth_width=14),
    "sad": Expression(brow_height=-17, brow_tilt=-5, eye_open=0.8, mouth_curve=-7, mouth_open=0, mouth_width=14),
    "surprise": Expression(brow_height=-25, brow_tilt=0, eye_open=1.6, mouth_curve=0, mouth_open=10, mouth_width=10),
}


def draw_face(expression: Expression, rng: np.random.Generator) -> np.ndarray:
    """Return one 48x48 uint8 face showing ``expression`` with random jitter, pose, lighting and noise."""
    background = int(rng.integers(20, 110))
    skin = int(rng.integers(130, 215))
    ink = int(rng.integers(15, 70))
    canvas = Image.new("L", (CANVAS, CANVAS), background)
    draw = ImageDraw.Draw(canvas)
    cx, cy = CANVAS / 2 + rng.normal(0, 1.5), CANVAS / 2 + 2 + rng.normal(0, 1.5)
    draw.ellipse([cx - 30, cy - 38, cx + 30, cy + 38], fill=skin)

    def jitter(value: float, spread: float) -> float:
        return float(value + rng.normal(0, spread))

    brow_y = cy + jitter(expression.brow_height, 1.5)
    tilt = jitter(expression.brow_tilt, 1.2)
    eye_open = max(0.25, jitter(expression.eye_open, 0.12))
    for side in (-1, 1):
        ex = cx + side * 13
        draw.line([ex - side * 7, brow_y + tilt, ex + side * 8, brow_y - tilt], fill=ink, width=3)
        rx, ry = 6, 5 * eye_open
        draw.ellipse([ex - rx, cy - 6 - ry, ex + rx, cy - 6 + ry], fill=235)
        draw.ellipse([ex - 2.5, cy - 6 - min(ry, 2.5), ex + 2.5, cy - 6 + min(ry, 2.5)], fill=ink)
    draw.line([cx, cy - 2, cx - 3, cy + 8, cx + 2, cy + 9], fill=max(0, skin - 50), width=2)

    curve = jitter(expression.mouth_curve, 1.5)
    half_width = jitter(expression.mouth_width, 1.5)
    opening = max(0.0, jitter(expression.mouth_open, 1.0))
    sneer = jitter(expression.sneer, 1.0) if expression.sneer else 0.0
    mouth_y = cy + 20
    xs = np.linspace(-1, 1, 15)
    upper = [(cx + x * half_width, mouth_y - curve * x**2 - sneer * max(x, 0) ** 2) for x in xs]
    lower = [(cx + x * half_width, mouth_y - curve * x**2 + opening * (1 - x**2)) for x in xs]
    if opening > 1.5:
        draw.polygon(upper + lower[::-1], fill=ink)
    else:
        draw.line(upper, fill=ink, width=3)
    if expression.sneer:
        for dx in (-4, 4):  # wrinkles beside the nose
            draw.line([cx + dx, cy + 1, cx + 1.8 * dx, cy + 6], fill=max(0, skin - 60), width=1)

    canvas = canvas.rotate(float(rng.uniform(-15, 15)), resample=Image.Resampling.BILINEAR, fillcolor=background)
    scale = float(rng.uniform(0.85, 1.1))
    shift = rng.uniform(-4, 4, size=2) * 2
    size = CANVAS / scale
    left, top = (CANVAS - size) / 2 - shift[0], (CANVAS - size) / 2 - shift[1]
    face = canvas.transform(
        (IMAGE_SIZE, IMAGE_SIZE),
        Image.Transform.EXTENT,
        (left, top, left + size, top + size),
        resample=Image.Resampling.BILINEAR,
        fillcolor=background,
    )
    pixels = np.asarray(face, dtype=np.float32)
    gradient = np.linspace(-1, 1, IMAGE_SIZE)[None, :] * rng.uniform(-35, 35)  # side lighting
    pixels = pixels * rng.uniform(0.75, 1.15) + gradient + rng.normal(0, 8, pixels.shape)
    return np.clip(pixels, 0, 255).astype(np.uint8)


def generate_synthetic_fer(
    root: str | Path,
    train_per_class: int = 150,
    test_per_class: int = 30,
    seed: int = 0,
) -> Path:
    """Write the generated sample in the Kaggle layout (``root/{train,test}/<class>/*.png``) and return ``root``.

    Deterministic for a given seed; an existing complete sample with the same settings is reused.
    """
    root = Path(root)
    settings = {
        "generator_version": GENERATOR_VERSION,
        "train_per_class": train_per_class,
        "test_per_class": test_per_class,
        "seed": seed,
        "note": "Generated cartoon faces, not FER2013 and not real people.",
    }
    marker = root / MARKER_FILE
    if marker.is_file() and json.loads(marker.read_text()) == settings:
        return root
    for split_index, (split, per_class) in enumerate((("train", train_per_class), ("test", test_per_class))):
        for label, name in enumerate(CLASS_NAMES):
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob("synthetic_*.png"):
                old.unlink()
            rng = np.random.default_rng([seed, split_index, label])
            for i in range(per_class):
                Image.fromarray(draw_face(EXPRESSIONS[name], rng)).save(folder / f"synthetic_{i:05d}.png")
    marker.write_text(json.dumps(settings, indent=2))
    return root


def is_synthetic(root: str | Path) -> bool:
    """Return True if ``root`` holds the generated sample (it carries a marker file)."""
    return (Path(root) / MARKER_FILE).is_file()
