"""Your own photo (notebook 07): find faces, crop them, classify them, draw the result; TFLite export."""

from fer_helpers.inference.face_detection import Box, crop_face, detect_faces
from fer_helpers.inference.face_prediction import FacePrediction, predict_faces
from fer_helpers.inference.photos import load_photo

__all__ = ["Box", "FacePrediction", "crop_face", "detect_faces", "load_photo", "predict_faces"]
