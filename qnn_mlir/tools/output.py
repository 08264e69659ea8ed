"""Writing tool outputs: atomically, so that a failure never leaves a half-written file."""

from __future__ import annotations

import os
import sys

from qnn_mlir.diagnostics import QnnError


def write_text_atomically(text: str, output: str | None) -> None:
    """Write `text` to `output` through a temporary file and a rename, or to stdout."""
    if output is None:
        sys.stdout.write(text)
        return
    temporary = f"{output}.tmp{os.getpid()}"
    try:
        with open(temporary, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(temporary, output)
    except OSError as error:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise QnnError(f"{output}: error: cannot write output: {error.strerror}") from error
