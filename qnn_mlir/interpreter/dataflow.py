"""Reference semantics of the dataflow dialect, on numpy arrays.

Conventions (shared with the quant interpreter):

* a stream or tensor value is a numpy array of the mathematical values in
  its normal shape; folding changes the wire format, never the values, so
  it plays no part here;
* integer and bipolar values are np.int64 arrays, bipolar ones -1/+1; float
  streams (what the input quantizer reads) are float32;
* dim 0 is the batch: it may be larger than the IR's 1, and a batch of
  images flows through every op at once (no Python loop over images).

These are the semantics the emitted HLS C++ must match bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
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
from xdsl.ir import Attribute
from xdsl.utils.exceptions import InterpretationError

from qnn_mlir.dialects import dataflow
from qnn_mlir.dialects.quant import BipolarType
from qnn_mlir.ir_constants import dense_to_numpy

EXACT_FLOAT_BOUND = 2**53
"""float64 holds every integer below this exactly: BLAS is exact while sums stay below it."""


def exact_matmul(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """x @ weights over the last axis of x, exact, as int64.

    float64 BLAS when no partial sum can reach 2**53 (max |x| times the largest
    column sum of |w| bounds every partial sum, whatever the summation order);
    numpy's integer matmul otherwise.
    """
    if x.size == 0 or weights.size == 0:
        return np.zeros((*x.shape[:-1], weights.shape[1]), dtype=np.int64)
    bound = int(np.abs(x).max()) * int(np.abs(weights).sum(axis=0).max())
    if bound < EXACT_FLOAT_BOUND:
        product = np.matmul(x.astype(np.float64), weights.astype(np.float64))
        return product.astype(np.int64)
    return np.matmul(x.astype(np.int64), weights.astype(np.int64))


def threshold_count(values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """count[..., c] = #{i : values[..., c] >= thresholds[c or 0, i]}, as int64.

    Integers: the count does not depend on the order of a row, so rows are
    sorted and each count is one binary search (memory stays at one output
    array). Floats (the input quantizer): one float32 comparison per column,
    as `quant.multithreshold` computes it, so NaN reaches no threshold.
    """
    if np.issubdtype(np.asarray(thresholds).dtype, np.floating):
        x = np.asarray(values, dtype=np.float32)
        counts = np.zeros(x.shape, dtype=np.int64)
        for column in np.asarray(thresholds, dtype=np.float32).T:
            counts += x >= column
        return counts
    values = np.asarray(values, dtype=np.int64)
    rows = np.sort(np.asarray(thresholds, dtype=np.int64), axis=1)
    if rows.shape[0] == 1:
        return np.searchsorted(rows[0], values, side="right").astype(np.int64)
    counts = np.empty(values.shape, dtype=np.int64)
    for channel, row in enumerate(rows):
        counts[..., channel] = np.searchsorted(row, values[..., channel], side="right")
    return counts


def activation(counts: np.ndarray, element_type: Attribute, out_bias: int) -> np.ndarray:
    """The output value of a threshold count: 2 * count - 1 if bipolar, else count + out_bias."""
    if isinstance(element_type, BipolarType):
        return 2 * counts - 1
    return counts + out_bias


def stream_values(value: Any, element_type: Attribute) -> np.ndarray:
    """A tensor's values as a stream holds them: float32 for floats, int64 otherwise."""
    array = np.asarray(value)
    if isinstance(element_type, AnyFloat):
        return array.astype(np.float32, copy=False)
    return array.astype(np.int64, copy=False)


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
class DataflowFunctions(InterpreterFunctions):
    """numpy implementations of the dataflow ops."""

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

    @impl(dataflow.MVAUOp)
    def run_mvau(
        self, interpreter: Interpreter, op: dataflow.MVAUOp, args: tuple[Any, ...]
    ) -> PythonValues:
        accumulator = exact_matmul(args[0], op.weight_values())
        if op.xnor is not None:
            # popcount of XNOR of the bit encodings: x . w = 2P - MW
            accumulator = (accumulator + op.MW.value.data) // 2
        if op.thresholds is None:
            return (accumulator,)
        counts = threshold_count(accumulator, dense_to_numpy(op.thresholds))
        return (activation(counts, op.out_type.element_type, op.out_bias.value.data),)

    @impl(dataflow.ThresholdingOp)
    def run_thresholding(
        self, interpreter: Interpreter, op: dataflow.ThresholdingOp, args: tuple[Any, ...]
    ) -> PythonValues:
        counts = threshold_count(args[0], dense_to_numpy(op.thresholds))
        return (activation(counts, op.out_type.element_type, op.out_bias.value.data),)

    @impl(dataflow.LabelSelectOp)
    def run_label_select(
        self, interpreter: Interpreter, op: dataflow.LabelSelectOp, args: tuple[Any, ...]
    ) -> PythonValues:
        scores = np.asarray(args[0], dtype=np.int64)
        # A stable sort of the negated scores: largest first, ties to the lower index.
        order = np.argsort(-scores, axis=-1, kind="stable")
        return (order[..., : op.K.value.data].astype(np.int64),)

    @impl(dataflow.DWCOp)
    def run_dwc(
        self, interpreter: Interpreter, op: dataflow.DWCOp, args: tuple[Any, ...]
    ) -> PythonValues:
        # Re-packing words changes the wire format, never the values.
        return (args[0],)

    @impl(dataflow.ToStreamOp)
    def run_to_stream(
        self, interpreter: Interpreter, op: dataflow.ToStreamOp, args: tuple[Any, ...]
    ) -> PythonValues:
        return (stream_values(args[0], op.output.type.element_type),)

    @impl(dataflow.FromStreamOp)
    def run_from_stream(
        self, interpreter: Interpreter, op: dataflow.FromStreamOp, args: tuple[Any, ...]
    ) -> PythonValues:
        return (args[0],)
