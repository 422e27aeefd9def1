"""fer_helpers: the code behind the FER Course notebooks and its console scripts, one subpackage per course stage.

Each notebook writes the code it teaches in its cells first; the package reuses the same code. Imports point one way,
down this list (``tests/test_layout.py`` checks it, and that there is no import cycle):

- core modules: ``errors`` (every expected error is a ``FERError``), ``atomic_files``, ``versions``, ``quiet``,
  ``provenance``, ``output_paths``, ``profiles`` (the smoke, cpu and gpu training recipes)
- ``data`` (notebook 01): classes, decoding, the folder and CSV layouts, the decoded cache, finding and downloading
  FER2013, the generated sample, quality checks
- ``augmentation`` (notebook 02): the augmentation layers and the ``tf.data`` pipeline
- ``models`` (notebooks 03 and 08): the networks, transfer learning, model files and the shipped models
- ``evaluation`` (notebooks 05, 06 and 10): metrics and test-time augmentation, ensembles, Grad-CAM, calibration,
  the recorded metrics of the shipped models
- ``plots``: the figures of every notebook
- ``training`` (notebook 04): the loss, the optimizer, the callbacks, the run folder (``run_folder``: its
  ``RunSpec``, state and ``resume_or_load``; ``run_marker``: what the run owns, and its lock), checkpoints, the
  one ``fit`` path (``train_model``), ``train_and_evaluate``, and the default model of the later notebooks
- ``inference`` (notebook 07): photos, face detection, prediction, drawing, TFLite, and the one classifier (a
  compiled Keras call or a TFLite model) that photos, videos and the webcam share
- ``video`` (notebook 09): video files, tracking, frame-by-frame analysis, the demo video, the webcam
- ``notebook_setup``: the first cell of every notebook (versions, profile, data)
- ``cli``: ``fer-train``, ``fer-evaluate`` and ``fer-predict`` (or ``python -m fer_helpers.cli COMMAND``)
"""

from importlib import metadata

try:  # the one version is pyproject.toml's, read from the installed metadata
    __version__ = metadata.version("fer-course")
except metadata.PackageNotFoundError:  # imported from a checkout that was never installed
    __version__ = "0+unknown"
