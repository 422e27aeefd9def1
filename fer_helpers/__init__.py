"""fer_helpers: the code behind the FER Course notebooks (data, augmentation, models, training, evaluation)."""

__version__ = "0.1.0"
