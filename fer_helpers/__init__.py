"""fer_helpers: the code behind the FER Course notebooks and its console scripts (one module per concern).

Which notebook uses which module (each notebook writes the code it teaches first; the package reuses it):

- 01 data exploration: ``classes``, ``dataset`` (with ``folder_layout``, ``csv_layout``, ``synthetic``,
  ``image_decoding`` and ``decoded_cache``), ``data_quality``, ``plots``
- 02 augmentation: ``augmentation``, ``pipeline``
- 03 model building: ``models``
- 04 training: ``profiles``, ``training``, ``experiment`` (train, evaluate and record in one call), ``colab_drive``;
  ``run_folder`` and ``checkpoints`` keep runs safe (finished runs kept, torn checkpoints recovered)
- 05 evaluation: ``course_model``, ``evaluation`` (test-time augmentation too), ``ensemble``, ``recorded_metrics``
- 06 Grad-CAM: ``gradcam``
- 07 your own photo: ``photos``, ``face_detection``, ``face_prediction``, ``drawing``, ``export``
- 08 transfer learning: ``transfer``
- 09 video and webcam: ``video`` (files in and out), ``tracking``, ``classifiers``, ``video_analysis``,
  ``demo_video``, ``webcam``
- 10 limits and responsible use: ``calibration`` (ECE, temperature scaling, "not sure" thresholds)

Every notebook starts with ``notebook_setup``, which checks the installed versions against ``versions`` (the floors
pyproject.toml declares). The console scripts live in ``cli`` (``fer-train``, ``fer-evaluate``) and ``predict_cli``
(``fer-predict``, photos and videos), with ``console`` for what they share (one error path, ``--debug``) and
``output_paths`` to check output paths first; both routes import ``quiet`` first, which keeps TensorFlow's native
start-up log off the screen. ``model_files`` loads saved models, ``provenance`` records what produced a model or a
metric, ``atomic_files`` writes files a crash cannot tear, ``locate`` finds the data.
"""

__version__ = "0.1.0"
