"""Reference interpreter: run IR at any stage on numpy inputs.

`run_module(module, inputs)` runs the module's entry function (`@main`, or
the only function) with xDSL's interpreter framework and the numpy
implementations of each dialect (`quant.py`, `dataflow.py`). It is the oracle
for every pass: a pass is correct when the IR before and after it computes
the same outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, ModuleOp, TensorType
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls

from qnn_mlir.diagnostics import QnnError
from qnn_mlir.interpreter.calls import FuncFunctions
from qnn_mlir.ir_constants import dense_to_numpy


@register_impls
class ConstantFunctions(InterpreterFunctions):
    """arith.constant with dense elements -> a numpy array of its values."""

    @impl(arith.ConstantOp)
    def run_constant(self, interpreter: Interpreter, op: arith.ConstantOp, args: tuple[Any, ...]):
        if not isinstance(op.value, DenseIntOrFPElementsAttr):
            raise QnnError(f"the interpreter supports dense constants only, got {op.value}")
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


def _check_input(index: int, array: np.ndarray, expected: TensorType) -> np.ndarray:
    shape = tuple(expected.get_shape())
    if array.ndim != len(shape) or tuple(array.shape[1:]) != shape[1:]:
        raise QnnError(
            f"error: input {index} has shape {list(array.shape)}, but the function expects "
            f"{list(shape)} (a batch may replace dimension 0)"
        )
    if np.issubdtype(array.dtype, np.floating):
        return np.ascontiguousarray(array, dtype=np.float32)
    return np.ascontiguousarray(array, dtype=np.int64)


def run_module(
    module: ModuleOp, inputs: Sequence[np.ndarray], function: str | None = None,
    listeners: Sequence[Interpreter.Listener] = (),
) -> list[np.ndarray]:
    """Run the entry function on a batch: dim 0 of every input is the batch."""
    entry = entry_function(module, function)
    arg_types = entry.function_type.inputs.data
    if len(inputs) != len(arg_types):
        raise QnnError(
            f"error: @{entry.sym_name.data} takes {len(arg_types)} input(s), got {len(inputs)}"
        )
    arrays = [
        _check_input(i, np.asarray(a), t)
        for i, (a, t) in enumerate(zip(inputs, arg_types, strict=True))
    ]
    interpreter = make_interpreter(module, listeners)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        results = interpreter.call_op(entry, tuple(arrays))
    return [np.asarray(r) for r in results]
