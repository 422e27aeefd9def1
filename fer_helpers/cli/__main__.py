"""``python -m fer_helpers.cli COMMAND ...``: the console scripts where their launchers are not on PATH.

``python -m fer_helpers.cli train --profile smoke`` is ``fer-train --profile smoke``; ``evaluate`` and ``predict``
likewise. Without a command it says which there are.
"""

from __future__ import annotations

import sys

COMMANDS = {"train": "fer-train", "evaluate": "fer-evaluate", "predict": "fer-predict"}
USAGE = (
    "usage: python -m fer_helpers.cli {train,evaluate,predict} [options]\n"
    + "".join(f"  {name:<9} = {script}\n" for name, script in COMMANDS.items())
    + "Add --help after a command for its options, e.g. python -m fer_helpers.cli predict --help."
)


def main(argv: list[str] | None = None) -> int:
    """Run the command named first in ``argv`` with the rest; print the usage (exit 2) when there is none."""
    arguments = sys.argv[1:] if argv is None else argv
    if not arguments or arguments[0] not in COMMANDS:
        if arguments and arguments[0] in ("-h", "--help"):
            print(USAGE)
            return 0
        wrong = f"python -m fer_helpers.cli: unknown command {arguments[0]!r}\n" if arguments else ""
        print(wrong + USAGE, file=sys.stderr)
        return 2
    command, rest = arguments[0], arguments[1:]
    if command == "train":
        from fer_helpers.cli.train import fer_train as run
    elif command == "evaluate":
        from fer_helpers.cli.evaluate import fer_evaluate as run
    else:
        from fer_helpers.cli.predict import fer_predict as run
    return run(rest)


if __name__ == "__main__":
    sys.exit(main())
