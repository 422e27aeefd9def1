"""What every console script shares: one error path (one clear line and exit 2), ``--debug``, and argument types.

Expected errors (a :class:`~fer_helpers.errors.FERError`, a bad argument, a file the system cannot read or write)
end in one line that names the path and the fix, and exit code 2. ``--debug`` or ``FER_DEBUG=1`` shows the full
traceback instead. Anything else is a bug: it keeps its traceback, and a line asks to report it.
"""

from __future__ import annotations

import argparse
import errno
import math
import os
import sys
import traceback
from collections.abc import Callable

import fer_helpers.quiet  # noqa: F401  (before TensorFlow: keeps its start-up log out of the console)
from fer_helpers.errors import FERError

DEBUG_ENV_VAR = "FER_DEBUG"
EXPECTED_ERRORS = (FERError, OSError)
"""What a console script reports in one line; anything else is a bug in the course (or a library) and is reported."""
OS_ERROR_FIXES = {
    errno.EACCES: "check its permissions, or choose another path",
    errno.EPERM: "check its permissions, or choose another path",
    errno.EROFS: "it is on a read-only disk; choose another path",
    errno.ENOSPC: "the disk is full; free some space or choose another path",
    errno.ENOENT: "check the path",
    errno.ENOTDIR: "a part of the path is a file, not a folder; check the path",
    errno.EISDIR: "it is a folder; give a file",
    errno.EEXIST: "something is already there; choose another path",
}


def debug_requested(argv: list[str] | None) -> bool:
    """Return True if ``--debug`` is among the arguments or ``FER_DEBUG`` is set to something other than 0."""
    arguments = sys.argv[1:] if argv is None else argv
    return "--debug" in arguments or os.environ.get(DEBUG_ENV_VAR, "").strip() not in ("", "0")


def error_line(err: BaseException) -> str:
    """Return ``err`` as one line; for an ``OSError`` also the path and what to do."""
    if isinstance(err, OSError):
        path = err.filename if err.filename is not None else "a file"
        reason = err.strerror or str(err) or err.__class__.__name__
        fix = OS_ERROR_FIXES.get(err.errno, "check the path and try again")
        return f"cannot use {path}: {reason}; {fix}."
    return " ".join(str(err).split()) or err.__class__.__name__


def issue_tracker() -> str | None:
    """Return the URL where bugs are reported: the installed package's repository (``[project.urls]``) + ``/issues``."""
    from importlib import metadata

    try:
        urls = metadata.metadata("fer-course").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("repository", "source", "issues", "bug tracker"):
            url = url.strip().rstrip("/")
            return url if url.endswith("/issues") else url + "/issues"
    return None


def bug_line(prog: str) -> str:
    """Return the line printed under an unexpected error's traceback: it is a bug, and where to report it."""
    where = issue_tracker()
    report = f"please report it at {where}" if where else "please report it"
    return (
        f"{prog}: this is a bug, not a problem with your input: {report}, with the command you ran and the "
        "traceback above."
    )


def hint_for_dash_files(parser: argparse.ArgumentParser, argv: list[str] | None) -> None:
    """Make ``parser``'s errors add a hint when an argument is a file whose name starts with - (read as an option)."""
    error = parser.error
    arguments = sys.argv[1:] if argv is None else argv
    before_dashes = arguments[: arguments.index("--")] if "--" in arguments else arguments

    def error_with_hint(message: str) -> None:
        files = [word for word in before_dashes if word.startswith("-") and os.path.isfile(word)]
        if files:
            message += (
                f" ({files[0]} is a file: put -- before file names that start with -, e.g. "
                f"{parser.prog} -- {files[0]}, or write ./{files[0]})"
            )
        error(message)

    parser.error = error_with_hint


def run_console_script(
    main: Callable[[argparse.Namespace], int],
    parser: argparse.ArgumentParser,
    argv: list[str] | None,
    *,
    check: Callable[[argparse.ArgumentParser, argparse.Namespace], None] | None = None,
    on_interrupt: str = "",
) -> int:
    """Parse ``argv``, run ``check`` (options that only make sense together: it calls ``parser.error``), run ``main``
    and turn expected errors into a one-line message and exit code 2. ``on_interrupt`` ends the line printed on
    Ctrl+C (what the command can do about it)."""
    parser.add_argument(
        "--debug", action="store_true", help=f"show the full traceback of an error (or set {DEBUG_ENV_VAR}=1)"
    )
    debug = debug_requested(argv)
    hint_for_dash_files(parser, argv)
    args = parser.parse_args(argv)  # a bad argument: argparse prints usage and the reason, and exits with 2
    if check is not None:
        check(parser, args)
    try:
        return main(args)
    except EXPECTED_ERRORS as err:
        if debug:
            traceback.print_exc()
        print(f"{parser.prog}: error: {error_line(err)}", file=sys.stderr)
        return 2
    except Exception:
        traceback.print_exc()
        print(bug_line(parser.prog), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted{'; ' + on_interrupt if on_interrupt else ''}.", file=sys.stderr)
        return 130


def positive_int(text: str) -> int:
    """Parse a whole number of at least 1 (for ``argparse``)."""
    value = _parse(text, int, "a whole number")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def probability(text: str) -> float:
    """Parse a probability: a number from 0 to 1 (for ``argparse``); no ``nan``."""
    value = _parse(text, float, "a number")
    if not 0 <= value <= 1:  # also False for nan
        raise argparse.ArgumentTypeError(f"must lie between 0 and 1 (a probability), not {text}")
    return value


def seconds_or_zero(text: str) -> float:
    """Parse a finite number of seconds, 0 or more (for ``argparse``): no negatives, ``inf`` or ``nan``."""
    value = _parse(text, float, "a number of seconds")
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds, 0 or more, not {text}")
    return value


def add_tta_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--tta none|flip|ten-crop`` (test-time augmentation; ``what`` says what it averages) to ``parser``."""
    from fer_helpers.evaluation.metrics import TTA_MODES

    parser.add_argument(
        "--tta",
        default="none",
        choices=TTA_MODES,
        help=f"test-time augmentation: none (default); flip averages {what} with its mirror; ten-crop averages ten "
        "crops (corners, centre and their mirrors), slower",
    )


def positive_minutes(text: str) -> float:
    """Parse a finite number of minutes greater than 0 (for ``argparse``): no 0, negatives, ``inf`` or ``nan``."""
    value = _parse(text, float, "a number of minutes")
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive, finite number of minutes, not {text}")
    return value


def seed_number(text: str) -> int:
    """Parse a random seed: a whole number from 0 to 2**32 - 1, what NumPy and TensorFlow accept (for ``argparse``)."""
    value = _parse(text, int, "a whole number")
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must lie between 0 and 4294967295, not {value}")
    return value


def _parse(text: str, convert: Callable[[str], float], what: str):
    """Return ``convert(text)``, or raise ``argparse``'s error saying that ``text`` is not ``what``."""
    try:
        return convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
