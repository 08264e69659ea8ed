"""`dataflow.reshape`: the same stream under another shape (a flatten), with no hardware."""

from __future__ import annotations

from math import prod
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from xdsl.irdl import irdl_op_definition
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.dialects.dataflow_layers.interface import Folding, HLSCall, StreamLayerOp

if TYPE_CHECKING:
    from qnn_mlir.cost.boards import Board
    from qnn_mlir.cost.resources import Resources


@irdl_op_definition
class ReshapeOp(StreamLayerOp):
    """A stream seen with another shape: the elements and their order are unchanged.

    A stream is its elements in row-major order, so any reshape keeps the words;
    only the vectors its reader sees change (the flatten between the last
    convolution and the first fully connected layer: [1, 5, 5, 16] to
    [1, 400]). The fold is kept and must divide the new innermost dimension, so
    that no word holds elements of two vectors. It is a view: no cycles, no
    resources, and `convert-dataflow-to-hls` connects its reader to its input.
    """

    name = "dataflow.reshape"
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    KIND: ClassVar[str] = "reshape"
    STREAM_VIEW: ClassVar[bool] = True

    def write_fold(self, index: int = 0, folding: Folding | None = None) -> int:
        return self.in_type.fold.data

    def cycles(self, folding: Folding | None = None) -> int:
        return 0

    def resources(self, board: Board, folding: Folding | None = None) -> Resources:
        from qnn_mlir.cost.resources import Resources

        return Resources()

    def interpret(self, inputs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        (x,) = inputs
        return (x.reshape((x.shape[0], *self.out_type.get_shape()[1:])),)

    def lower_to_hls(self, prefix: str) -> HLSCall:
        raise NotImplementedError("a stream view has no template: its reader reads its input")

    def verify_layer(self) -> None:
        in_type, out_type = self.in_type, self.out_type
        if in_type.element_type != out_type.element_type:
            raise VerifyException(
                f"'{self.name}' output element type {out_type.element_type} must equal the "
                f"input element type {in_type.element_type}")
        in_shape, out_shape = in_type.get_shape(), out_type.get_shape()
        if prod(in_shape) != prod(out_shape) or in_shape[0] != out_shape[0]:
            raise VerifyException(
                f"'{self.name}' cannot view {list(in_shape)} as {list(out_shape)}: the batch "
                "dimension and the number of elements must stay")
        fold = in_type.fold.data
        if out_type.fold.data != fold:
            raise VerifyException(
                f"'{self.name}' output fold ({out_type.fold.data}) must equal the input fold "
                f"({fold}): a view keeps the words")
        if out_shape[-1] % fold:
            raise VerifyException(
                f"'{self.name}' fold {fold} does not divide the new innermost dimension "
                f"({out_shape[-1]}): a word would hold elements of two vectors")
