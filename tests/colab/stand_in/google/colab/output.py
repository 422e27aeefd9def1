"""Stand-in for ``google.colab.output``: no browser is attached, so JavaScript calls fail as a refused camera does."""


class MessageError(RuntimeError):
    """What Colab's ``eval_js`` raises when the browser reports an error."""


def eval_js(script: str, ignore_result: bool = False, timeout_sec: float | None = None):
    """Raise the error a browser without a camera gives."""
    raise MessageError("NotAllowedError: no browser attached (stand-in google.colab)")
