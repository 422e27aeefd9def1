"""Stand-in for ``google.colab.files``: the learner cancels every upload."""


def upload() -> dict[str, bytes]:
    """Return no files, as Colab's ``files.upload()`` does when the upload box is cancelled."""
    print("(stand-in google.colab: upload cancelled)")
    return {}


def download(filename: str) -> None:
    """Do nothing: there is no browser to download to."""
