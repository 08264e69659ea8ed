"""The `!dataflow.stream` type and the folding arithmetic the dataflow ops share.

A stream carries the values of a tensor of a fixed normal shape, `fold`
elements of the innermost dimension per word. This module holds the type,
its well-formedness rule, and the divisor helpers that every folding message
and the folding passes use (see docs/dialects/dataflow.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

from xdsl.dialects.builtin import ArrayAttr, IntAttr, TensorType
from xdsl.ir import Attribute, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.dialects.datatypes import element_bits, is_quant_element_type


def divisors(n: int) -> list[int]:
    """The divisors of n >= 1, ascending: the legal PE/SIMD/fold values for a dimension n."""
    small = [d for d in range(1, int(n**0.5) + 1) if n % d == 0]
    return sorted({*small, *(n // d for d in small)})


def divisors_hint(n: int) -> str:
    """The first divisors of n as text for a diagnostic ("1, 2, 4, 7, ...")."""
    shown = divisors(n)
    return ", ".join(map(str, shown[:16])) + (", ..." if len(shown) > 16 else "")


def stream_type_problem(shape: Sequence[int], element_type: Attribute, fold: int) -> str | None:
    """Why (shape, element type, fold) is not a stream type, or None if it is one."""
    if not shape or min(shape) < 1:
        return (
            f"'!dataflow.stream' shape {'x'.join(str(d) if d >= 0 else '?' for d in shape)} "
            "must be static, non-empty and have "
            "every dim >= 1"
        )
    if not is_quant_element_type(element_type):
        return (
            f"'!dataflow.stream' element type {element_type} is not supported: expected an "
            "integer (si4, ui2, i32, ...), !quant.bipolar or a float"
        )
    if fold < 1 or shape[-1] % fold:
        return (
            f"'!dataflow.stream' fold ({fold}) must be >= 1 and divide the innermost dimension "
            f"({shape[-1]}): choose among {divisors_hint(shape[-1])}"
        )
    return None


@irdl_attr_definition
class StreamType(ParametrizedAttribute, TypeAttribute):
    """A FINN-style stream: `!dataflow.stream<1x784x!quant.bipolar, 49>`.

    The shape is the normal (unfolded) tensor shape including the batch dim 1,
    the element type the datatype of each value, and `fold` the number of
    elements of the innermost dimension carried by one stream word (the PE of
    its producer). One frame is `prod(shape) / fold` words of
    `fold * element_bits` bits each.
    """

    name = "dataflow.stream"

    shape: ArrayAttr[IntAttr]
    element_type: Attribute
    fold: IntAttr

    def __init__(self, element_type: Attribute, shape: Sequence[int], fold: int):
        super().__init__(ArrayAttr([IntAttr(d) for d in shape]), element_type, IntAttr(fold))

    def get_shape(self) -> tuple[int, ...]:
        """The normal shape, batch dim included."""
        return tuple(d.data for d in self.shape.data)

    @property
    def word_bits(self) -> int:
        """Bits of one stream word (before any padding to whole bytes)."""
        return self.fold.data * element_bits(self.element_type)

    @property
    def words_per_frame(self) -> int:
        """Stream words per frame (one image): the transfer cycles of the stream."""
        return prod(self.get_shape()) // self.fold.data

    def with_fold(self, fold: int) -> StreamType:
        """The same stream carried `fold` elements per word."""
        return StreamType(self.element_type, self.get_shape(), fold)

    def verify(self) -> None:
        if problem := stream_type_problem(self.get_shape(), self.element_type, self.fold.data):
            raise VerifyException(problem)

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        start = parser.pos
        with parser.in_angle_brackets():
            shape, element_type = parser.parse_ranked_shape()
            parser.parse_punctuation(",", " between the stream shape and its fold")
            fold = parser.parse_integer(allow_boolean=False, allow_negative=False)
        if problem := stream_type_problem(shape, element_type, fold):
            parser.raise_error(problem, start, parser.pos)
        return (ArrayAttr([IntAttr(d) for d in shape]), element_type, IntAttr(fold))

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_dimension_list(self.get_shape())
            printer.print_string("x")
            printer.print_attribute(self.element_type)
            printer.print_string(f", {self.fold.data}")


def same_data(stream: Attribute, tensor: Attribute) -> bool:
    """True if `stream` carries exactly the values of `tensor` (same shape and element type)."""
    return (
        isinstance(stream, StreamType)
        and isinstance(tensor, TensorType)
        and stream.get_shape() == tuple(tensor.get_shape())
        and stream.element_type == tensor.element_type
    )
