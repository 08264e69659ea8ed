"""Reference interpreter: run IR at any stage on numpy inputs.

`run_module(module, inputs)` runs the module's entry function (`@main`, or
the only function) with xDSL's interpreter framework and the numpy
implementations of each dialect (`quant.py`, `dataflow.py`). It is the oracle
for every pass: a pass is correct when the IR before and after it computes
the same outputs. Its inputs are checked first (`inputs.py`, shared with the C
simulation): a wrong shape, a NaN or an out-of-range level is a diagnostic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, ModuleOp
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls

from qnn_mlir.diagnostics import QnnError, excerpt
from qnn_mlir.interpreter.calls import FuncFunctions
from qnn_mlir.interpreter.inputs import checked_inputs, function_arguments
from qnn_mlir.ir_constants import dense_to_numpy


@register_impls
class ConstantFunctions(InterpreterFunctions):
    """arith.constant with dense elements -> a numpy array of its values."""

    @impl(arith.ConstantOp)
    def run_constant(self, interpreter: Interpreter, op: arith.ConstantOp, args: tuple[Any, ...]):
        if not isinstance(op.value, DenseIntOrFPElementsAttr):
            raise QnnError("error: the interpreter supports dense constants only, got "
                           f"{excerpt(op.value)}")
        array = dense_to_numpy(op.value)
        if np.issubdtype(array.dtype, np.floating):
            return (np.array(array, dtype=np.float32),)
        return (np.array(array, dtype=np.int64),)


def entry_function(module: ModuleOp, name: str | None = None) -> func.FuncOp:
    """The function to run: `name`, else `@main`, else the only function."""
    # Declarations (no body) are kernels or externals, never the entry point.
    functions = [op for op in module.ops if isinstance(op, func.FuncOp) and op.body.blocks]
    if name is not None or len(functions) != 1:
        wanted = name or "main"
        for function in functions:
            if function.sym_name.data == wanted:
                return function
        raise QnnError(f"error: the module has no function @{wanted}")
    return functions[0]


def make_interpreter(module: ModuleOp,
                     listeners: Sequence[Interpreter.Listener] = ()) -> Interpreter:
    """An xDSL interpreter with every dialect's numpy semantics registered; `listeners`
    see every op it runs (the equivalence check records values with one)."""
    from qnn_mlir.interpreter.quant import QuantFunctions

    interpreter = Interpreter(module, listeners=tuple(listeners))
    interpreter.register_implementations(FuncFunctions())
    interpreter.register_implementations(ConstantFunctions())
    interpreter.register_implementations(QuantFunctions())
    from qnn_mlir.interpreter.dataflow import DataflowFunctions, layer_functions

    interpreter.register_implementations(DataflowFunctions())
    interpreter.register_implementations(layer_functions(module))
    return interpreter


def _unrunnable_call(module: ModuleOp) -> str | None:
    """Why the interpreter alone cannot run `module`: a call of a declaration, which only
    the C simulation (or another external implementation) runs; None when it can."""
    declarations = {op.sym_name.data: op for op in module.ops
                    if isinstance(op, func.FuncOp) and not op.body.blocks}
    for op in module.walk():
        if not isinstance(op, func.CallOp):
            continue
        callee = declarations.get(op.callee.string_value())
        if callee is None:
            continue
        name = callee.sym_name.data
        if "hls.kernel" in callee.attributes:
            return (f"error: the interpreter cannot run the accelerator kernel @{name}: its "
                    "body is the emitted C++; run the build's C simulation with qnn-run "
                    "--csim BUILD_DIR, or interpret the dataflow form (ir/03-dataflow.mlir)")
        return f"error: @{name} is a declaration without a body: the interpreter cannot run it"
    return None


def check_run_inputs(module: ModuleOp, inputs: Sequence[Any], function: str | None = None,
                     sources: Sequence[str] | None = None) -> list[np.ndarray]:
    """The inputs of the entry function checked (interpreter/inputs.py) and converted;
    `sources` name the file of each input in diagnostics."""
    entry = entry_function(module, function)
    return checked_inputs(f"@{entry.sym_name.data}", function_arguments(entry), inputs, sources)


def run_module(
    module: ModuleOp, inputs: Sequence[np.ndarray], function: str | None = None,
    listeners: Sequence[Interpreter.Listener] = (), sources: Sequence[str] | None = None,
) -> list[np.ndarray]:
    """Run the entry function on a batch: dim 0 of every input is the batch.

    Bad inputs are QnnErrors (interpreter/inputs.py); `sources` name their files.
    """
    entry = entry_function(module, function)
    problem = _unrunnable_call(module)
    if problem is not None:
        raise QnnError(problem)
    arrays = check_run_inputs(module, inputs, function, sources)
    interpreter = make_interpreter(module, listeners)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        results = interpreter.call_op(entry, tuple(arrays))
    return [np.asarray(r) for r in results]
