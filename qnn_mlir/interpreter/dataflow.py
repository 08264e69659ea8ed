"""Reference semantics of the dataflow dialect, on numpy arrays.

Conventions (shared with the quant interpreter):

* a stream or tensor value is a numpy array of the mathematical values in
  its normal shape; folding changes the wire format, never the values, so
  it plays no part here;
* integer and bipolar values are np.int64 arrays, bipolar ones -1/+1; float
  streams (what the input quantizer reads) are float32;
* dim 0 is the batch: it may be larger than the IR's 1, and a batch of
  images flows through every op at once (no Python loop over images).

The boundary ops `dataflow.to_stream` / `from_stream` run their functions of
`qnn_runtime.host_ops` through the table `host_calls.py`, as the quant ops do.
Each layer op carries its own semantics (`LayerOp.interpret`, next to its
definition in qnn_mlir/dialects/dataflow_layers/); `layer_functions` registers
them for the layer kinds a module holds. These are the semantics the emitted
HLS C++ must match bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from qnn_runtime import host_ops
from qnn_runtime.host_ops import exact_matmul, threshold_count
from xdsl.dialects.builtin import AnyFloat
from xdsl.interpreter import (
    Interpreter,
    InterpreterFunctions,
    PythonValues,
    ReturnedValues,
    TerminatorValue,
    impl,
    impl_terminator,
    register_impls,
)
from xdsl.ir import Attribute, Operation
from xdsl.utils.exceptions import InterpretationError

from qnn_mlir.dialects import dataflow
from qnn_mlir.interpreter.host_calls import host_call_functions

__all__ = ["DataflowFunctions", "exact_matmul", "layer_functions", "stream_values",
           "threshold_count"]


def stream_values(value: Any, element_type: Attribute) -> np.ndarray:
    """A tensor's values as a stream holds them: float32 for floats, int64 otherwise."""
    return host_ops.to_stream(value, isinstance(element_type, AnyFloat))


def _accelerator_input(index: int, value: Any, expected: Attribute) -> np.ndarray:
    """An accelerator input, checked against the operand's tensor type."""
    array = np.asarray(value)
    shape = tuple(expected.get_shape())  # type: ignore[attr-defined]
    if array.ndim != len(shape) or tuple(array.shape[1:]) != shape[1:]:
        raise InterpretationError(
            f"dataflow.accelerator input {index} has shape {list(array.shape)}, expected "
            f"{list(shape)} (dim 0 may be any batch size)"
        )
    element_type = expected.element_type  # type: ignore[attr-defined]
    if (
        not isinstance(element_type, AnyFloat)
        and np.issubdtype(array.dtype, np.floating)
        and not np.array_equal(array, np.floor(array))
    ):
        raise InterpretationError(
            f"dataflow.accelerator input {index} holds non-integer values for a "
            f"{element_type} stream"
        )
    return stream_values(array, element_type)


@register_impls
class DataflowFunctions(host_call_functions((dataflow.ToStreamOp, dataflow.FromStreamOp))):
    """numpy implementations of the dataflow structure ops (the layers: `layer_functions`)."""

    @impl(dataflow.AcceleratorOp)
    def run_accelerator(
        self, interpreter: Interpreter, op: dataflow.AcceleratorOp, args: tuple[Any, ...]
    ) -> PythonValues:
        streams = tuple(
            _accelerator_input(index, value, operand.type)
            for index, (value, operand) in enumerate(zip(args, op.inputs, strict=True))
        )
        return interpreter.run_ssacfg_region(op.body, streams, "accelerator")

    @impl_terminator(dataflow.YieldOp)
    def run_yield(
        self, interpreter: Interpreter, op: dataflow.YieldOp, args: tuple[Any, ...]
    ) -> tuple[TerminatorValue, PythonValues]:
        return ReturnedValues(args), ()


def _run_layer(functions: InterpreterFunctions, interpreter: Interpreter,
               op: dataflow.LayerOp, args: tuple[Any, ...]) -> PythonValues:
    return tuple(op.interpret(tuple(np.asarray(a) for a in args)))


def layer_functions(root: Operation) -> InterpreterFunctions:
    """Interpreter implementations of every layer kind under `root`: each calls the op's
    own `interpret`, so a layer defined anywhere runs without registering anything."""
    kinds = sorted({type(op) for op in root.walk() if isinstance(op, dataflow.LayerOp)},
                   key=lambda cls: cls.name)
    namespace = {f"run_{index}": impl(kind)(_run_layer) for index, kind in enumerate(kinds)}
    return register_impls(type("LayerFunctions", (InterpreterFunctions,), namespace))()
