"""`dataflow.label_select`: top-K class indices of a stream of scores."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from xdsl.dialects.builtin import I64, IntegerAttr, IntegerType
from xdsl.irdl import irdl_op_definition, prop_def
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.dialects.dataflow_layers.interface import (
    Folding,
    FoldingParameter,
    HLSCall,
    StreamLayerOp,
    int_prop,
)
from qnn_mlir.dialects.datatypes import element_bits, integer_range, smallest_type_for

if TYPE_CHECKING:
    from qnn_mlir.cost.boards import Board
    from qnn_mlir.cost.resources import Resources


@irdl_op_definition
class LabelSelectOp(StreamLayerOp):
    """Top-K: the indices of the K largest of `Labels` scores, largest first.

    Ties go to the lower index first. The input is read PE scores per word
    (Labels / PE cycles per frame); the output is K indices, one per word.
    """

    name = "dataflow.label_select"
    K = prop_def(IntegerAttr[I64])
    PE = prop_def(IntegerAttr[I64])
    assembly_format = "$input `K` $K `PE` $PE attr-dict `:` type($input) `->` type($output)"

    KIND: ClassVar[str] = "label_select"
    READ_FOLD_PARAMETER: ClassVar[str | None] = "PE"
    HLS_HEADER: ClassVar[str] = "qnn/label_select.h"

    def write_fold(self, index: int = 0, folding: Folding | None = None) -> int:
        return 1

    def folding_parameters(self) -> list[FoldingParameter]:
        return [FoldingParameter("PE", "Labels", self.channels)]

    def cycles(self, folding: Folding | None = None) -> int:
        """Labels / PE per vector: PE scores read per cycle."""
        return self.vectors * self.channels // self.param("PE", folding)

    def resources(self, board: Board, folding: Folding | None = None) -> Resources:
        """An estimate (FINN-R has none): PE score comparators, and a sorted list of K
        (score, index) entries each with a comparator and a shift multiplexer, about one
        LUT per bit; 1.1 for control as in FINN-R."""
        from qnn_mlir.cost.resources import Resources

        score_bits = element_bits(self.in_type.element_type)
        index_bits = max((self.channels - 1).bit_length(), 1)
        entries = 2 * int_prop(self.K) * (score_bits + index_bits)
        return Resources(lut=round(1.1 * (self.param("PE", folding) * score_bits + entries)))

    def interpret(self, inputs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """`qnn_runtime.host_ops.label_select` (interpreter/host_calls.py)."""
        from qnn_mlir.interpreter.host_calls import run_layer

        return run_layer(self, inputs)

    def lower_to_hls(self, prefix: str) -> HLSCall:
        """`qnn::label_select`: top-K indices, one per output word."""
        from qnn_mlir.backends.hls.lowering import datatype_policy

        labels, pe, k = self.channels, int_prop(self.PE), int_prop(self.K)
        args: list[int | str] = [labels, pe, k, self.vectors,
                                 datatype_policy(self.in_type.element_type),
                                 element_bits(self.out_type.element_type)]
        return HLSCall("qnn::label_select", args, [],
                       f"Labels {labels} PE {pe} K {k}; {self.cycles()} cycle(s) per frame")

    def verify_layer(self) -> None:
        k, pe = int_prop(self.K), int_prop(self.PE)
        self._check_positive(K=k, PE=pe)
        labels = self.channels
        self._check_multiple("Labels", labels, "PE", pe)
        if k > labels:
            raise VerifyException(f"'{self.name}' K ({k}) exceeds the number of labels ({labels})")
        self._check_output(k, "K", 1, "1", "label_select writes one index per word")
        out_element = self.out_type.element_type
        if not isinstance(out_element, IntegerType) or integer_range(out_element)[1] < labels - 1:
            raise VerifyException(
                f"'{self.name}' output element type {out_element} cannot hold label indices "
                f"0..{labels - 1}: use an integer type such as i32 or "
                f"{smallest_type_for(0, labels - 1)}"
            )
