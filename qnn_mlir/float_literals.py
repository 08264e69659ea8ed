"""Hexadecimal float literals in dense attributes, read as MLIR defines them.

MLIR (and xDSL's printer) writes a non-finite float element as its bit pattern:
`dense<[1.5, 0x7f800000]> : tensor<2xf32>` holds 1.5 and +inf. xDSL 0.74's
parser reads such a literal as the integer 2139095040 converted to float, so an
infinite threshold, or NaN, changed value on every trip through a file. This
module makes `to_type` read a hexadecimal literal of a float element type as the
bits of that type; importing it once installs the rule (diagnostics.py does).
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import AnyFloat
from xdsl.parser.attribute_parser import AttrParser

_Element = AttrParser._TensorLiteralElement
_xdsl_to_type = _Element.to_type

_FLOAT_OF_WIDTH = {16: np.float16, 32: np.float32, 64: np.float64}


def _to_type(self, parser, type):  # noqa: A002 - xDSL's parameter name
    text = self.span.text.lower()
    if isinstance(type, AnyFloat) and text.startswith("0x") and isinstance(self.value, int):
        width = type.bitwidth
        if width not in _FLOAT_OF_WIDTH or not 0 <= self.value < 1 << width:
            parser.raise_error(f"hexadecimal literal {self.span.text} is not the bit pattern "
                               f"of a {width}-bit float", at_position=self.span)
        bits = np.array(self.value, dtype=f"<u{width // 8}")
        return float(bits.view(_FLOAT_OF_WIDTH[width]))
    return _xdsl_to_type(self, parser, type)


_Element.to_type = _to_type
