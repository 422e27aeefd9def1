"""A stand-in for Colab's ``google.colab`` package, for `make test-colab` (not Colab's code).

The notebooks take their Colab path when ``"google.colab" in sys.modules``: the first cell installs the course with
pip, uploads are offered, the browser camera is asked for. Here nobody answers: an upload is cancelled, the camera
is refused, Drive cannot be mounted. ``google`` has no ``__init__.py`` so that ``google.protobuf`` still imports.
"""

from google.colab import drive, files, output  # noqa: F401
