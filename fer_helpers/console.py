"""What every console script shares: quiet TensorFlow start-up logging, and bad input as one clear line and exit 2."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's start-up chatter (set before it is imported)

from fer_helpers.errors import FERDataError, ModelFileError  # noqa: E402


def run_console_script(
    main: Callable[[argparse.Namespace], int], parser: argparse.ArgumentParser, argv: list[str] | None
) -> int:
    """Parse ``argv``, run ``main`` and turn expected errors into a one-line message and exit code 2."""
    args = parser.parse_args(argv)
    try:
        return main(args)
    except (FERDataError, ModelFileError, ValueError, RuntimeError) as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"{parser.prog}: interrupted; rerun the same command to resume from the last finished epoch.",
            file=sys.stderr,
        )
        return 130
