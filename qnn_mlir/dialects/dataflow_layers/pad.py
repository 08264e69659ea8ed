"""`dataflow.pad`: constant spatial padding of an NHWC feature map."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from xdsl.dialects.builtin import I64, DenseArrayBase, IntegerAttr, i64
from xdsl.irdl import irdl_op_definition, prop_def
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.dialects.dataflow_layers.feature_map import FeatureMapOp
from qnn_mlir.dialects.dataflow_layers.interface import Folding, HLSCall, int_prop
from qnn_mlir.dialects.datatypes import (
    BipolarType,
    element_bits,
    element_range,
    padded_element_type,
)

if TYPE_CHECKING:
    from qnn_mlir.cost.boards import Board
    from qnn_mlir.cost.resources import Resources


@irdl_op_definition
class PadOp(FeatureMapOp):
    """An NHWC feature map with `pads` = [top, left, bottom, right] pixels of `value` around
    it (a value of the element type; on a bipolar stream -1 or +1, or 0, which makes the
    output si2: a zero-padded binarized convolution computes on {-1, 0, +1}).

    Output [1, H + top + bottom, W + left + right, C]; SIMD channels per word in
    and out. One output word per cycle: OH*OW*C/SIMD cycles per frame.
    """

    name = "dataflow.pad"
    pads = prop_def(DenseArrayBase)
    value = prop_def(IntegerAttr[I64], default_value=IntegerAttr(0, i64))
    SIMD = prop_def(IntegerAttr[I64])
    assembly_format = (
        "$input `SIMD` $SIMD attr-dict `:` type($input) `->` type($output)")

    KIND: ClassVar[str] = "pad"
    READ_FOLD_PARAMETER: ClassVar[str | None] = "SIMD"
    WRITE_FOLD_PARAMETER: ClassVar[str | None] = "SIMD"
    HLS_HEADER: ClassVar[str] = "qnn/pad.h"

    @property
    def padding(self) -> tuple[int, int, int, int]:
        values = tuple(self.pads.get_values())
        return values  # type: ignore[return-value]

    def cycles(self, folding: Folding | None = None) -> int:
        """One output word per cycle (a padding word or the next input word)."""
        return self.out_height * self.out_width * self.channel_words(folding)

    def resources(self, board: Board, folding: Folding | None = None) -> Resources:
        """An estimate: row and column counters and a word-wide multiplexer between the
        input and the padding word, about 50 LUTs plus one per bit of a word."""
        from qnn_mlir.cost.resources import Resources

        bits = self.param("SIMD", folding) * element_bits(self.out_type.element_type)
        return Resources(lut=50 + bits)

    def interpret(self, inputs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        from qnn_mlir.interpreter.stream_math import pad_nhwc

        return (pad_nhwc(inputs[0], self.padding, int_prop(self.value)),)

    def lower_to_hls(self, prefix: str) -> HLSCall:
        """`qnn::pad`: the padding word is SIMD copies of the value's bits; input words are
        re-encoded when the output type is wider (bipolar to si2)."""
        from qnn_mlir.backends.hls.lowering import datatype_policy

        top, left, bottom, right = self.padding
        value, simd = int_prop(self.value), self.param("SIMD")
        args: list[int | str] = [self.in_height, self.in_width, self.channels, top, left,
                                 bottom, right, simd,
                                 datatype_policy(self.in_type.element_type),
                                 datatype_policy(self.out_type.element_type), value]
        return HLSCall("qnn::pad", args, [],
                       f"pads {list(self.padding)} of {value}, SIMD {simd}; "
                       f"{self.cycles()} cycle(s) per frame")

    def verify_layer(self) -> None:
        element, value = self.in_type.element_type, int_prop(self.value)
        if isinstance(element, BipolarType) and value not in (-1, 0, 1):
            raise VerifyException(
                f"'{self.name}' cannot pad a !quant.bipolar stream with {value}: it holds "
                "only -1 and +1 (0 pads it into si2)")
        out_element = padded_element_type(element, value)
        if out_element is None:
            low, high = element_range(element)  # type: ignore[misc]
            raise VerifyException(
                f"'{self.name}' pad value {value} is not a value of {element} ([{low}, {high}])")
        self.check_streams(out_element)
        pads = self.padding
        if len(pads) != 4 or min(pads) < 0:
            raise VerifyException(
                f"'{self.name}' needs 4 pads >= 0 ([top, left, bottom, right]), got {list(pads)}")
        top, left, bottom, right = pads
        expected = (self.in_height + top + bottom, self.in_width + left + right)
        if (self.out_height, self.out_width) != expected:
            raise VerifyException(
                f"'{self.name}' output is {self.out_height}x{self.out_width} pixels; pads "
                f"{list(pads)} on {self.in_height}x{self.in_width} give "
                f"{expected[0]}x{expected[1]}")
        self.check_channels(self.channels)
