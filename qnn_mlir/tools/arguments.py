"""Command-line parsing with the tools' exit codes.

argparse exits with code 2 on a usage error; the tools' contract is that every
bad input, a bad command line included, is a diagnostic and exit code 1 (0 is
success, 1 failure, nothing else), so that scripts and CI need one check.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn


def usage_error(parser: argparse.ArgumentParser, message: str) -> NoReturn:
    """Print the usage and `prog: error: message`, then exit 1."""
    parser.print_usage(sys.stderr)
    parser.exit(1, f"{parser.prog}: error: {message}\n")


class ToolArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors exit with code 1."""

    def error(self, message: str) -> NoReturn:
        usage_error(self, message)
