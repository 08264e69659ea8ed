"""The Vitis HLS back end: HLS-form IR -> a C++ project, and its C simulation.

* `to_hls_form(module)`: the module in HLS form; runs `convert-dataflow-to-hls`
  when the module still holds a `dataflow.accelerator`.
* `emitter.emit_project(module, board)`: the project's files (printing only).
* `write_project(files, directory)`: writes them atomically.
* `csim.CSimModel`: compiles the project with g++ and runs it from numpy.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from xdsl.dialects.builtin import ModuleOp

from qnn_mlir.diagnostics import QnnError
from qnn_mlir.tools.output import replace_directory


def has_accelerator(module: ModuleOp) -> bool:
    """True when the module still holds a dataflow.accelerator (dataflow form)."""
    from qnn_mlir.dialects.dataflow import AcceleratorOp

    return any(isinstance(op, AcceleratorOp) for op in module.walk())


def to_hls_form(module: ModuleOp, stream_depth: int = 2, source: str | None = None
                ) -> ModuleOp:
    """A copy of the module in HLS form (the module itself is left unchanged).

    Pass errors become QnnErrors, located at `source` (a file name) if given.
    """
    from xdsl.utils.exceptions import DiagnosticException

    from qnn_mlir.dialects import make_context
    from qnn_mlir.passes.convert_dataflow_to_hls import ConvertDataflowToHLS

    module = module.clone()
    if has_accelerator(module):
        try:
            ConvertDataflowToHLS(stream_depth=stream_depth).apply(make_context(), module)
        except DiagnosticException as error:
            where = f"{source}: " if source else ""
            raise QnnError(f"{where}error: {error}") from error
    return module


def write_project(files: dict[str, str | bytes], directory: str, stamp: str | None = None,
                  what: str = "an HLS project written by qnn-translate --to-hls") -> None:
    """Write `files` (relative path -> text or bytes) as `directory`, all or nothing.

    The files go to a temporary sibling directory that is then renamed. An
    existing `directory` is replaced only if an earlier run wrote it (it holds
    the `stamp` file, by default the HLS project's) or it is empty; anything
    else is an error, so a user's directory is never deleted.
    """
    from qnn_mlir.backends.hls.emitter import STAMP_FILE

    stamp = stamp or STAMP_FILE
    target = os.path.abspath(directory)
    if os.path.lexists(target) and (not os.path.isdir(target) or (
            os.listdir(target) and not os.path.exists(os.path.join(target, stamp)))):
        raise QnnError(f"{directory}: error: exists and is not {what}; choose another "
                       "output directory")
    parent = os.path.dirname(target)
    try:
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.", dir=parent)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private; a project is not
    except OSError as error:
        raise QnnError(f"{directory}: error: cannot create the output: {error.strerror}") from error
    try:
        for relative, text in files.items():
            path = os.path.join(staging, relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if isinstance(text, bytes):  # testbench vectors, libraries
                with open(path, "wb") as f:
                    f.write(text)
            else:
                with open(path, "w", encoding="utf-8", newline="\n") as f:
                    f.write(text)
        replace_directory(staging, target, stamp, what)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise QnnError(f"{directory}: error: cannot write the project: {error.strerror}") from error


def translate_to_hls(input_path: str, directory: str | None, board: str | None = None,
                     output: str = "hls") -> None:
    """`qnn-translate --to-hls` (`output="hls"`) and `--to-pynq` (`output="pynq"`): read IR
    (`-` for stdin), emit and write the HLS project or the deployment package for the
    module's target board, or for `board` when given (it replaces the module's)."""
    import sys

    from qnn_mlir.backends.hls.emitter import emit_project
    from qnn_mlir.diagnostics import parse_module_file, parse_module_text
    from qnn_mlir.dialects import make_context

    if directory is None:
        raise QnnError(f"qnn-translate: error: --to-{output} writes a directory: give it with "
                       "-o DIR")
    if input_path == "-":
        module = parse_module_text(make_context(), sys.stdin.read(), "<stdin>")
    else:
        module = parse_module_file(make_context(), input_path)
    source = "<stdin>" if input_path == "-" else input_path
    if board is not None:
        from qnn_mlir.cost.boards import get_board, set_target

        set_target(module, get_board(board))
    hls_form = to_hls_form(module, source=source)
    try:
        if output == "pynq":
            from qnn_mlir.backends.pynq.deploy import DeployOptions, write_deployment

            write_deployment(hls_form, directory, DeployOptions(source=source))
            return
        files = emit_project(hls_form)
    except QnnError as error:  # emitter messages start with "error:"; say where
        if str(error).startswith("error:"):
            raise QnnError(f"{source}: {error}") from error
        raise
    write_project(files, directory)
