"""``paintseg`` command line: one entry point, verb subcommands.

``main(argv) -> int`` is testable in-process. Errors the user can fix (bad input, missing backend)
print one line ``paintseg: error: ...`` on stderr and return 2; nothing half-written is left.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from paintseg_layers.errors import BackendError, InputError
from paintseg_layers.version import __version__

#: Subcommand modules under ``paintseg_layers.cli``, in the order ``--help`` lists them.
COMMANDS = ["segment", "remove", "decompose", "compose", "export", "import_", "eval", "batch", "backends", "env", "ui"]


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line (``paintseg: error: ...``), exit 2."""

    def error(self, message):
        self.exit(2, f"paintseg: error: {self.prog.removeprefix('paintseg ')}: {message}\n")


def build_parser() -> argparse.ArgumentParser:

    parser = _Parser(
        prog="paintseg",
        description="Training-free segmentation by painting (PaintSeg), layer peeling and compositing.",
    )
    parser.add_argument("--version", action="version", version=f"paintseg_layers {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"paintseg_layers.cli.{name}")
        except ModuleNotFoundError as exc:  # a command whose module is not part of this build
            if exc.name and exc.name.endswith(f"cli.{name}"):
                continue
            raise
        module.register(sub)
    return parser


class _Exit(Exception):
    def __init__(self, code):
        self.code = code


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 usage or input error, 1 unexpected failure)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its one-line usage error
        return int(exc.code or 0)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except (InputError, BackendError) as exc:
        print(f"paintseg: error: {' '.join(str(exc).split())}", file=sys.stderr)  # always one line
        return 2
    except KeyboardInterrupt:
        print("paintseg: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader closed the pipe early (`paintseg env | head`): not a failure
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush stays quiet
        return 0
    except MemoryError:
        print("paintseg: error: out of memory; try a smaller --working-size", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"paintseg: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - last resort: one line, details only with -v
        if args.verbose:
            logging.exception("unexpected failure")
        text = " ".join(str(exc).split())[:200]  # one short line, whatever the exception carries
        print(f"paintseg: error: unexpected {exc.__class__.__name__}: {text} (rerun with -v for details)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
