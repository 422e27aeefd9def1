"""The console scripts: ``fer-train`` (:mod:`.train`), ``fer-evaluate`` (:mod:`.evaluate`), ``fer-predict``
(:mod:`.predict`), with what they share in :mod:`.common` (one error path, ``--debug``, argument types)."""

import fer_helpers.quiet  # noqa: F401  (first: keeps TensorFlow's start-up log out of the console)
