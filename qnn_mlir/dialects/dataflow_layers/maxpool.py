"""`dataflow.maxpool`: max pooling of an NHWC feature map."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from xdsl.dialects.builtin import I64, IntegerAttr
from xdsl.irdl import irdl_op_definition, prop_def
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.dialects.dataflow_layers.feature_map import WindowOp
from qnn_mlir.dialects.dataflow_layers.interface import Folding, HLSCall
from qnn_mlir.dialects.datatypes import BipolarType, element_bits

if TYPE_CHECKING:
    from qnn_mlir.cost.boards import Board
    from qnn_mlir.cost.resources import Resources


@irdl_op_definition
class MaxPoolOp(WindowOp):
    """The maximum of each KH x KW window of an NHWC feature map, per channel.

    Input [1, H, W, C], output [1, OH, OW, C] (floor mode, no padding). Kernels
    equal to the strides and overlapping ones (3x3 with stride 2) alike: the
    layer keeps the running maxima of the ceil(KH / SH) output rows an input
    row can belong to. On bipolar values the maximum is the OR of the bits
    (bit 1 is +1). PE channels per word in and out (PE | C).
    """

    name = "dataflow.maxpool"
    PE = prop_def(IntegerAttr[I64])
    assembly_format = (
        "$input `PE` $PE attr-dict `:` "
        "type($input) `->` type($output)")

    KIND: ClassVar[str] = "maxpool"
    READ_FOLD_PARAMETER: ClassVar[str | None] = "PE"
    WRITE_FOLD_PARAMETER: ClassVar[str | None] = "PE"
    HLS_HEADER: ClassVar[str] = "qnn/maxpool.h"

    def cycles(self, folding: Folding | None = None) -> int:
        """H*W*C/PE words read, then OH*OW*C/PE written, one per cycle each: FINN's
        IFM_W^2 * (1 + 1/k^2) (at PE = C) when the kernel equals the stride."""
        words = self.channel_words(folding)
        return (self.in_height * self.in_width + self.out_height * self.out_width) * words

    def resources(self, board: Board, folding: Folding | None = None) -> Resources:
        """The running maxima, ceil(KH/SH) rows of OW*C/PE words of PE values, and PE
        comparators with their multiplexers (about 2 LUTs per bit), 1.1 for control as
        in FINN-R."""
        from qnn_mlir.cost.resources import Resources, memory

        (kernel_h, _), (stride_h, _) = self.window()
        pe = self.param("PE", folding)
        bits = element_bits(self.in_type.element_type)
        open_rows = -(-kernel_h // stride_h)
        maxima = memory(open_rows * self.out_width * self.channel_words(folding), pe * bits)
        return Resources(lut=round(1.1 * 2 * pe * bits)) + maxima

    def interpret(self, inputs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        from qnn_mlir.interpreter.stream_math import maxpool_nhwc

        return (maxpool_nhwc(inputs[0], *self.window()),)

    def lower_to_hls(self, prefix: str) -> HLSCall:
        """`qnn::maxpool`, with the input's datatype policy (bipolar: OR of the bits)."""
        from qnn_mlir.backends.hls.lowering import datatype_policy

        (kernel_h, kernel_w), (stride_h, stride_w) = self.window()
        pe = self.param("PE")
        args: list[int | str] = [self.in_height, self.in_width, self.channels, kernel_h,
                                 kernel_w, stride_h, stride_w, pe,
                                 datatype_policy(self.in_type.element_type)]
        kind = ", OR of bits" if isinstance(self.in_type.element_type, BipolarType) else ""
        return HLSCall("qnn::maxpool", args, [],
                       f"kernel {kernel_h}x{kernel_w} stride {stride_h}x{stride_w} PE {pe}"
                       f"{kind}; {self.cycles()} cycle(s) per frame")

    def verify_layer(self) -> None:
        self.check_streams()
        self.check_window()
        self.check_channels(self.channels)
        (kernel_h, kernel_w), (stride_h, stride_w) = self.window()
        if stride_h > kernel_h or stride_w > kernel_w:
            raise VerifyException(
                f"'{self.name}' strides {[stride_h, stride_w]} exceed the kernel "
                f"{[kernel_h, kernel_w]}: pixels between the windows would be skipped, which "
                "the layer does not implement")
