"""The host part of a model in HLS form as a generated Python module (`model.py`).

`emit_host_code(module)` prints the entry function (`@main`) as `forward(accelerator,
<inputs>)`: straight-line numpy code, one statement per op, each op a call of its
function in `qnn_runtime.host_ops` (the table `qnn_mlir/interpreter/host_calls.py`
gives the function and its arguments, as for the interpreter), and the call of the
accelerator kernel as `accelerator.execute(...)`. Run against an accelerator that
computes what the kernel's C simulation computes, `forward` returns bit for bit what
`run_module_csim` returns.

Sections: IR strings made safe for Python, Python literals, the emitter (one
method per kind of op), and the module text.
"""

from __future__ import annotations

import builtins
import io
import keyword
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import AnyFloat, DenseIntOrFPElementsAttr, FileLineColLoc, ModuleOp
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.printer import Printer

from qnn_mlir.diagnostics import QnnError, location_text
from qnn_mlir.interpreter.host_calls import host_call
from qnn_mlir.ir_constants import dense_to_numpy

CONSTANTS_FILE = "host_constants.npz"
"""Where the module finds its large constants: next to itself."""

INLINE_CONSTANT_ELEMENTS = 16
"""Constants of at most this many (finite) elements are printed in the code."""

LINE_WIDTH = 99

MODULE_NAMES = frozenset({"np", "ops", "os", "accelerator", "forward", "archive", "KERNEL",
                          "INPUTS", "OUTPUTS", "CONSTANTS", "CONSTANTS_PATH"})
"""Names the generated module defines or imports: no value may shadow them."""

RESERVED_NAMES = (MODULE_NAMES | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)
                  | frozenset(dir(builtins)))


@dataclass
class HostCode:
    """The generated host module and what a deployment package stores next to it."""

    source: str
    """The Python module text (model.py)."""
    constants: dict[str, np.ndarray]
    """The large constants, to be saved as `host_constants.npz` next to the module."""
    inputs: list[dict[str, Any]]
    """Per model input: name (the IR's), shape (the IR's; dim 0 is the batch and may be
    any size at run time), dtype ("float32" or "int64") and element_type (the IR's)."""
    outputs: list[dict[str, Any]]
    """The same for each output."""
    kernel: str
    """The symbol of the accelerator kernel `forward` calls."""


# ---------------------------------------------------------------------------
# IR strings in Python
# ---------------------------------------------------------------------------


def comment_text(text: str) -> str:
    """`text` for a `#` comment: one line of ASCII; backslashes, control characters and
    non-ASCII ones escaped as in a Python string (unicode_escape)."""
    return text.encode("unicode_escape").decode("ascii")


def docstring_text(text: str) -> str:
    """`text` inside a `\"\"\"` docstring: escaped as for a comment, quotes too."""
    return comment_text(text).replace('"', '\\"')


def python_identifier(name: str, taken: set[str]) -> str:
    """A fresh Python identifier from an IR name (added to `taken`): each run of other
    characters than ASCII letters, digits and '_' becomes '_', a leading digit gets a
    'v' prefix, a keyword, builtin or name of the module a '_' suffix, and a name already
    taken a numeric suffix."""
    base = re.sub(r"\W+", "_", name, flags=re.ASCII) or "v"
    if base[0].isdigit():
        base = "v" + base
    if base in RESERVED_NAMES:
        base += "_"
    identifier, suffix = base, 0
    while identifier in taken or identifier in RESERVED_NAMES:
        suffix += 1
        identifier = f"{base}_{suffix}"
    taken.add(identifier)
    return identifier


# ---------------------------------------------------------------------------
# Python literals
# ---------------------------------------------------------------------------


def python_literal(value: Any) -> str:
    """The Python expression of a static argument: a bool, number, string, tuple or list
    of those (never an array: arrays are constants)."""
    if value is None:
        return "None"
    if isinstance(value, bool | np.bool_):
        return repr(bool(value))
    if isinstance(value, int | np.integer):
        return repr(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)  # exact for float32; repr round-trips a float64
        return repr(number) if math.isfinite(number) else f'float("{number!r}")'
    if isinstance(value, str):
        plain = value.isascii() and value.isprintable() and not set(value) & set('"\\')
        return f'"{value}"' if plain else ascii(value)
    if isinstance(value, tuple | list):
        items = ", ".join(python_literal(item) for item in value)
        if isinstance(value, list):
            return f"[{items}]"
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{python_literal(k)}: {python_literal(v)}"
                               for k, v in value.items()) + "}"
    raise TypeError(f"no Python literal for {type(value).__name__} {value!r}")


def inlined(array: np.ndarray) -> bool:
    """True for a small array whose values print exactly (not NaN or infinite): printed
    in the code, not stored in the constants file."""
    if array.size > INLINE_CONSTANT_ELEMENTS:
        return False
    return not np.issubdtype(array.dtype, np.floating) or bool(np.isfinite(array).all())


def array_expression(array: np.ndarray) -> str:
    """`np.array(<nested lists>, dtype=...)` of an inlined array, on one line."""
    return f'np.array({python_literal(array.tolist())}, dtype="{array.dtype}")'


def array_lines(target: str, array: np.ndarray, indent: str) -> list[str]:
    """`target = np.array(...)` of an inlined array: nested lists when they fit on one
    line, else the elements wrapped, then reshaped."""
    dtype = f'dtype="{array.dtype}"'
    line = f"{indent}{target}{array_expression(array)}"
    if len(line) <= LINE_WIDTH or array.ndim == 0:
        return [line]
    reshape = "" if array.ndim == 1 else f".reshape({python_literal(array.shape)})"
    elements = [python_literal(value) for value in array.ravel().tolist()]
    return wrapped(f"{target}np.array([", elements, f"], {dtype}){reshape}", indent)


def _value_dtype(value_type: Attribute) -> str:
    """How the interpreter (and the generated code) holds values of a tensor type."""
    element = value_type.element_type  # type: ignore[attr-defined]
    return "float32" if isinstance(element, AnyFloat) else "int64"


def wrapped(head: str, items: list[str], tail: str, indent: str) -> list[str]:
    """`head`, the items separated by ", ", then `tail`; when that is longer than the
    line width, the items fill indented continuation lines, breaking between items."""
    line = f"{indent}{head}{', '.join(items)}{tail}"
    if len(line) <= LINE_WIDTH or not items:
        return [line]
    lines, current = [f"{indent}{head}"], f"{indent}    "
    for index, item in enumerate(items):
        piece = item + (", " if index < len(items) - 1 else tail)
        if current.strip() and len(current + piece.rstrip()) > LINE_WIDTH:
            lines.append(current.rstrip())
            current = f"{indent}    "
        current += piece
    return [*lines, current.rstrip()]


# ---------------------------------------------------------------------------
# The emitter
# ---------------------------------------------------------------------------


def _op_error(op: Operation, problem: str) -> QnnError:
    where = f"{location_text(op)}: " if isinstance(op.location, FileLineColLoc) else ""
    return QnnError(f"{where}error: {comment_text(op.name)} {problem}")


@dataclass
class _ForwardEmitter:
    """The body of `forward` for one function: names, constants and lines."""

    kernels: set[str]
    """The host declarations that are accelerator kernels (`hls.kernel`)."""
    indent: str = "        "
    lines: list[str] = field(default_factory=list)
    constants: dict[str, np.ndarray] = field(default_factory=dict)
    called_kernels: list[str] = field(default_factory=list)
    returned: list[SSAValue] = field(default_factory=list)
    _identifiers: dict[SSAValue, str] = field(default_factory=dict)
    _taken: set[str] = field(default_factory=set)
    # The IR's own names (`%x_1`): the names xDSL's printer gives the values, in order.
    _ir_printer: Printer = field(default_factory=lambda: Printer(stream=io.StringIO()))

    def ir_name(self, value: SSAValue) -> str:
        return "%" + self._ir_printer.print_ssa_value(value)

    def define(self, value: SSAValue) -> str:
        """The identifier of a new value, from its IR name."""
        self._identifiers[value] = python_identifier(self.ir_name(value)[1:], self._taken)
        return self._identifiers[value]

    def use(self, value: SSAValue) -> str:
        return self._identifiers[value]

    def comment(self, op: Operation, what: str = "") -> None:
        names = ", ".join(self.ir_name(result) for result in op.results)
        types = ", ".join(str(result.type) for result in op.results)
        text = " ".join(part for part in (op.name, what, names) if part)
        self.lines.append(f"{self.indent}# {comment_text(f'{text} : {types}' if types else text)}")

    def emit_op(self, op: Operation) -> None:
        if isinstance(op, func.ReturnOp):
            self.returned = list(op.operands)
        elif isinstance(op, arith.ConstantOp):
            self.emit_constant(op)
        elif isinstance(op, func.CallOp):
            self.emit_kernel_call(op)
        else:
            self.emit_host_call(op)

    def emit_constant(self, op: arith.ConstantOp) -> None:
        if not isinstance(op.value, DenseIntOrFPElementsAttr):
            raise _op_error(op, f"{self.ir_name(op.result)}: the host code supports dense "
                                "constants only")
        array = dense_to_numpy(op.value)
        # as the interpreter holds constants (ConstantFunctions): float32 or int64
        array = np.array(array, dtype=np.float32 if np.issubdtype(array.dtype, np.floating)
                         else np.int64)
        self.comment(op)
        name = self.define(op.result)
        if inlined(array):
            self.lines.extend(array_lines(f"{name} = ", array, self.indent))
        else:
            self.lines.extend(wrapped(f"{name} = CONSTANTS[", [f'"{name}"'], "]", self.indent))
            self.constants[name] = array

    def emit_kernel_call(self, op: func.CallOp) -> None:
        callee = op.callee.string_value()
        if callee not in self.kernels:
            raise _op_error(op, f"@{comment_text(callee)} cannot run on the host of the "
                                "deployment package: only calls of the accelerator kernel "
                                "(a declaration with hls.kernel) can")
        if callee not in self.called_kernels:
            self.called_kernels.append(callee)
        self.comment(op, f"@{callee}")
        arguments = [self.use(operand) for operand in op.operands]
        targets = [self.define(result) for result in op.results]
        target = f"({', '.join(targets)}{',' if len(targets) == 1 else ''}) = " if targets else ""
        self.lines.extend(wrapped(f"{target}accelerator.execute(", arguments, ")", self.indent))

    def emit_host_call(self, op: Operation) -> None:
        call = host_call(op)
        if call is None:
            names = ", ".join(self.ir_name(result) for result in op.results)
            raise _op_error(op, f"{comment_text(names)} cannot run on the host of the "
                                "deployment package: it has no numpy semantics in "
                                "qnn_runtime.host_ops (see qnn_mlir/interpreter/host_calls.py)")
        function, kwargs = call
        self.comment(op)
        targets = [self.define(result) for result in op.results]
        arguments = [self.use(operand) for operand in op.operands]
        for key, value in kwargs.items():
            if not isinstance(value, np.ndarray):
                expression = python_literal(value)
            elif inlined(value):  # one argument: `wrapped` breaks the line around it
                expression = array_expression(value)
            else:  # a fresh identifier: the constants file's keys are unique
                name = python_identifier(f"{targets[0]}_{key}", self._taken)
                expression = f'CONSTANTS["{name}"]'
                self.constants[name] = value
            arguments.append(f"{key}={expression}")
        target = (f"({', '.join(targets)}) = " if len(targets) > 1 else f"{targets[0]} = ")
        self.lines.extend(wrapped(f"{target}ops.{function}(", arguments, ")", self.indent))


# ---------------------------------------------------------------------------
# The module
# ---------------------------------------------------------------------------


def _tensor_info(name: str, value_type: Attribute) -> dict[str, Any]:
    return {"name": name, "shape": list(value_type.get_shape()),  # type: ignore[attr-defined]
            "dtype": _value_dtype(value_type),
            "element_type": str(value_type.element_type)}  # type: ignore[attr-defined]


def _metadata(name: str, tensors: list[dict[str, Any]]) -> list[str]:
    entries = [line for tensor in tensors for line in wrapped(
        "{", [f"{python_literal(k)}: {python_literal(v)}" for k, v in tensor.items()], "},",
        "    ")]
    return [f"{name} = [", *entries, "]"]


def emit_host_code(hls_module: ModuleOp, function: str | None = None) -> HostCode:
    """The host code of `function` (default: `@main`, or the only function) of a module
    in HLS form (a dataflow-form module is converted first).

    QnnErrors: an op without host semantics, a call of anything but an accelerator
    kernel, and a function that calls no kernel or more than one (one accelerator per
    deployment)."""
    from qnn_mlir.backends.hls import has_accelerator, to_hls_form
    from qnn_mlir.interpreter import entry_function
    from qnn_mlir.passes.convert_dataflow_to_hls import KERNEL_ATTR

    if has_accelerator(hls_module):
        hls_module = to_hls_form(hls_module)
    entry = entry_function(hls_module, function)
    kernels = {op.sym_name.data for op in hls_module.ops
               if isinstance(op, func.FuncOp) and KERNEL_ATTR in op.attributes}
    emitter = _ForwardEmitter(kernels)
    block = entry.body.block
    parameters = [emitter.define(argument) for argument in block.args]
    inputs = [_tensor_info(emitter.ir_name(a)[1:], a.type) for a in block.args]
    for op in block.ops:
        emitter.emit_op(op)
    symbol = comment_text(f"@{entry.sym_name.data}")
    if len(emitter.called_kernels) != 1:
        found = ", ".join(f"@{comment_text(k)}" for k in emitter.called_kernels) or "none"
        raise QnnError(f"error: {symbol} must call exactly one accelerator kernel to be "
                       f"deployed (one accelerator per deployment), found {found}")
    outputs = [_tensor_info(emitter.ir_name(v)[1:], v.type) for v in emitter.returned]
    kernel = emitter.called_kernels[0]
    source = _module_text(entry, kernel, parameters, inputs, outputs, emitter)
    return HostCode(source, emitter.constants, inputs, outputs, kernel)


def _module_text(entry: func.FuncOp, kernel: str, parameters: list[str],
                 inputs: list[dict[str, Any]], outputs: list[dict[str, Any]],
                 emitter: _ForwardEmitter) -> str:
    symbol = docstring_text(f"@{entry.sym_name.data}")
    lines = [
        f'"""Host code of a qnn-mlir model: generated by `qnn-translate --to-pynq` from {symbol}.',
        "",
        "Do not edit: generate it again. `forward(accelerator, ...)` runs the host ops of",
        f"{symbol} with numpy (qnn_runtime.host_ops) and its accelerator kernel "
        f"{docstring_text('@' + kernel)} with",
        "`accelerator.execute`. Values are float32 (float tensors) or int64 (integer and",
        "bipolar tensors); dim 0 of every input is the batch, of any size.",
        '"""',
        "",
    ]
    if emitter.constants:
        lines += ["import os", ""]
    lines += ["import numpy as np", "from qnn_runtime import host_ops as ops", "",
              f"KERNEL = {python_literal(kernel)}", "",
              *_metadata("INPUTS", inputs), *_metadata("OUTPUTS", outputs), ""]
    if emitter.constants:
        lines += [f'CONSTANTS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), '
                  f'"{CONSTANTS_FILE}")',
                  "with np.load(CONSTANTS_PATH) as archive:",
                  "    CONSTANTS = {name: archive[name] for name in archive.files}", ""]
    lines += ["", f"def forward({', '.join(['accelerator', *parameters])}):",
              f'    """The outputs of {symbol} for a batch of inputs, as a tuple."""']
    for name, info in zip(parameters, inputs, strict=True):
        lines.append(f'    {name} = np.ascontiguousarray({name}, dtype=np.{info["dtype"]})')
    # as run_module_csim: IEEE results (inf, NaN) of float ops without warnings
    lines.append('    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):')
    lines += emitter.lines
    returned = [emitter.use(value) for value in emitter.returned]
    lines.append(f"    return ({', '.join(returned)}{',' if len(returned) == 1 else ''})")
    return "\n".join(lines) + "\n"
