"""Writing tool outputs: atomically, so that a failure never leaves a half-written file."""

from __future__ import annotations

import os
import shutil
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


def replace_directory(staging: str, target: str, stamp: str, what: str) -> None:
    """Rename the finished `staging` directory to `target`.

    An existing `target` is replaced only if it is empty or holds `stamp`
    (an earlier output of the same tool), so a user's directory is never deleted.
    """
    if os.path.lexists(target):
        if not os.path.isdir(target) or (
                os.listdir(target) and not os.path.exists(os.path.join(target, stamp))):
            shutil.rmtree(staging, ignore_errors=True)
            raise QnnError(f"{target}: error: exists and is not {what}; choose another output "
                           "directory")
        retired = staging + ".old"
        os.rename(target, retired)
        os.rename(staging, target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.rename(staging, target)
