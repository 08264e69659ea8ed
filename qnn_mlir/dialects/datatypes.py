"""Element datatypes shared by the dialects, the passes and the interpreter.

Element types carry the datatype of a tensor or stream: builtin integers
(`si4`, `ui2`, `i32`; signless counts as signed), `!quant.bipolar` for {-1, +1}
and floats where values are still real. This module holds the type of bipolar
elements and the arithmetic on element types (value ranges, bits on the wire).
"""

from __future__ import annotations

import re

from xdsl.dialects.builtin import AnyFloat, IntegerType, Signedness
from xdsl.ir import Attribute, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import irdl_attr_definition


@irdl_attr_definition
class BipolarType(ParametrizedAttribute, TypeAttribute):
    """The element type of {-1, +1} values, stored as one bit (0 means -1)."""

    name = "quant.bipolar"


def is_quant_element_type(element_type: Attribute) -> bool:
    """True for the element types a quant tensor may hold."""
    return isinstance(element_type, IntegerType | BipolarType) or isinstance(
        element_type, AnyFloat
    )


FINN_DATATYPE = re.compile(
    r"^(BIPOLAR|BINARY|TERNARY|U?INT\d+|FLOAT(16|32)|FIXED<\d+,\d+>|SCALEDINT<\d+>)$"
)
"""FINN datatype names that may appear in out_dtype / finn_datatype annotations."""


def integer_bounds(bitwidth: int, signed: bool, narrow: bool = False) -> tuple[int, int]:
    """[min, max] of a `bitwidth`-bit integer; `narrow` drops the most negative value
    (signed) or the top value (unsigned), as QONNX defines it."""
    if signed:
        low, high = -(1 << (bitwidth - 1)), (1 << (bitwidth - 1)) - 1
        return (low + 1 if narrow else low), high
    return 0, ((1 << bitwidth) - 2 if narrow else (1 << bitwidth) - 1)


def integer_range(element_type: IntegerType) -> tuple[int, int]:
    """The values an integer type holds; signless types count as signed."""
    unsigned = element_type.signedness.data == Signedness.UNSIGNED
    return integer_bounds(element_type.width.data, signed=not unsigned)


def element_range(element_type: Attribute) -> tuple[int, int] | None:
    """[min, max] of an integer or bipolar element type; None for floats."""
    if isinstance(element_type, BipolarType):
        return -1, 1
    if isinstance(element_type, IntegerType):
        return integer_range(element_type)
    return None


def element_bits(element_type: Attribute) -> int:
    """Bits per element on the wire: 1 for bipolar, the width otherwise."""
    if isinstance(element_type, BipolarType):
        return 1
    if isinstance(element_type, IntegerType):
        return element_type.width.data
    return element_type.bitwidth  # type: ignore[attr-defined]


def smallest_type_for(low: int, high: int) -> str:
    """The narrowest `uiN`/`siN` spelling holding [low, high], for hints in messages."""
    if low >= 0:
        return f"ui{max(high.bit_length(), 1)}"
    bits = max((-low - 1).bit_length(), high.bit_length()) + 1
    return f"si{bits}"


def integer_type_for(low: int, high: int) -> IntegerType:
    """The narrowest unsigned (if low >= 0) or signed integer type holding [low, high]."""
    if low >= 0:
        return IntegerType(max(int(high).bit_length(), 1), Signedness.UNSIGNED)
    bits = max((-int(low) - 1).bit_length(), int(high).bit_length()) + 1
    return IntegerType(bits, Signedness.SIGNED)


def value_range(element_type: Attribute) -> tuple[int, int]:
    """[min, max] of an integer or bipolar element type; raises for floats."""
    bounds = element_range(element_type)
    if bounds is None:
        raise ValueError(f"{element_type} is not an integer or bipolar type")
    return bounds


def padded_element_type(element_type: Attribute, value: float) -> Attribute | None:
    """The element type of a tensor of `element_type` padded with `value`: itself when it
    holds the value, si2 for a bipolar tensor padded with 0 (a padded binarized layer
    computes on {-1, 0, +1}), None when neither holds it (floats: themselves)."""
    bounds = element_range(element_type)
    if bounds is None:
        return element_type
    if value != int(value):
        return None
    if isinstance(element_type, BipolarType):
        return element_type if value in (-1, 1) else (
            integer_type_for(-1, 1) if value == 0 else None)
    return element_type if bounds[0] <= value <= bounds[1] else None
