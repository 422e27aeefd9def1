"""Face detection, cropping, prediction and drawing on photos (drawn test photos: no real people needed)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fer_helpers.data.classes import CLASS_NAMES
from fer_helpers.errors import FERDataError
from fer_helpers.inference import face_detection
from fer_helpers.inference.drawing import annotate
from fer_helpers.inference.face_detection import (
    Box,
    box_iou,
    crop_face,
    detect_faces,
    detection_scale,
    haar_available,
    whole_image_box,
    yunet_model_path,
)
from fer_helpers.inference.face_prediction import (
    describe_prediction,
    gradcam_overlays,
    no_face_message,
    predict_faces,
)
from fer_helpers.inference.photos import demo_photo, load_photo


def assert_matches(found: list[Box], truth: list[Box]) -> None:
    """Assert one detection per drawn face, each overlapping its face well."""
    assert len(found) == len(truth), (found, truth)
    for box, true_box in zip(found, truth, strict=True):  # both sorted left to right
        assert box_iou(box, true_box) > 0.3, (box, true_box)


@pytest.fixture(scope="module")
def model():
    from fer_helpers.models.builders import build_baseline

    return build_baseline()


DETECTORS = [
    "yunet",
    pytest.param("haar", marks=pytest.mark.skipif(not haar_available(), reason="this OpenCV has no Haar cascade")),
]
YUNET_SHA256 = "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4"


def test_yunet_ships_inside_the_package_with_its_notice():
    path = yunet_model_path()
    assert path.parent.name == "assets" and path.parent.parent.name == "fer_helpers"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == YUNET_SHA256, "not OpenCV Zoo's 2023mar YuNet file"
    notice = (path.parent / "README.md").read_text()
    assert "MIT License" in notice and YUNET_SHA256 in notice and "opencv_zoo" in notice


@pytest.mark.parametrize("detector", DETECTORS)
def test_the_detectors_find_the_drawn_faces(detector: str):
    photo, truth = demo_photo()
    assert photo.shape == (360, 2 * 192 + 3 * 64, 3) and photo.dtype == np.uint8
    assert_matches(detect_faces(photo, detector=detector), truth)


@pytest.mark.parametrize("detector", DETECTORS)
def test_the_detectors_find_three_faces(detector: str):
    photo, truth = demo_photo(("happy", "sad", "surprise"))
    assert_matches(detect_faces(photo, detector=detector), truth)


def test_yunet_finds_gray_faces_and_respects_its_threshold():
    photo, truth = demo_photo(("happy", "sad", "surprise"))
    gray = face_detection.to_gray(photo)
    assert_matches(detect_faces(gray), truth)
    assert detect_faces(photo, score_threshold=0.99) == []  # drawn faces never score that high


def test_an_unknown_or_missing_detector_is_named():
    photo = np.full((100, 100, 3), 128, np.uint8)
    with pytest.raises(ValueError, match="detector must be one of"):
        detect_faces(photo, detector="dlib")


def test_haar_says_when_this_opencv_has_none(monkeypatch):
    face_detection.face_detector.cache_clear()
    monkeypatch.setattr(face_detection, "haar_available", lambda: False)
    with pytest.raises(FERDataError, match="no Haar cascade"):
        detect_faces(np.full((100, 100, 3), 128, np.uint8), detector="haar")
    face_detection.face_detector.cache_clear()


@pytest.mark.parametrize("detector", DETECTORS)
def test_no_face_in_a_plain_image(model, detector: str):
    blank = np.full((300, 400, 3), 128, np.uint8)
    assert detect_faces(blank, detector=detector) == []
    assert predict_faces(model, blank) == []
    assert "no face" in no_face_message("blank.png") and "blank.png" in no_face_message("blank.png")


@pytest.mark.parametrize("detector", DETECTORS)
def test_large_photo_is_shrunk_for_detection_and_boxes_mapped_back(monkeypatch, detector: str):
    photo, truth = demo_photo(face_size=900, height=2400)
    seen_shapes = []
    if detector == "haar":
        real_haar = face_detection.face_detector()

        class HaarSpy:
            def detectMultiScale(self, gray, **kwargs):  # noqa: N802 (OpenCV's name)
                seen_shapes.append(gray.shape)
                return real_haar.detectMultiScale(gray, **kwargs)

        monkeypatch.setattr(face_detection, "face_detector", lambda: HaarSpy())
    else:
        real_yunet = face_detection.yunet_boxes

        def yunet_spy(image, min_size, score_threshold):
            seen_shapes.append(image.shape[:2])
            return real_yunet(image, min_size, score_threshold)

        monkeypatch.setattr(face_detection, "yunet_boxes", yunet_spy)
    found = detect_faces(photo, max_side=1024, detector=detector)
    assert max(seen_shapes[0]) == 1024
    assert_matches(found, truth)  # boxes are in the big photo's pixels, not the shrunk copy's
    assert all(max(b.w, b.h) > 450 for b in found)  # the shrunk copy holds faces of under 400 pixels


def test_detection_scale():
    assert detection_scale((480, 640)) == 1.0
    assert detection_scale((3000, 4096), max_side=1024) == pytest.approx(0.25)


def test_crop_is_48x48_gray_and_centred_on_the_box():
    photo = np.zeros((200, 300, 3), np.uint8)
    photo[50:150, 100:200] = 255
    crop = crop_face(photo, Box(100, 50, 100, 100), margin=0.0)
    assert crop.shape == (48, 48) and crop.dtype == np.uint8
    assert crop.min() > 200  # only the white square
    with_margin = crop_face(photo, Box(100, 50, 100, 100), margin=0.25)
    assert with_margin[24, 24] > 200 and with_margin[0, 0] < 50  # black border around the square


def test_crop_near_the_edge_pads_instead_of_failing():
    photo = np.full((100, 100), 90, np.uint8)
    assert crop_face(photo, Box(0, 0, 40, 40), margin=0.5).shape == (48, 48)
    assert crop_face(photo, Box(80, 70, 30, 30)).shape == (48, 48)


def test_whole_image_box_is_the_centred_square():
    assert whole_image_box(np.zeros((100, 160, 3), np.uint8)) == Box(30, 0, 100, 100)


def test_load_photo_reads_rgb_and_applies_exif_orientation(tmp_path: Path):
    path = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees": how phones store portrait photos
    Image.new("RGB", (120, 80), (200, 10, 10)).save(path, exif=exif)
    photo = load_photo(path)
    assert photo.shape == (120, 80, 3) and photo.dtype == np.uint8


def test_unreadable_file_names_the_file(tmp_path: Path):
    bad = tmp_path / "holiday.jpg"
    bad.write_text("this is not a JPEG")
    with pytest.raises(FERDataError, match="holiday.jpg"):
        load_photo(bad)
    with pytest.raises(FERDataError, match="missing.png"):
        load_photo(tmp_path / "missing.png")
    with pytest.raises(FERDataError):
        load_photo(tmp_path)  # a folder


def test_predict_annotate_and_gradcam_per_face(model):
    photo, truth = demo_photo()
    predictions = predict_faces(model, photo)
    assert len(predictions) == len(truth)
    for p in predictions:
        assert p.face.shape == (48, 48)
        assert p.probabilities.shape == (7,) and p.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
        assert p.label in CLASS_NAMES and p.confidence == pytest.approx(p.top(1)[0][1])
    line = describe_prediction(predictions[0], "demo.png", 1)
    x, y, w, h = predictions[0].box
    assert line.startswith("demo.png  face 1  box=") and f"{x},{y},{w},{h}" in line and predictions[0].label in line

    drawn = annotate(photo, predictions)
    assert drawn.shape == photo.shape and not np.array_equal(drawn, photo)
    assert np.array_equal(photo, demo_photo()[0])  # the input photo is left alone
    overlays = gradcam_overlays(model, predictions)
    assert [o.shape for o in overlays] == [(48, 48, 3)] * len(predictions)


def test_given_boxes_skip_detection(model):
    photo = np.full((100, 100, 3), 128, np.uint8)  # no face Haar would find
    predictions = predict_faces(model, photo, boxes=[whole_image_box(photo)])
    assert len(predictions) == 1 and predictions[0].box == Box(0, 0, 100, 100)


def test_photos_take_the_videos_compiled_call_or_any_classifier(model, tmp_path):
    from fer_helpers.evaluation.metrics import predict_probabilities
    from fer_helpers.inference.classifiers import load_classifier
    from fer_helpers.inference.export import save_tflite

    photo, _ = demo_photo(("happy", "sad", "surprise"))
    by_model = predict_faces(model, photo)
    from fer_helpers.inference import classifiers

    compiled = classifiers._compiled[model]
    predict_faces(model, photo)
    assert classifiers._compiled[model] is compiled  # compiled once per model, not once per photo
    faces = np.stack([p.face for p in by_model])
    for tta in ("none", "flip", "ten-crop"):  # the photo path agrees with evaluation's model.predict path
        got = np.stack([p.probabilities for p in predict_faces(model, photo, tta=tta)])
        np.testing.assert_allclose(got, predict_probabilities(model, faces, tta=tta), atol=1e-5)
    tflite = load_classifier(save_tflite(model, tmp_path / "model.tflite"))
    by_tflite = predict_faces(tflite, photo)
    assert [p.box for p in by_tflite] == [p.box for p in by_model]
    np.testing.assert_allclose([p.probabilities for p in by_tflite], [p.probabilities for p in by_model], atol=1e-4)


def test_the_compiled_call_does_not_keep_a_model_alive():
    import gc
    import weakref

    from fer_helpers.inference.classifiers import keras_classifier
    from fer_helpers.models.builders import build_baseline

    model = build_baseline()
    classify = keras_classifier(model)
    assert classify(np.zeros((2, 48, 48), np.uint8)).shape == (2, 7)
    alive = weakref.ref(model)
    del model, classify
    gc.collect()
    assert alive() is None
