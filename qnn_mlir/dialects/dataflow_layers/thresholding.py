"""`dataflow.thresholding`: a multi-threshold activation on a stream, and the threshold
rules it shares with the MVAU's thresholded output."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    I64,
    AnyFloat,
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    IntegerType,
    i64,
)
from xdsl.ir import Attribute
from xdsl.irdl import IRDLOperation, irdl_op_definition, prop_def
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.dialects.dataflow_layers.interface import (
    Folding,
    FoldingParameter,
    HLSCall,
    StreamLayerOp,
    int_prop,
)
from qnn_mlir.dialects.datatypes import (
    BipolarType,
    element_bits,
    integer_range,
    smallest_type_for,
)
from qnn_mlir.ir_constants import dense_to_numpy

if TYPE_CHECKING:
    from qnn_mlir.cost.boards import Board
    from qnn_mlir.cost.resources import Resources


def check_thresholds(op: IRDLOperation, thresholds: DenseIntOrFPElementsAttr, channels: int,
                     per: str, float_type: Attribute | None = None) -> int:
    """Shape (channels, N) or (1, N), ascending rows; returns N.

    Thresholds are integers, or of `float_type` when the input is float (the
    input quantizer), then without NaN.
    """
    shape = tuple(thresholds.get_shape())
    if len(shape) != 2 or shape[0] not in (1, channels) or shape[1] < 1:
        raise VerifyException(
            f"'{op.name}' thresholds must have shape [{channels}, N] or [1, N] "
            f"(one row per {per} or one shared row), got {list(shape)}"
        )
    element = thresholds.get_element_type()
    if float_type is not None and element != float_type:
        raise VerifyException(
            f"'{op.name}' thresholds of a {float_type} input must be {float_type}, got "
            f"{element}: x >= T compares in the input's float type"
        )
    if float_type is None and not isinstance(element, IntegerType):
        raise VerifyException(
            f"'{op.name}' thresholds must have an integer element type, got "
            f"{element}: round them with ceil in the input's domain"
        )
    values = dense_to_numpy(thresholds)
    if float_type is not None and np.isnan(values).any():
        raise VerifyException(f"'{op.name}' thresholds must not be NaN")
    steps = np.diff(values.astype(np.float64 if float_type else np.int64), axis=1)
    bad = np.argwhere(steps < 0)
    if bad.size:
        row, col = (int(v) for v in bad[0])
        raise VerifyException(
            f"'{op.name}' thresholds row {row} is not ascending (T[{row}, {col}] = "
            f"{values[row, col]} > T[{row}, {col + 1}] = {values[row, col + 1]}): sort each row"
        )
    return shape[1]


def check_activation_output(op: IRDLOperation, element_type: Attribute, steps: int,
                            out_bias: int) -> None:
    """The output datatype of a threshold count with `steps` thresholds and `out_bias`."""
    if isinstance(element_type, BipolarType):
        if steps != 1 or out_bias != 0:
            raise VerifyException(
                f"'{op.name}' a !quant.bipolar output is 2 * count - 1 and needs exactly one "
                f"threshold per channel and out_bias 0, got N = {steps}, out_bias = {out_bias}"
            )
        return
    if not isinstance(element_type, IntegerType):
        raise VerifyException(
            f"'{op.name}' output element type must be an integer or !quant.bipolar, "
            f"got {element_type}"
        )
    low, high = integer_range(element_type)
    if out_bias < low or out_bias + steps > high:
        raise VerifyException(
            f"'{op.name}' activation range [out_bias, out_bias + N] = [{out_bias}, "
            f"{out_bias + steps}] does not fit the output element type {element_type} "
            f"[{low}, {high}]: use {smallest_type_for(out_bias, out_bias + steps)} or change "
            "out_bias"
        )


@irdl_op_definition
class ThresholdingOp(StreamLayerOp):
    """Multi-threshold activation on a stream of C channels (innermost dim), PE per cycle.

    y[c] = count + out_bias (integer output) or 2 * count - 1 (bipolar output),
    count = #{i : x[c] >= T[c, i]}; thresholds are C x N or 1 x N. A frame
    takes vectors * C / PE cycles. An integer or bipolar input has integer
    thresholds; an f32 input (the input quantizer: float in, integer out) has
    f32 thresholds, compared in f32 exactly as `quant.multithreshold` does.
    """

    name = "dataflow.thresholding"
    PE = prop_def(IntegerAttr[I64])
    thresholds = prop_def(DenseIntOrFPElementsAttr)
    out_bias = prop_def(IntegerAttr[I64], default_value=IntegerAttr(0, i64))
    assembly_format = "$input `PE` $PE attr-dict `:` type($input) `->` type($output)"

    KIND: ClassVar[str] = "thresholding"
    ACCEPTS_FLOAT_INPUT: ClassVar[bool] = True
    READ_FOLD_PARAMETER: ClassVar[str | None] = "PE"
    WRITE_FOLD_PARAMETER: ClassVar[str | None] = "PE"
    HLS_HEADER: ClassVar[str] = "qnn/thresholding.h"

    def folding_parameters(self) -> list[FoldingParameter]:
        return [FoldingParameter("PE", "channels", self.channels)]

    @property
    def steps(self) -> int:
        """Thresholds per channel, N."""
        return self.thresholds.get_shape()[1]

    def cycles(self, folding: Folding | None = None) -> int:
        """vectors * C / PE: PE channels per cycle."""
        return self.vectors * self.channels // self.param("PE", folding)

    def resources(self, board: Board, folding: Folding | None = None) -> Resources:
        """PE lanes of N comparators on the input's bits (FINN-R's comp term, with its 1.1
        for control), and the threshold memory: C / PE words of N thresholds per lane, in
        LUTRAM when shallow, else BRAM."""
        from qnn_mlir.cost.resources import Resources, memory

        pe = self.param("PE", folding)
        compared = element_bits(self.in_type.element_type)
        comparators = Resources(lut=round(1.1 * pe * self.steps * compared))
        return comparators + memory(self.channels // pe, self.steps * compared, copies=pe)

    def interpret(self, inputs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """`qnn_runtime.host_ops.thresholding` (interpreter/host_calls.py): the same code
        as the deployed host code's."""
        from qnn_mlir.interpreter.host_calls import run_layer

        return run_layer(self, inputs)

    def lower_to_hls(self, prefix: str) -> HLSCall:
        """`qnn::thresholding`: the activation alone, PE channels per word."""
        from qnn_mlir.backends.hls.lowering import datatype_policy, threshold_activation

        channels, pe = self.channels, int_prop(self.PE)
        rom, activation, summary = threshold_activation(
            prefix, self.thresholds, channels, self.in_type.element_type,
            self.out_type.element_type, int_prop(self.out_bias))
        args: list[int | str] = [channels, pe, self.vectors,
                                 datatype_policy(self.in_type.element_type)]
        return HLSCall("qnn::thresholding", args + activation, [rom],
                       f"C {channels} PE {pe}, {summary}; {self.cycles()} cycle(s) per frame")

    def verify_layer(self) -> None:
        pe = int_prop(self.PE)
        self._check_positive(PE=pe)
        self._check_multiple("channels", self.channels, "PE", pe)
        self._check_output(self.channels, "the input channels", pe, f"PE ({pe})",
                           "thresholding writes PE channels per word")
        in_element = self.in_type.element_type
        float_type = in_element if isinstance(in_element, AnyFloat) else None
        steps = check_thresholds(self, self.thresholds, self.channels, "channel", float_type)
        check_activation_output(self, self.out_type.element_type, steps,
                                int_prop(self.out_bias))
