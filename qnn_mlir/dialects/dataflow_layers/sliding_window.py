"""`dataflow.sliding_window`: the line-buffer input generator of a convolution."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from xdsl.dialects.builtin import I64, IntegerAttr
from xdsl.irdl import irdl_op_definition, prop_def

from qnn_mlir.dialects.dataflow_layers.feature_map import WindowOp
from qnn_mlir.dialects.dataflow_layers.interface import Folding, HLSCall
from qnn_mlir.dialects.datatypes import element_bits

if TYPE_CHECKING:
    from qnn_mlir.cost.boards import Board
    from qnn_mlir.cost.resources import Resources


@irdl_op_definition
class SlidingWindowOp(WindowOp):
    """The windows of an NHWC feature map, one window vector per output pixel (im2col).

    Input [1, H, W, C], output [1, OH, OW, KH*KW*C] with OH = (H - KH) / SH + 1
    (floor; padding is a `dataflow.pad` in front). Element (kh*KW + kw)*C + c of
    window (oh, ow) is pixel (oh*SH + kh, ow*SW + kw), channel c: the order of
    `quant.sliding_window`, in which the weights are the MVAU's rows. SIMD
    channels per word in and out (SIMD | C), so every output word is one input
    word: the layer buffers KH + SH rows and copies words out of the buffer.
    """

    name = "dataflow.sliding_window"
    SIMD = prop_def(IntegerAttr[I64])
    assembly_format = (
        "$input `SIMD` $SIMD attr-dict `:` "
        "type($input) `->` type($output)")

    KIND: ClassVar[str] = "sliding_window"
    READ_FOLD_PARAMETER: ClassVar[str | None] = "SIMD"
    WRITE_FOLD_PARAMETER: ClassVar[str | None] = "SIMD"
    HLS_HEADER: ClassVar[str] = "qnn/sliding_window.h"

    def _row_phases(self) -> list[int]:
        """Input rows read while each output row is written (after the first KH)."""
        (kernel_h, _), (stride_h, _) = self.window()
        phases, next_row = [], kernel_h
        for _ in range(self.out_height):
            rows = max(0, min(stride_h, self.in_height - next_row))
            phases.append(rows)
            next_row += rows
        phases[-1] += self.in_height - next_row  # the rows below the last window
        return phases

    def cycles(self, folding: Folding | None = None) -> int:
        """FINN's formula, IFM_W*KH*C/SIMD + OH*max(OW*KH*KW*C/SIMD, SH*IFM_W*C/SIMD),
        counted exactly: the first KH rows fill the buffer; then each output row's
        window words are written while the next SH input rows are read, one word each
        per cycle (the last output row reads only the rows left)."""
        (kernel_h, kernel_w), _ = self.window()
        words = self.channel_words(folding)
        row_words = self.in_width * words
        written = self.out_width * kernel_h * kernel_w * words
        return kernel_h * row_words + sum(max(written, rows * row_words)
                                          for rows in self._row_phases())

    def resources(self, board: Board, folding: Folding | None = None) -> Resources:
        """The line buffer, (KH + SH) rows of IFM_W*C/SIMD words of SIMD elements, and an
        estimate of the address counters and output multiplexer: about 100 LUTs plus two
        per bit of a word."""
        from qnn_mlir.cost.resources import Resources, memory

        (kernel_h, _), (stride_h, _) = self.window()
        simd = self.param("SIMD", folding)
        word_bits = simd * element_bits(self.in_type.element_type)
        depth = (kernel_h + stride_h) * self.in_width * self.channel_words(folding)
        return Resources(lut=100 + 2 * word_bits) + memory(depth, word_bits)

    def interpret(self, inputs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        from qnn_mlir.interpreter.stream_math import sliding_windows_nhwc

        return (sliding_windows_nhwc(inputs[0], *self.window()),)

    def lower_to_hls(self, prefix: str) -> HLSCall:
        """`qnn::sliding_window`: a line buffer of KH + SH rows, one word in and out per
        cycle."""
        (kernel_h, kernel_w), (stride_h, stride_w) = self.window()
        simd = self.param("SIMD")
        args: list[int | str] = [self.in_height, self.in_width, self.channels, kernel_h,
                                 kernel_w, stride_h, stride_w, simd,
                                 element_bits(self.in_type.element_type)]
        return HLSCall("qnn::sliding_window", args, [],
                       f"kernel {kernel_h}x{kernel_w} stride {stride_h}x{stride_w} SIMD "
                       f"{simd}; {self.cycles()} cycle(s) per frame")

    def verify_layer(self) -> None:
        self.check_streams()
        self.check_window()
        kernel_h, kernel_w = self.pair("kernel")
        self.check_channels(kernel_h * kernel_w * self.channels)
