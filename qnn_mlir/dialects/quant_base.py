"""The base class of every `quant` op, apart from the dialect so that op files can share it."""

from __future__ import annotations

from xdsl.irdl import IRDLOperation, ParsePropInAttrDict, traits_def
from xdsl.traits import Pure

from qnn_mlir.dialects.checks import check_element_types


class QuantOp(IRDLOperation):
    """Common to all quant ops: pure, generic assembly format (properties in the
    attribute dictionary), verification of element types, then `verify_shapes`."""

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "operands attr-dict `:` functional-type(operands, results)"

    def verify_(self) -> None:
        check_element_types(self)
        self.verify_shapes()

    def verify_shapes(self) -> None:
        """Check the op's shape rule; overridden per op."""
