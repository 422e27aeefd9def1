"""Stand-in for ``google.colab.drive``: there is no Google Drive to mount."""


def mount(mountpoint: str, force_remount: bool = False, timeout_ms: int = 120000, readonly: bool = False) -> None:
    """Raise as Colab does when the learner refuses access to Drive."""
    raise ValueError("mount failed: no Google Drive here (stand-in google.colab)")
