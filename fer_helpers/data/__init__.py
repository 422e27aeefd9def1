"""The data (notebook 01): FER2013's classes, finding and reading it in either layout, the generated sample, checks.

``load_data_for_profile`` is what most notebooks call; ``load_fer2013`` reads one folder or CSV;
``download_fer2013`` fetches FER2013 with Kaggle credentials.
"""

from fer_helpers.data.classes import CLASS_NAMES, NUM_CLASSES
from fer_helpers.data.dataset import FERData, load_data_for_profile, load_fer2013
from fer_helpers.data.imageset import IMAGE_SIZE, ImageSet
from fer_helpers.data.locate import download_fer2013, project_root

__all__ = [
    "CLASS_NAMES",
    "IMAGE_SIZE",
    "NUM_CLASSES",
    "FERData",
    "ImageSet",
    "download_fer2013",
    "load_data_for_profile",
    "load_fer2013",
    "project_root",
]
