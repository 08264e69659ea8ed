"""The QONNX quantizers of the `quant` dialect: int_quant, bipolar_quant, trunc, multithreshold.

Besides the shape rules of every `quant` op, these verifiers check the
*values* of their parameters whenever an `arith.constant` defines them (see
docs/dialects/quant.md, "What the verifiers check"): a scale is finite, > 0,
a normal float32 and small enough that the largest level times it stays
finite; a zero point is a finite integer and one of the levels; thresholds
are not NaN. The importer verifies each op as it builds it, so a bad
parameter in an ONNX file and one in hand-written IR get the same message.
Parameters computed at run time cannot be checked here; quant-to-integer
requires them to be constants.
"""

from __future__ import annotations

from xdsl.dialects.builtin import (
    I64,
    BoolAttr,
    FloatAttr,
    IntegerAttr,
    StringAttr,
    TensorType,
    UnitAttr,
)
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
)
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.dialects.checks import (
    check_broadcastable,
    check_constant_scale,
    check_constant_thresholds,
    check_constant_zero_point,
    check_finite,
    check_result_shape,
    describe_levels,
    int_prop,
    largest_level_magnitude,
    level_bounds,
    shape_of,
)
from qnn_mlir.dialects.datatypes import FINN_DATATYPE, integer_bounds
from qnn_mlir.dialects.quant_base import QuantOp

ROUNDING_MODES = ("ROUND", "CEIL", "FLOOR", "UP", "DOWN", "HALF_UP", "HALF_DOWN")
"""QONNX rounding modes; ROUND is half to even."""

DATA_LAYOUTS = ("NCHW", "NHWC")
"""Where the channel axis is: 1 (NC...) or last (N...C)."""


def check_rounding_mode(op: IRDLOperation) -> None:
    """The op's `rounding_mode` property must be a QONNX rounding mode."""
    mode = op.properties["rounding_mode"].data  # type: ignore[union-attr]
    if mode not in ROUNDING_MODES:
        raise VerifyException(
            f"'{op.name}' rounding_mode '{mode}' is not one of {', '.join(ROUNDING_MODES)}"
        )


def channel_axis(layout: str, rank: int) -> int:
    """The channel axis of a tensor of `rank` in `layout` (rank 2 is always N, C)."""
    return 1 if layout == "NCHW" or rank == 2 else rank - 1


@irdl_op_definition
class IntQuantOp(QuantOp):
    """QONNX `Quant` (IntQuant): uniform fake-quantization.

    y = (clip(round(x / scale + zeropt), min, max) - zeropt) * scale, where
    min/max follow from `bitwidth`, `signed` and `narrow`. A 1-bit signed
    quantizer behaves as bipolar. The bit width is a property (it is a type
    in the integer form); scale and zero point are tensors broadcast to x.
    With `zeropt_after_rounding` the level is clip(round(x / scale) + zeropt),
    the order of ONNX QuantizeLinear (QCDQ exports): with an odd zero point
    the two orders round halves differently.
    """

    name = "quant.int_quant"
    input = operand_def(TensorType)
    scale = operand_def(TensorType)
    zeropt = operand_def(TensorType)
    output = result_def(TensorType)
    bitwidth = prop_def(IntegerAttr[I64])
    signed = prop_def(BoolAttr)
    narrow = prop_def(BoolAttr)
    rounding_mode = prop_def(StringAttr, default_value=StringAttr("ROUND"))
    zeropt_after_rounding = opt_prop_def(UnitAttr)

    def verify_shapes(self) -> None:
        bitwidth = int_prop(self, "bitwidth")
        if not 1 <= bitwidth <= 32:
            raise VerifyException(f"'{self.name}' bitwidth must be in [1, 32], got {bitwidth}")
        check_rounding_mode(self)
        x_shape = shape_of(self.input)
        check_broadcastable(self, "scale", self.scale, x_shape)
        check_broadcastable(self, "zeropt", self.zeropt, x_shape)
        check_result_shape(self, x_shape)
        signed, narrow = bool(self.signed.value.data), bool(self.narrow.value.data)
        low, high = level_bounds(bitwidth, signed, narrow)
        check_constant_zero_point(self, self.zeropt,
                                  (low, high, describe_levels(bitwidth, signed, narrow)))
        check_constant_scale(self, "scale", self.scale,
                             largest_level_magnitude(self.zeropt, low, high))


@irdl_op_definition
class BipolarQuantOp(QuantOp):
    """QONNX `BipolarQuant`: y = scale * (+1 if x >= 0 else -1)."""

    name = "quant.bipolar_quant"
    input = operand_def(TensorType)
    scale = operand_def(TensorType)
    output = result_def(TensorType)

    def verify_shapes(self) -> None:
        x_shape = shape_of(self.input)
        check_broadcastable(self, "scale", self.scale, x_shape)
        check_result_shape(self, x_shape)
        check_constant_scale(self, "scale", self.scale)


@irdl_op_definition
class TruncOp(QuantOp):
    """QONNX `Trunc`: drop low bits of an already quantized value.

    Version 1 shifts by `in_bitwidth - out_bitwidth` bits and keeps `scale`;
    version 2 (present `out_scale` operand) rescales to `out_scale` and
    clips to `out_bitwidth` with `signed`/`narrow`.
    """

    name = "quant.trunc"
    input = operand_def(TensorType)
    scale = operand_def(TensorType)
    zeropt = operand_def(TensorType)
    out_scale = opt_operand_def(TensorType)
    output = result_def(TensorType)
    in_bitwidth = prop_def(IntegerAttr[I64])
    out_bitwidth = prop_def(IntegerAttr[I64])
    rounding_mode = prop_def(StringAttr, default_value=StringAttr("FLOOR"))
    signed = prop_def(BoolAttr, default_value=BoolAttr.from_bool(True))
    narrow = prop_def(BoolAttr, default_value=BoolAttr.from_bool(False))
    assembly_format = (
        "$input `,` $scale `,` $zeropt (`out_scale` $out_scale^)? attr-dict `:` "
        "functional-type(operands, results)"
    )

    def verify_shapes(self) -> None:
        in_bits, out_bits = int_prop(self, "in_bitwidth"), int_prop(self, "out_bitwidth")
        if not 1 <= out_bits <= in_bits <= 64:
            raise VerifyException(
                f"'{self.name}' needs 1 <= out_bitwidth <= in_bitwidth <= 64, "
                f"got out_bitwidth={out_bits}, in_bitwidth={in_bits}"
            )
        check_rounding_mode(self)
        x_shape = shape_of(self.input)
        check_broadcastable(self, "scale", self.scale, x_shape)
        check_broadcastable(self, "zeropt", self.zeropt, x_shape)
        if self.out_scale is not None:
            check_broadcastable(self, "out_scale", self.out_scale, x_shape)
        check_result_shape(self, x_shape)
        # The input is not clipped, so its zero point has no level range to lie in, and
        # v1 outputs values no larger than its input: only v2's out_scale sets a magnitude.
        check_constant_zero_point(self, self.zeropt)
        check_constant_scale(self, "scale", self.scale, largest_level=None)
        if self.out_scale is None:
            return
        low, high = integer_bounds(out_bits, bool(self.signed.value.data),
                                   bool(self.narrow.value.data))
        check_constant_scale(self, "out_scale", self.out_scale,
                             largest_level_magnitude(self.zeropt, low, high))


@irdl_op_definition
class MultiThresholdOp(QuantOp):
    """QONNX/FINN `MultiThreshold`: y[c] = out_scale * #{i : x[c] >= T[c, i]} + out_bias.

    `thresholds` has shape (C, N) or (1, N) (shared by every channel); C is
    the channel axis given by `data_layout`. Each row must be ascending for
    the count to be a quantized activation, which passes rely on but the op
    does not require. `out_dtype` records the FINN datatype of the result
    when the importer knows it (for example "BIPOLAR" or "UINT2").
    """

    name = "quant.multithreshold"
    input = operand_def(TensorType)
    thresholds = operand_def(TensorType)
    output = result_def(TensorType)
    out_scale = prop_def(FloatAttr, default_value=FloatAttr(1.0, 64))
    out_bias = prop_def(FloatAttr, default_value=FloatAttr(0.0, 64))
    data_layout = prop_def(StringAttr, default_value=StringAttr("NCHW"))
    out_dtype = opt_prop_def(StringAttr)

    def verify_shapes(self) -> None:
        check_finite(self, "out_scale")
        check_finite(self, "out_bias")
        if self.out_dtype is not None and not FINN_DATATYPE.match(self.out_dtype.data):
            raise VerifyException(
                f"'{self.name}' out_dtype '{self.out_dtype.data}' is not a FINN datatype "
                "(BIPOLAR, BINARY, TERNARY, INTn, UINTn, FIXED<w,i>, FLOAT32)"
            )
        layout = self.data_layout.data
        if layout not in DATA_LAYOUTS:
            raise VerifyException(
                f"'{self.name}' data_layout '{layout}' is not one of {', '.join(DATA_LAYOUTS)}"
            )
        x_shape = shape_of(self.input)
        t_shape = shape_of(self.thresholds)
        if len(x_shape) < 2:
            raise VerifyException(f"'{self.name}' input must have rank >= 2 (N, C, ...)")
        channels = x_shape[channel_axis(layout, len(x_shape))]
        if len(t_shape) != 2 or t_shape[0] not in (1, channels):
            raise VerifyException(
                f"'{self.name}' thresholds must have shape ({channels}, N) or (1, N) for "
                f"{channels} channels, got {list(t_shape)}"
            )
        check_result_shape(self, x_shape)
        check_constant_thresholds(self, self.thresholds)
