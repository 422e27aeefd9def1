"""Decode any image file to 8-bit pixels faithfully, or refuse it: one path for training, evaluation and prediction.

Pillow opens many kinds of image, and a plain ``image.convert("L")`` distorts some of them without a word: a
16-bit PNG is clipped to white, transparent pixels show whatever colour happens to sit under them. Here every
mode is either converted correctly (with a :class:`FERDataWarning` when the conversion changes what the file
holds) or refused with a :class:`FERDataError` that names the file and the fix.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from fer_helpers.errors import FERDataError, FERDataWarning

SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")
ALPHA_MODES = ("LA", "La", "PA", "RGBA", "RGBa")
COLOUR_MODES = ("RGB", "RGBX", "CMYK", "YCbCr", "LAB", "HSV")
"""Modes Pillow converts to RGB faithfully (CMYK JPEGs from Adobe software included: Pillow undoes their inversion)."""
SAVE_AS_8_BIT = "Save it as an 8-bit JPEG or PNG (any image editor can), or remove it."


def read_8bit_image(path: str | Path, fix: str) -> Image.Image:
    """Return the image in ``path`` upright (EXIF orientation) as an 8-bit ``"L"`` or ``"RGB"`` Pillow image.

    Raises :class:`FERDataError` naming the file, the reason and ``fix`` when it is empty, corrupt, truncated, not
    an image, or of a kind that cannot be turned into 8-bit pixels faithfully.
    """
    try:
        with Image.open(path) as image:
            frames = getattr(image, "n_frames", 1)
            if frames > 1:  # an animated GIF, WebP or PNG, a multi-page TIFF: the first frame is the picture read
                warnings.warn(
                    f"{path}: {frames} frames (animated or multi-page); only the first is read. For every frame, "
                    "save them as separate images, or as a video (fer-predict reads videos frame by frame).",
                    FERDataWarning,
                    stacklevel=2,
                )
            image.load()
            ImageOps.exif_transpose(image, in_place=True)  # in place: no copy of the (usual) upright image
            return to_8bit(image, str(path))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        if isinstance(err, FERDataError):
            raise
        path = Path(path)
        if path.is_file() and path.stat().st_size == 0:
            raise FERDataError(f"Cannot read image {path}: the file is empty (0 bytes). {fix}") from err
        raise FERDataError(
            f"Cannot read image {path} ({err.__class__.__name__}: {err}); it is corrupt or not an image "
            f"(a truncated download, say). {fix}"
        ) from err


def to_8bit(image: Image.Image, origin: str) -> Image.Image:
    """Return ``image`` as an 8-bit ``"L"`` or ``"RGB"`` image without distorting it; raise for modes it cannot map."""
    mode = image.mode
    if mode == "L":
        return image
    if mode == "1":
        return image.convert("L")
    if mode in SIXTEEN_BIT_MODES or (mode == "I" and image.format == "PNG"):
        # 16-bit gray (PNG stores no 32-bit pixels): scale 0-65535 to 0-255 instead of clipping at 255.
        warnings.warn(f"{origin}: 16-bit image scaled to 8 bits.", FERDataWarning, stacklevel=2)
        wide = np.asarray(image).astype(np.float64)
        return Image.fromarray(np.clip(np.rint(wide / 257.0), 0, 255).astype(np.uint8), "L")
    if mode in ("I", "F"):
        kind = "32-bit integer" if mode == "I" else "floating-point"
        raise FERDataError(f"{origin}: {kind} pixels have no agreed 8-bit meaning. {SAVE_AS_8_BIT}")
    if mode == "P":
        return _without_alpha(image.convert("RGBA"), origin) if "transparency" in image.info else image.convert("RGB")
    if mode in ALPHA_MODES:
        return _without_alpha(image, origin)
    if mode in COLOUR_MODES:
        return image.convert("RGB")
    raise FERDataError(f"{origin}: image mode {mode!r} is not supported. {SAVE_AS_8_BIT}")


def _without_alpha(image: Image.Image, origin: str) -> Image.Image:
    """Drop an opaque alpha channel; lay a partly transparent image on white, as a viewer shows it, with a warning."""
    colour = "L" if image.mode in ("LA", "La") else "RGB"
    image = image.convert("RGBA")
    if np.asarray(image.getchannel("A")).min() < 255:
        warnings.warn(f"{origin}: transparent pixels laid on white.", FERDataWarning, stacklevel=2)
        image = Image.alpha_composite(Image.new("RGBA", image.size, (255, 255, 255, 255)), image)
    return image.convert(colour)


def to_rgb_array(image: Image.Image) -> np.ndarray:
    """Return an 8-bit image (from :func:`to_8bit`) as an (H, W, 3) uint8 RGB array."""
    return np.asarray(image.convert("RGB"), dtype=np.uint8)
