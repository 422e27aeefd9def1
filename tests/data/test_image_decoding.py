"""Image formats: decoded to 8-bit gray faithfully or refused, the same way in training, evaluation and prediction.

Each case is one file of one kind. The training and evaluation path (``read_face``, which both ``load_split``
callers use) and the prediction path (``load_photo``) must agree with the face the file shows, or both refuse it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from fer_helpers.data.folder_layout import read_face
from fer_helpers.errors import FERDataError, FERDataWarning
from fer_helpers.inference.photos import load_photo

FACE = (np.add.outer(np.arange(48), np.arange(48)) * 2 + 20).astype(np.uint8)  # a gradient, 20..208
"""What every readable file below shows."""
TRANSPARENT = np.where(np.arange(48)[None, :] < 24, 255, FACE).astype(np.uint8)
"""FACE with its left half transparent, laid on white."""


def write_case(folder: Path, case: str) -> Path:
    """Write the file of ``case`` into ``folder`` and return its path."""
    gray = Image.fromarray(FACE, "L")
    sixteen = FACE.astype(np.uint16) * 257
    alpha = np.where(np.arange(48)[None, :] < 24, 0, 255).astype(np.uint8) * np.ones((48, 1), np.uint8)
    path = folder / case
    if case == "gray.png":
        gray.save(path)
    elif case in ("gray.jpg", "UPPER.JPG"):
        gray.save(path, quality=95)
    elif case == "progressive.jpg":
        gray.save(path, quality=95, progressive=True)
    elif case in ("gray16.png", "gray16.tif"):
        Image.fromarray(sixteen).save(path)
    elif case == "rgb16.png":
        cv2.imwrite(str(path), np.stack([sixteen] * 3, axis=-1))
    elif case == "rgb.jpg":
        gray.convert("RGB").save(path, quality=95)
    elif case == "palette.png":
        gray.convert("P").save(path)
    elif case == "palette_transparent.png":
        palette = gray.convert("P")
        pixels = np.asarray(palette).copy()
        pixels[:, :24] = 255  # palette entry 255 is the transparent one
        image = Image.fromarray(pixels, "P")
        image.putpalette(palette.getpalette())
        image.save(path, transparency=255)
        return path
    elif case == "la_opaque.png":
        Image.merge("LA", (gray, Image.new("L", (48, 48), 255))).save(path)
    elif case == "la_transparent.png":
        Image.merge(
            "LA", (Image.fromarray(np.where(alpha == 0, 0, FACE).astype(np.uint8)), Image.fromarray(alpha))
        ).save(path)
    elif case == "rgba_opaque.png":
        gray.convert("RGBA").save(path)
    elif case == "rgba_transparent.png":
        rgb = np.stack([np.where(alpha == 0, 0, FACE)] * 3, axis=-1).astype(np.uint8)  # black under the clear part
        Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(path)
    elif case == "cmyk.jpg":
        gray.convert("CMYK").save(path, quality=95)
    elif case == "bilevel.png":
        Image.fromarray(FACE > 120).save(path)
    elif case in ("face.bmp", "face.gif", "face.tiff"):
        gray.save(path)
    elif case == "lossless.webp":
        gray.save(path, lossless=True)
    elif case == "exif_rotated.jpg":
        exif = Image.Exif()
        exif[0x0112] = 8  # "rotate 90 degrees clockwise to view": the pixels are stored turned left
        gray.rotate(-90).save(path, quality=95, exif=exif)
    elif case == "png_named.jpg":
        gray.save(path, format="PNG")
    elif case == "float.tif":
        Image.fromarray(FACE.astype(np.float32)).save(path)
    elif case == "int32.tif":
        Image.fromarray(FACE.astype(np.int32) * 1000).save(path)
    elif case == "empty.jpg":
        path.write_bytes(b"")
    elif case == "truncated.jpg":
        gray.save(path, quality=95)
        path.write_bytes(path.read_bytes()[:300])
    elif case == "text.jpg":
        path.write_text("<html><body>403 Forbidden</body></html>")  # a failed download saved as .jpg
    elif case == "photo.heic":
        path.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")
    else:
        raise ValueError(case)
    return path


# case -> (face the file shows, or None if it must be refused; tolerance in gray levels; warns)
CASES = {
    "gray.png": (FACE, 0, False),
    "gray.jpg": (FACE, 4, False),
    "UPPER.JPG": (FACE, 4, False),
    "progressive.jpg": (FACE, 4, False),
    "gray16.png": (FACE, 0, True),  # was clipped to white
    "gray16.tif": (FACE, 0, True),  # was clipped to white
    "rgb16.png": (FACE, 1, True),
    "rgb.jpg": (FACE, 4, True),
    "palette.png": (FACE, 0, True),
    "palette_transparent.png": (TRANSPARENT, 0, True),
    "la_opaque.png": (FACE, 0, False),
    "la_transparent.png": (TRANSPARENT, 0, True),  # was black under the clear part
    "rgba_opaque.png": (FACE, 0, True),
    "rgba_transparent.png": (TRANSPARENT, 0, True),  # was black under the clear part
    "cmyk.jpg": (FACE, 6, True),
    "bilevel.png": (np.where(FACE > 120, 255, 0), 0, False),
    "face.bmp": (FACE, 0, False),
    "face.gif": (FACE, 0, True),
    "face.tiff": (FACE, 0, False),
    "lossless.webp": (FACE, 0, False),
    "exif_rotated.jpg": (FACE, 4, False),  # training ignored the orientation, prediction did not
    "png_named.jpg": (FACE, 0, False),
    "float.tif": (None, 0, False),
    "int32.tif": (None, 0, False),
    "empty.jpg": (None, 0, False),
    "truncated.jpg": (None, 0, False),
    "text.jpg": (None, 0, False),
    "photo.heic": (None, 0, False),
}


@pytest.fixture(scope="module")
def case_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("formats")
    for case in CASES:
        write_case(folder, case)
    return folder


@pytest.mark.parametrize("case", list(CASES))
def test_training_evaluation_and_prediction_decode_alike_or_refuse(case_folder: Path, case: str):
    expected, tolerance, _ = CASES[case]
    path = case_folder / case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FERDataWarning)
        if expected is None:
            with pytest.raises(FERDataError, match=case.replace(".", r"\.")):
                read_face(path)
            with pytest.raises(FERDataError, match=case.replace(".", r"\.")):
                load_photo(path)
            return
        face = read_face(path)
        photo = load_photo(path)
    assert face.shape == (48, 48) and face.dtype == np.uint8
    assert np.abs(face.astype(int) - expected).max() <= tolerance, f"{case}: training/evaluation decoded it wrongly"
    assert photo.shape == (48, 48, 3) and photo.dtype == np.uint8
    as_gray = np.asarray(Image.fromarray(photo).convert("L")).astype(int)
    assert np.abs(as_gray - expected).max() <= tolerance + 1, f"{case}: prediction decoded it wrongly"


@pytest.mark.parametrize("case", [c for c, (expected, _, warns) in CASES.items() if expected is not None and warns])
def test_a_conversion_that_changes_the_file_is_announced(case_folder: Path, case: str):
    with pytest.warns(FERDataWarning, match=case.replace(".", r"\.")):
        read_face(case_folder / case)


def test_an_empty_file_is_called_empty(case_folder: Path):
    with pytest.raises(FERDataError, match=r"empty \(0 bytes\)"):
        read_face(case_folder / "empty.jpg")


def test_refusals_say_what_to_do(case_folder: Path):
    with pytest.raises(FERDataError, match="Save it as an 8-bit JPEG or PNG"):
        read_face(case_folder / "float.tif")
    with pytest.raises(FERDataError, match="--skip-bad-files"):  # the option the hint names exists
        read_face(case_folder / "truncated.jpg")
