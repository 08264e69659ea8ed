"""Diagnostics shared by every tool: `file:line:col: error: message`, exit code 1.

xDSL records no source location for ops written in custom format, and its
verifier messages carry no position. `LocatingParser` stamps every parsed op
with a `FileLineColLoc`, and `verify_module` verifies op by op so that a
failure is reported at the line of the op that failed, with that line quoted.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from typing import NoReturn

from xdsl.dialects.builtin import FileLineColLoc, IntAttr, ModuleOp, NameLoc, StringAttr
from xdsl.ir import Operation
from xdsl.parser import Parser
from xdsl.utils.exceptions import DiagnosticException, ParseError, VerifyException

import qnn_mlir.float_literals  # noqa: F401 - reads 0x7f800000 in a dense<f32> as +inf


class QnnError(Exception):
    """A user-facing error whose message is already a complete diagnostic."""


MAX_QUOTED_CHARS = 400
"""How much of a foreign text (another library's exception, a printed op) a diagnostic
quotes: xDSL and numpy messages may embed a whole module, a megabyte for TFC."""

MAX_DIAGNOSTIC_CHARS = 10_000
"""The most a tool prints for one diagnostic: enough for 40 lines of g++ errors or a
list of every host op, never a whole module."""


def excerpt(text: object, limit: int = MAX_QUOTED_CHARS) -> str:
    """`text` cut to `limit` characters, with a note saying how much was left out."""
    text = str(text).strip()
    if len(text) <= limit:
        return text
    return f"{text[:limit].rstrip()} ... ({len(text) - limit:,} more characters not shown)"


def with_location(where: str, diagnostic: str) -> str:
    """Prefix `where: ` to a diagnostic that does not say where yet (`error: ...`)."""
    return f"{where}: {diagnostic}" if diagnostic.startswith("error:") else diagnostic


def location_text(op: Operation) -> str:
    """`file:line:col` of a parsed op, else its name: where a diagnostic points."""
    loc = op.location
    if isinstance(loc, FileLineColLoc):
        return f"{loc.filename.data}:{loc.line.data}:{loc.column.data}"
    return f"'{op.name}'"


BREVITAS_INTERNALS = frozenset({
    "export_handler", "act_quant", "weight_quant", "bias_quant", "input_quant",
    "output_quant", "act_quant_proxy", "fused_activation_quant_proxy", "tensor_quant",
})
"""Scope names inside a Brevitas layer: its quantizers, not modules a user wrote."""


def module_path(node_name: str) -> str | None:
    """The module path of the PyTorch module that produced an ONNX node, from the scope
    path torch puts in node names: `/features.2/MatMul` -> `features.2`,
    `/layer1/layer1.0/conv1/Conv` -> `layer1.0.conv1`, `/features.0/act_quant/
    export_handler/Quant` -> `features.0`. None for a name without scopes."""
    scopes = [part for part in node_name.strip("/").split("/") if part][:-1]
    path = ""
    for scope in scopes:
        if scope in BREVITAS_INTERNALS:
            break
        path = scope if not path or scope.startswith(path + ".") else f"{path}.{scope}"
    return path or None


def source_module(op: Operation) -> str | None:
    """The module path of the ONNX node an imported op came from (its NameLoc)."""
    loc = op.location
    if isinstance(loc, NameLoc):
        return module_path(loc.desc.data)
    return None


def format_diagnostic(
    where: str, message: str, source_line: str | None = None, column: int | None = None
) -> str:
    """`where: error: message`, then the quoted source line and a caret under `column`."""
    text = f"{where}: error: {message}"
    if source_line is not None:
        text += f"\n{source_line.rstrip()}"
        if column is not None:
            text += "\n" + " " * (column - 1) + "^"
    return text


class LocatingParser(Parser):
    """An xDSL parser that gives every op the file/line/column where it starts."""

    def __init__(self, ctx, text: str, name: str, line_offset: int = 0):
        super().__init__(ctx, text, name)
        self._line_offset = line_offset
        self._file_attr = StringAttr(name)

    def parse_operation(self) -> Operation:
        start = self._current_token.span.get_location()
        try:
            op = super().parse_operation()
        except (VerifyException, ValueError) as error:
            # Custom-format parsers build ops, and building checks constraints
            # (a memref where a tensor is required, an i32 where i64 is); attribute
            # constructors raise ValueError (a dense value out of its type's range).
            line = start.line + self._line_offset
            source = self.lexer.input.content.split("\n")[start.line - 1]
            raise QnnError(format_diagnostic(
                f"{start.file}:{line}:{start.col}", innermost_message(error), source, start.col
            )) from error
        if not isinstance(op.location, FileLineColLoc):
            op.location = FileLineColLoc(
                self._file_attr, IntAttr(start.line + self._line_offset), IntAttr(start.col)
            )
        return op


def parse_error_diagnostic(error: ParseError, line_offset: int = 0) -> str:
    """Reformat an xDSL ParseError as `file:line:col: error: msg` with the source line."""
    span = error.span
    if error.msg.startswith("values used but not defined"):
        located = _first_use(error, line_offset)
        if located is not None:
            return located
    location = span.get_location()
    line_start = span.input.get_start_of_line(span.start)
    line_end = span.input.get_end_of_line(span.start)
    source = span.input.content[line_start:line_end]
    if isinstance(source, bytes):
        source = source.decode("utf-8", "replace")
    where = f"{location.file}:{location.line + line_offset}:{location.col}"
    return format_diagnostic(where, error.msg, source, location.col)


def _first_use(error: ParseError, line_offset: int) -> str | None:
    """xDSL reports undefined SSA values at the end of the input; point at the first use."""
    names = re.findall(r"%[\w$.-]+", error.msg)
    content = error.span.input.content
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    if not names:
        return None
    match = re.search(re.escape(names[0]) + r"(?![\w$.-])", content)
    if match is None:
        return None
    line_index = content.count("\n", 0, match.start())
    line_start = content.rfind("\n", 0, match.start()) + 1
    source = content.split("\n")[line_index]
    column = match.start() - line_start + 1
    where = f"{error.span.input.name}:{line_index + 1 + line_offset}:{column}"
    return format_diagnostic(where, f"use of undefined value {names[0]}", source, column)


def _op_where(op: Operation, sources: dict[str, list[str]]) -> tuple[str, str | None, int | None]:
    location = op.location
    if isinstance(location, FileLineColLoc):
        filename = location.filename.data
        line, col = location.line.data, location.column.data
        lines = sources.get(filename)
        source = lines[line - 1] if lines and 0 < line <= len(lines) else None
        return f"{filename}:{line}:{col}", source, col
    return f"'{op.name}'", None, None


def innermost_message(error: BaseException) -> str:
    """xDSL wraps verifier errors with the printed op; keep the original message."""
    while error.__cause__ is not None and isinstance(error.__cause__, DiagnosticException):
        error = error.__cause__
    return str(error).strip().split("\n\n")[0].removeprefix("Operation does not verify: ")


def verify_module(module: ModuleOp, sources: dict[str, list[str]] | None = None) -> None:
    """Verify every op, then SSA order (`ssa_order.py`); raise QnnError located at the
    first op that fails."""
    from qnn_mlir.ssa_order import first_order_violation

    for op in module.walk():
        try:
            op.verify(verify_nested_ops=False)
        except (VerifyException, ValueError) as error:
            where, source, col = _op_where(op, sources or {})
            message = innermost_message(error)
            raise QnnError(format_diagnostic(where, message, source, col)) from error
    violation = first_order_violation(module)
    if violation is not None:
        where, source, col = _op_where(violation.op, sources or {})
        raise QnnError(format_diagnostic(where, violation.message, source, col))


def parse_module_text(ctx, text: str, filename: str, line_offset: int = 0) -> ModuleOp:
    """Parse and verify; every failure becomes a located QnnError."""
    try:
        module = LocatingParser(ctx, text, filename, line_offset).parse_module()
    except ParseError as error:
        raise QnnError(parse_error_diagnostic(error, line_offset)) from error
    # Locations are file-wide; pad the chunk's lines so that indices match.
    verify_module(module, {filename: [""] * line_offset + text.split("\n")})
    return module


def read_ir_text(path: str) -> str:
    """The text of an IR file; unreadable or binary files are diagnostics."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as error:
        raise QnnError(f"{path}: error: cannot read file: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise QnnError(
            f"{path}: error: not a UTF-8 text file (byte {error.start}); the tools read "
            "textual IR - for an ONNX model use qnn-translate --import-onnx"
        ) from error


def parse_module_file(ctx, path: str) -> ModuleOp:
    """Read, parse and verify an .mlir file."""
    return parse_module_text(ctx, read_ir_text(path), path)


def run_tool(tool_name: str, body: Callable[[], int | None]) -> NoReturn:
    """Run a tool's main body: QnnError is a diagnostic and exit code 1, never a traceback.

    Unexpected exceptions are internal errors; set QNN_DEBUG=1 to see their traceback.
    """
    try:
        code = body() or 0
    except QnnError as error:
        print(excerpt(error, MAX_DIAGNOSTIC_CHARS), file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    except Exception as error:  # noqa: BLE001 - the last line of defence of a CLI
        if os.environ.get("QNN_DEBUG"):
            raise
        print(
            f"{tool_name}: internal error: {type(error).__name__}: {excerpt(error)}\n"
            f"(this is a bug in {tool_name}; rerun with QNN_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        code = 1
    sys.stdout.flush()
    sys.exit(code)
