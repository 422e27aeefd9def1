"""The course's one exception hierarchy: every expected error is a :class:`FERError` naming the path and the fix.

The console scripts (``fer_helpers.cli.common``) print a :class:`FERError` (or an ``OSError``) as one line and exit
with code 2; anything else is a bug and keeps its traceback. Each error also derives from ``ValueError``, what a
Python caller would catch for a bad value.
"""

from __future__ import annotations


class FERError(Exception):
    """An expected error: the input, an output path, a run folder or a model file cannot be used as asked."""


class FERDataError(FERError, ValueError):
    """Input data that cannot be used; the message names the path (or CSV line) and the fix."""


class SettingsError(FERError, ValueError):
    """A setting that cannot be used (an option, a profile, a value in a model's JSON); the message names it."""


class ModelFileError(FERError, ValueError):
    """A model file that is missing or cannot be loaded as a Keras model."""


class RunFolderError(FERError, ValueError):
    """A run folder that cannot be used as asked; the message names the folder and the fix."""


class RunLockedError(RunFolderError):
    """A run folder that another running command holds; the message names that process."""


class FERDataWarning(UserWarning):
    """Input data that was usable after a conversion (RGB to gray, resized, skipped file)."""
