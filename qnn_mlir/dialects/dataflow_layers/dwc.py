"""`dataflow.dwc`: a data width converter between two folds of the same stream."""

from __future__ import annotations

from math import prod
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from xdsl.irdl import irdl_op_definition
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.dialects.dataflow_layers.interface import Folding, HLSCall, StreamLayerOp
from qnn_mlir.dialects.datatypes import element_bits

if TYPE_CHECKING:
    from qnn_mlir.cost.boards import Board
    from qnn_mlir.cost.resources import Resources


@irdl_op_definition
class DWCOp(StreamLayerOp):
    """Data width converter: the same values, re-packed from one fold to another.

    Input and output have the same shape and element type; the folds differ
    and one is a multiple of the other, so each output word is a slice or a
    concatenation of input words (two converters through the least common
    multiple handle any other pair). A frame takes max(words in, words out)
    cycles. Inserted by `dataflow-insert-dwc`, never folded.
    """

    name = "dataflow.dwc"
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    KIND: ClassVar[str] = "dwc"
    ACCEPTS_FLOAT_INPUT: ClassVar[bool] = True
    DERIVED_FROM_FOLDING: ClassVar[bool] = True
    HLS_HEADER: ClassVar[str] = "qnn/dwc.h"

    def cycles(self, folding: Folding | None = None) -> int:
        """One word read or written per cycle: the side with more words counts."""
        return max(self.in_type.words_per_frame, self.out_type.words_per_frame)

    def resources(self, board: Board, folding: Folding | None = None) -> Resources:
        """An estimate: a register as wide as the wider word and a multiplexer (or shift)
        selecting the narrow side, about two LUTs per bit of the wider word."""
        from qnn_mlir.cost.resources import Resources

        return Resources(lut=2 * max(self.in_type.word_bits, self.out_type.word_bits))

    def interpret(self, inputs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        # Re-packing words changes the wire format, never the values.
        return (inputs[0],)

    def lower_to_hls(self, prefix: str) -> HLSCall:
        """`qnn::dwc`: the same elements re-packed from the input fold to the output fold."""
        elements = prod(self.in_type.get_shape())
        in_fold, out_fold = self.in_type.fold.data, self.out_type.fold.data
        args: list[int | str] = [in_fold, out_fold, element_bits(self.in_type.element_type),
                                 elements]
        return HLSCall("qnn::dwc", args, [],
                       f"fold {in_fold} -> {out_fold}; {self.cycles()} cycle(s) per frame")

    def verify_layer(self) -> None:
        in_type, out_type = self.in_type, self.out_type
        if in_type.get_shape() != out_type.get_shape():
            raise VerifyException(
                f"'{self.name}' output shape {list(out_type.get_shape())} must equal the input "
                f"shape {list(in_type.get_shape())}: a converter only re-packs words"
            )
        if in_type.element_type != out_type.element_type:
            raise VerifyException(
                f"'{self.name}' output element type {out_type.element_type} must equal the "
                f"input element type {in_type.element_type}: a converter only re-packs words"
            )
        fold_in, fold_out = in_type.fold.data, out_type.fold.data
        if fold_in == fold_out:
            raise VerifyException(
                f"'{self.name}' input and output fold are both {fold_in}: the converter does "
                "nothing, remove it"
            )
        if max(fold_in, fold_out) % min(fold_in, fold_out):
            raise VerifyException(
                f"'{self.name}' folds {fold_in} and {fold_out} are not multiples of each other: "
                f"convert through their least common multiple with two converters"
            )
