"""The `quant` dialect: quantized neural networks at tensor level.

Two forms of the same dialect appear in a compilation (see docs/dialects/quant.md):

* the QONNX form, right after import: float tensors, fake-quantizers
  (`quant.int_quant`, `quant.bipolar_quant`, `quant.trunc`,
  `quant.multithreshold`) and the float compute ops of the exported graph;
* the integer form, after `quant-to-integer`: element types carry the datatype
  (`si4`, `ui2`, `!quant.bipolar`, ...) so that type inference is datatype
  inference.

Every op is elementwise-broadcasting or has an explicit shape rule; the
verifiers check that the result type is what the rule gives, so a pass that
builds a wrong shape fails at the pass, not at run time. The quantizers, whose
verifiers also check their constant parameters, live in `quant_quantizers.py`;
the ops of a lowered convolution in `quant_windows.py`.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    I64,
    BoolAttr,
    DenseArrayBase,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    Signedness,
    StringAttr,
    TensorType,
    i64,
)
from xdsl.ir import Dialect, SSAValue
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    prop_def,
    result_def,
)
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.dialects.checks import (
    array_prop,
    check_finite,
    check_result_shape,
    check_same_element_type,
    check_window_fits,
    int_prop,
    is_float_tensor,
    shape_of,
    tensor_type,
)
from qnn_mlir.dialects.datatypes import BipolarType, is_quant_element_type
from qnn_mlir.dialects.quant_base import QuantOp
from qnn_mlir.dialects.quant_quantizers import (
    DATA_LAYOUTS,
    ROUNDING_MODES,
    BipolarQuantOp,
    IntQuantOp,
    MultiThresholdOp,
    TruncOp,
    channel_axis,
    check_rounding_mode,
)
from qnn_mlir.dialects.quant_windows import TO_NCHW, TO_NHWC, PadOp, SlidingWindowOp
from qnn_mlir.dialects.shapes import broadcast_shapes, conv_output_size

__all__ = ["DATA_LAYOUTS", "ROUNDING_MODES", "TO_NCHW", "TO_NHWC", "BipolarQuantOp",
           "BipolarType", "IntQuantOp", "MultiThresholdOp", "PadOp", "QuantOp",
           "SlidingWindowOp", "TruncOp", "channel_axis", "check_rounding_mode",
           "is_float_tensor", "is_quant_element_type", "shape_of", "tensor_type"]

# ---------------------------------------------------------------------------
# Compute ops
# ---------------------------------------------------------------------------


class ElementwiseBinaryOp(QuantOp):
    """Numpy/ONNX broadcasting binary op; the result shape is the broadcast shape."""

    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)

    def verify_shapes(self) -> None:
        try:
            expected = broadcast_shapes(shape_of(self.lhs), shape_of(self.rhs))
        except ValueError as err:
            raise VerifyException(f"'{self.name}' operands do not broadcast: {err}") from err
        check_result_shape(self, expected)


@irdl_op_definition
class AddOp(ElementwiseBinaryOp):
    """Elementwise lhs + rhs with broadcasting."""

    name = "quant.add"


@irdl_op_definition
class SubOp(ElementwiseBinaryOp):
    """Elementwise lhs - rhs with broadcasting."""

    name = "quant.sub"


@irdl_op_definition
class MulOp(ElementwiseBinaryOp):
    """Elementwise lhs * rhs with broadcasting."""

    name = "quant.mul"


@irdl_op_definition
class DivOp(ElementwiseBinaryOp):
    """Elementwise lhs / rhs with broadcasting (true division)."""

    name = "quant.div"


@irdl_op_definition
class PowOp(ElementwiseBinaryOp):
    """Elementwise lhs ** rhs with broadcasting (Brevitas TensorNorm uses it)."""

    name = "quant.pow"


@irdl_op_definition
class ReluOp(QuantOp):
    """max(x, 0), elementwise."""

    name = "quant.relu"
    input = operand_def(TensorType)
    output = result_def(TensorType)

    def verify_shapes(self) -> None:
        check_result_shape(self, shape_of(self.input))


@irdl_op_definition
class MatMulOp(QuantOp):
    """Matrix product with numpy semantics: (..., M, K) x (K, N) -> (..., M, N).

    The weight operand is 2-D (K = fan-in, N = output neurons), the layout
    that ONNX MatMul, FINN's MVAU and this project's mvau share.
    """

    name = "quant.matmul"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)

    def verify_shapes(self) -> None:
        a_shape, b_shape = shape_of(self.lhs), shape_of(self.rhs)
        if len(a_shape) < 1:
            raise VerifyException(f"'{self.name}' left operand must have rank >= 1, got a scalar")
        if len(b_shape) != 2:
            raise VerifyException(
                f"'{self.name}' expects a 2-D right operand, got {list(b_shape)}"
            )
        if a_shape[-1] != b_shape[0]:
            raise VerifyException(
                f"'{self.name}' inner dimensions differ: {list(a_shape)} x {list(b_shape)}"
            )
        check_result_shape(self, (*a_shape[:-1], b_shape[1]))


@irdl_op_definition
class XnorPopcountOp(QuantOp):
    """Binarized matrix product: P[j] = #{i : x[i] == w[i, j]} over the fan-in MW.

    `x` is bipolar, `w` holds bits (i1: 1 means +1, 0 means -1), so the bipolar
    dot product is x.w = 2P - MW. The result is an unsigned integer holding [0, MW].
    """

    name = "quant.xnor_popcount"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)

    def verify_shapes(self) -> None:
        x_type, w_type = tensor_type(self.lhs), tensor_type(self.rhs)
        if not isinstance(x_type.element_type, BipolarType):
            raise VerifyException(
                f"'{self.name}' input must be !quant.bipolar, got {x_type.element_type}"
            )
        if w_type.element_type != IntegerType(1):
            raise VerifyException(
                f"'{self.name}' weights must be i1 bits (1 means +1), got {w_type.element_type}"
            )
        x_shape, w_shape = shape_of(self.lhs), shape_of(self.rhs)
        if len(w_shape) != 2 or not x_shape or x_shape[-1] != w_shape[0]:
            raise VerifyException(
                f"'{self.name}' needs x (..., MW) and w (MW, MH), got {list(x_shape)} and "
                f"{list(w_shape)}"
            )
        result = tensor_type(self.result).element_type
        fan_in = w_shape[0]
        if (not isinstance(result, IntegerType)
                or result.signedness.data != Signedness.UNSIGNED
                or (1 << result.width.data) - 1 < fan_in):
            raise VerifyException(
                f"'{self.name}' result must be an unsigned integer holding [0, {fan_in}] "
                f"(at least ui{fan_in.bit_length()}), got {result}"
            )
        check_result_shape(self, (*x_shape[:-1], w_shape[1]))


@irdl_op_definition
class ConvOp(QuantOp):
    """2-D convolution, NCHW, weights (M, C / group, kH, kW), optional bias (M).

    `pads` is [top, left, bottom, right] as in ONNX.
    """

    name = "quant.conv"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    output = result_def(TensorType)
    strides = prop_def(DenseArrayBase)
    pads = prop_def(DenseArrayBase)
    dilations = prop_def(DenseArrayBase)
    group = prop_def(IntegerAttr[I64], default_value=IntegerAttr(1, i64))

    def verify_shapes(self) -> None:
        x_shape, w_shape = shape_of(self.input), shape_of(self.weight)
        if len(x_shape) != 4 or len(w_shape) != 4:
            raise VerifyException(
                f"'{self.name}' expects 4-D input and weight (NCHW, MCkk), got "
                f"{list(x_shape)} and {list(w_shape)}"
            )
        strides, pads = array_prop(self, "strides"), array_prop(self, "pads")
        dilations, group = array_prop(self, "dilations"), int_prop(self, "group")
        if len(strides) != 2 or len(dilations) != 2 or len(pads) != 4:
            raise VerifyException(
                f"'{self.name}' needs 2 strides, 2 dilations and 4 pads, got "
                f"{len(strides)}, {len(dilations)} and {len(pads)}"
            )
        if min(strides) < 1 or min(dilations) < 1 or min(pads) < 0 or group < 1:
            raise VerifyException(
                f"'{self.name}' strides, dilations and group must be >= 1 and pads >= 0"
            )
        channels, out_channels = x_shape[1], w_shape[0]
        if channels % group or out_channels % group or w_shape[1] * group != channels:
            raise VerifyException(
                f"'{self.name}' weight shape {list(w_shape)} does not fit {channels} input "
                f"channels in {group} group(s)"
            )
        if self.bias is not None and shape_of(self.bias) != (out_channels,):
            raise VerifyException(
                f"'{self.name}' bias must have shape [{out_channels}], got "
                f"{list(shape_of(self.bias))}"
            )
        out_h = conv_output_size(x_shape[2], w_shape[2], strides[0], pads[0], pads[2], dilations[0])
        out_w = conv_output_size(x_shape[3], w_shape[3], strides[1], pads[1], pads[3], dilations[1])
        check_window_fits(self, out_h, out_w)
        check_result_shape(self, (x_shape[0], out_channels, out_h, out_w))


@irdl_op_definition
class BatchNormOp(QuantOp):
    """Inference batch normalization over channel axis 1.

    y = (x - mean) / sqrt(var + epsilon) * scale + bias; all four parameters are
    1-D tensors with one value per channel.
    """

    name = "quant.batchnorm"
    input = operand_def(TensorType)
    scale = operand_def(TensorType)
    bias = operand_def(TensorType)
    mean = operand_def(TensorType)
    var = operand_def(TensorType)
    output = result_def(TensorType)
    epsilon = prop_def(FloatAttr, default_value=FloatAttr(1e-5, 32))

    def verify_shapes(self) -> None:
        x_shape = shape_of(self.input)
        if len(x_shape) < 2:
            raise VerifyException(f"'{self.name}' input must have rank >= 2 (N, C, ...)")
        for name, value in (("scale", self.scale), ("bias", self.bias),
                            ("mean", self.mean), ("var", self.var)):
            if shape_of(value) != (x_shape[1],):
                raise VerifyException(
                    f"'{self.name}' {name} must have shape [{x_shape[1]}], got "
                    f"{list(shape_of(value))}"
                )
        if check_finite(self, "epsilon") < 0:
            raise VerifyException(f"'{self.name}' epsilon must be >= 0")
        check_result_shape(self, x_shape)


@irdl_op_definition
class MaxPoolOp(QuantOp):
    """2-D max pooling; `pads` is [top, left, bottom, right]; floor mode.

    `data_layout` NCHW (as imported) or NHWC (channels last, where a lowered
    convolution's output is: quant-canonicalize moves transposes below max pools).
    """

    name = "quant.maxpool"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    kernel_shape = prop_def(DenseArrayBase)
    strides = prop_def(DenseArrayBase)
    pads = prop_def(DenseArrayBase)
    data_layout = prop_def(StringAttr, default_value=StringAttr("NCHW"))

    @property
    def channels_last(self) -> bool:
        return self.data_layout.data == "NHWC"

    def verify_shapes(self) -> None:
        if self.data_layout.data not in DATA_LAYOUTS:
            raise VerifyException(
                f"'{self.name}' data_layout '{self.data_layout.data}' is not one of "
                f"{', '.join(DATA_LAYOUTS)}")
        x_shape = shape_of(self.input)
        if self.channels_last and len(x_shape) == 4:  # the rule below is written for NCHW
            x_shape = (x_shape[0], x_shape[3], x_shape[1], x_shape[2])
        kernel, strides = array_prop(self, "kernel_shape"), array_prop(self, "strides")
        pads = array_prop(self, "pads")
        if len(x_shape) != 4:
            raise VerifyException(f"'{self.name}' expects a 4-D NCHW input, got {list(x_shape)}")
        if len(kernel) != 2 or len(strides) != 2 or len(pads) != 4:
            raise VerifyException(
                f"'{self.name}' needs 2 kernel sizes, 2 strides and 4 pads"
            )
        if min(kernel) < 1 or min(strides) < 1 or min(pads) < 0:
            raise VerifyException(f"'{self.name}' kernel and strides must be >= 1, pads >= 0")
        if max(pads[0], pads[2]) >= kernel[0] or max(pads[1], pads[3]) >= kernel[1]:
            raise VerifyException(
                f"'{self.name}' pads {list(pads)} must be smaller than the kernel {list(kernel)}: "
                "a window made only of padding has no maximum"
            )
        out_h = conv_output_size(x_shape[2], kernel[0], strides[0], pads[0], pads[2], 1)
        out_w = conv_output_size(x_shape[3], kernel[1], strides[1], pads[1], pads[3], 1)
        check_window_fits(self, out_h, out_w)
        check_same_element_type(self, self.input, self.output)
        n, c = x_shape[:2]
        check_result_shape(self, (n, out_h, out_w, c) if self.channels_last
                           else (n, c, out_h, out_w))


@irdl_op_definition
class ReshapeOp(QuantOp):
    """Reshape to the (static) result shape; element count must not change.

    ONNX Reshape and Flatten both import as this op.
    """

    name = "quant.reshape"
    input = operand_def(TensorType)
    output = result_def(TensorType)

    def verify_shapes(self) -> None:
        from math import prod

        in_shape, out_shape = shape_of(self.input), shape_of(self.output)
        check_same_element_type(self, self.input, self.output)
        if prod(in_shape) != prod(out_shape):
            raise VerifyException(
                f"'{self.name}' cannot reshape {list(in_shape)} ({prod(in_shape)} elements) "
                f"to {list(out_shape)} ({prod(out_shape)} elements)"
            )


@irdl_op_definition
class TransposeOp(QuantOp):
    """Permute dimensions: result.shape[i] = input.shape[perm[i]]."""

    name = "quant.transpose"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    perm = prop_def(DenseArrayBase)

    def verify_shapes(self) -> None:
        in_shape, perm = shape_of(self.input), array_prop(self, "perm")
        if sorted(perm) != list(range(len(in_shape))):
            raise VerifyException(
                f"'{self.name}' perm {list(perm)} is not a permutation of "
                f"{len(in_shape)} dimensions"
            )
        check_same_element_type(self, self.input, self.output)
        check_result_shape(self, tuple(in_shape[p] for p in perm))

    @classmethod
    def of(cls, value: SSAValue, perm: Sequence[int]) -> TransposeOp:
        """`value` transposed by `perm`, its result type derived."""
        shape = shape_of(value)
        return cls.build(
            operands=[value], properties={"perm": DenseArrayBase.from_list(i64, list(perm))},
            result_types=[TensorType(tensor_type(value).element_type,
                                     tuple(shape[p] for p in perm))])


@irdl_op_definition
class TopKOp(QuantOp):
    """The k largest (or smallest) values along `axis` and their i64 indices.

    Ties keep the lower index first, as ONNX specifies.
    """

    name = "quant.topk"
    input = operand_def(TensorType)
    values = result_def(TensorType)
    indices = result_def(TensorType)
    k = prop_def(IntegerAttr[I64])
    axis = prop_def(IntegerAttr[I64], default_value=IntegerAttr(-1, i64))
    largest = prop_def(BoolAttr, default_value=BoolAttr.from_bool(True))

    def verify_shapes(self) -> None:
        in_shape = shape_of(self.input)
        k, axis = int_prop(self, "k"), int_prop(self, "axis")
        if not -len(in_shape) <= axis < len(in_shape):
            raise VerifyException(f"'{self.name}' axis {axis} is out of range")
        axis %= len(in_shape)
        if not 1 <= k <= in_shape[axis]:
            raise VerifyException(
                f"'{self.name}' k = {k} must be in [1, {in_shape[axis]}]"
            )
        expected = tuple(k if i == axis else d for i, d in enumerate(in_shape))
        check_same_element_type(self, self.input, self.values)
        check_result_shape(self, expected, 0)
        check_result_shape(self, expected, 1)
        if tensor_type(self.indices).element_type != i64:
            raise VerifyException(f"'{self.name}' indices must be i64")


Quant = Dialect(
    "quant",
    [
        IntQuantOp,
        BipolarQuantOp,
        TruncOp,
        MultiThresholdOp,
        AddOp,
        SubOp,
        MulOp,
        DivOp,
        PowOp,
        ReluOp,
        MatMulOp,
        XnorPopcountOp,
        ConvOp,
        BatchNormOp,
        MaxPoolOp,
        PadOp,
        SlidingWindowOp,
        ReshapeOp,
        TransposeOp,
        TopKOp,
    ],
    [BipolarType],
)


LAYOUT_OPS = (ReshapeOp, TransposeOp, MaxPoolOp, SlidingWindowOp)
"""Ops that move or select values without computing: they keep the element type, and a
positive scale commutes with them."""
