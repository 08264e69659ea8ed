"""One converter per supported ONNX/QONNX op type: ONNX node -> quant ops.

A converter takes a `NodeView` and returns the SSA values of the node's
outputs, in order. Anything it cannot translate faithfully raises
`ConversionError` with a message that says what is wrong and what is
supported; the importer prefixes it with the node's name and op type.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import onnx
from xdsl.dialects.builtin import (
    BoolAttr,
    DenseArrayBase,
    FloatAttr,
    IntegerAttr,
    StringAttr,
    TensorType,
    UnitAttr,
    f32,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue

from qnn_mlir.dialects import quant

if TYPE_CHECKING:
    from qnn_mlir.frontend.onnx_importer import OnnxImporter


class ConversionError(Exception):
    """A node that cannot be translated; the message says why and what to do."""


class NodeView:
    """A node plus the importer state a converter needs."""

    def __init__(self, node: onnx.NodeProto, importer: OnnxImporter):
        self.node = node
        self.importer = importer
        self.attrs: dict[str, Any] = {
            a.name: onnx.helper.get_attribute_value(a) for a in node.attribute
        }

    def check_attributes(self, allowed: dict[str, Callable[[Any], bool]]) -> None:
        """Every attribute must be known and pass its check (e.g. `dilations == [1, 1]`)."""
        for name, value in self.attrs.items():
            check = allowed.get(name)
            if check is None:
                raise ConversionError(
                    f"unsupported attribute '{name}' = {_show(value)}; supported attributes: "
                    f"{', '.join(sorted(allowed)) or 'none'}"
                )
            if not check(value):
                raise ConversionError(f"unsupported value {_show(value)} of attribute '{name}'")

    def attr(self, name: str, default: Any = None) -> Any:
        """The attribute's value (strings decoded), or `default` when it is absent."""
        value = self.attrs.get(name, default)
        if not isinstance(value, bytes):
            return value
        try:
            return value.decode()
        except UnicodeDecodeError as error:  # ONNX stores string attributes as raw bytes
            raise ConversionError(f"attribute '{name}' = {value!r} is not UTF-8 text") from error

    def num_inputs(self) -> int:
        """Number of inputs, not counting trailing empty (omitted optional) ones."""
        names = list(self.node.input)
        while names and not names[-1]:
            names.pop()
        return len(names)

    def input(self, index: int) -> SSAValue:
        if index >= self.num_inputs() or not self.node.input[index]:
            raise ConversionError(f"missing input {index}")
        role = _INPUT_ROLES.get(self.node.op_type, ())
        hint = f"{self.node.name}_{role[index] if index < len(role) else f'in{index}'}"
        return self.importer.value(self.node.input[index], hint)

    def constant_input(self, index: int, what: str) -> np.ndarray:
        """An input that must be an initializer (a bit width, a shape, K)."""
        if index >= self.num_inputs():
            raise ConversionError(f"missing input {index} ({what})")
        array = self.importer.initializer_array(self.node.input[index])
        if array is None:
            raise ConversionError(
                f"input {index} ({what}) must be a constant initializer, but "
                f"'{self.node.input[index]}' is computed at run time"
            )
        return array

    def result_type(self, index: int = 0, element_type: Attribute = f32) -> TensorType:
        return self.importer.tensor_type(self.node.output[index], element_type)

    def emit(self, op: Operation) -> Sequence[SSAValue]:
        self.importer.insert(op)
        return op.results

    def emit_constant(self, array: np.ndarray, suffix: str) -> SSAValue:
        return self.importer.constant(np.asarray(array), f"{self.node.name}_{suffix}")


_INPUT_ROLES: dict[str, tuple[str, ...]] = {
    "Quant": ("x", "scale", "zeropt", "bitwidth"),
    "BipolarQuant": ("x", "scale"),
    "Trunc": ("x", "scale", "zeropt", "in_bitwidth", "out_scale"),
    "MultiThreshold": ("x", "thresholds"),
    "Conv": ("x", "weight", "bias"),
    "Gemm": ("a", "b", "c"),
    "BatchNormalization": ("x", "scale", "bias", "mean", "var"),
}
"""Names of node inputs, used to name constants that have no meaningful ONNX name."""


def _show(value: Any) -> str:
    return repr(value.decode(errors="replace") if isinstance(value, bytes) else value)


def _any(_value: Any) -> bool:
    return True


def _is_string(value: Any) -> bool:
    return isinstance(value, bytes | str)


def _is_flag(value: Any) -> bool:
    return isinstance(value, int) and value in (0, 1)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_ints(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, int) for v in value)


def _rounding_mode(v: NodeView, default: str) -> str:
    mode = v.attr("rounding_mode", default).upper()
    if mode not in quant.ROUNDING_MODES:
        raise ConversionError(
            f"rounding_mode '{mode}' is not one of {', '.join(quant.ROUNDING_MODES)}"
        )
    return mode


def _equals(expected: Any) -> Callable[[Any], bool]:
    return lambda value: value == expected


def _all_ones(value: Any) -> bool:
    return all(v == 1 for v in value)


def _bool(value: int) -> BoolAttr:
    return BoolAttr.from_bool(bool(value))


def _int_array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, [int(v) for v in values])


def _integral_scalar(array: np.ndarray, what: str) -> int:
    """The one integer in `array` (a bit width, K); NaN and inf are not integers."""
    real = np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    if (array.size != 1 or not real
            or not np.isfinite(array.flat[0]) or float(array.flat[0]) != int(array.flat[0])):
        raise ConversionError(f"{what} must be a single integer, got {array.tolist()}")
    return int(array.flat[0])


# ---------------------------------------------------------------------------
# QONNX quantizers
# ---------------------------------------------------------------------------


def convert_quant(v: NodeView) -> Sequence[SSAValue]:
    """QONNX Quant(x, scale, zeropt, bitwidth) -> quant.int_quant (also what a QCDQ
    quantizer becomes, with `zeropt_after_rounding` for ONNX's rounding order)."""
    v.check_attributes({"signed": _is_flag, "narrow": _is_flag, "rounding_mode": _is_string,
                        "zeropt_after_rounding": _is_flag})
    bitwidth = _integral_scalar(v.constant_input(3, "bitwidth"), "bitwidth")
    mode = _rounding_mode(v, "ROUND")
    if not 1 <= bitwidth <= 32:
        raise ConversionError(f"bitwidth {bitwidth} is outside the supported range [1, 32]")
    op = quant.IntQuantOp.build(
        operands=[v.input(0), v.input(1), v.input(2)],
        result_types=[v.result_type()],
        properties={
            "bitwidth": IntegerAttr(bitwidth, i64),
            "signed": _bool(v.attr("signed", 1)),
            "narrow": _bool(v.attr("narrow", 0)),
            "rounding_mode": StringAttr(mode),
            **({"zeropt_after_rounding": UnitAttr()} if v.attr("zeropt_after_rounding") else {}),
        },
    )
    return v.emit(op)


def convert_bipolar_quant(v: NodeView) -> Sequence[SSAValue]:
    """QONNX BipolarQuant(x, scale) -> quant.bipolar_quant."""
    v.check_attributes({})
    op = quant.BipolarQuantOp.build(
        operands=[v.input(0), v.input(1)], result_types=[v.result_type()]
    )
    return v.emit(op)


def convert_trunc(v: NodeView) -> Sequence[SSAValue]:
    """QONNX Trunc v1 (x, scale, zeropt, in_bits, out_bits) or v2 (+ out_scale)."""
    v.check_attributes({"rounding_mode": _is_string, "signed": _is_flag, "narrow": _is_flag})
    version2 = v.num_inputs() == 6
    if v.num_inputs() not in (5, 6):
        raise ConversionError(f"Trunc takes 5 (v1) or 6 (v2) inputs, got {v.num_inputs()}")
    in_bits = _integral_scalar(v.constant_input(3, "input bit width"), "input bit width")
    out_index = 5 if version2 else 4
    out_bits = _integral_scalar(v.constant_input(out_index, "output bit width"), "output bit width")
    op = quant.TruncOp.build(
        operands=[v.input(0), v.input(1), v.input(2), [v.input(4)] if version2 else []],
        result_types=[v.result_type()],
        properties={
            "in_bitwidth": IntegerAttr(in_bits, i64),
            "out_bitwidth": IntegerAttr(out_bits, i64),
            "rounding_mode": StringAttr(_rounding_mode(v, "FLOOR")),
            "signed": _bool(v.attr("signed", 1)),
            "narrow": _bool(v.attr("narrow", 0)),
        },
    )
    return v.emit(op)


def convert_multithreshold(v: NodeView) -> Sequence[SSAValue]:
    """QONNX/FINN MultiThreshold(x, thresholds) -> quant.multithreshold."""
    v.check_attributes(
        {"out_scale": _is_number, "out_bias": _is_number, "out_dtype": _is_string,
         "data_layout": _is_string}
    )
    layout = v.attr("data_layout", "NCHW")
    if layout not in quant.DATA_LAYOUTS:
        raise ConversionError(
            f"data_layout '{layout}' is not one of {', '.join(quant.DATA_LAYOUTS)}"
        )
    properties: dict[str, Attribute] = {
        "out_scale": FloatAttr(float(v.attr("out_scale", 1.0)), 64),
        "out_bias": FloatAttr(float(v.attr("out_bias", 0.0)), 64),
        "data_layout": StringAttr(layout),
    }
    if v.attr("out_dtype"):
        properties["out_dtype"] = StringAttr(v.attr("out_dtype"))
    op = quant.MultiThresholdOp.build(
        operands=[v.input(0), v.input(1)], result_types=[v.result_type()], properties=properties
    )
    return v.emit(op)


# ---------------------------------------------------------------------------
# Standard ONNX compute ops
# ---------------------------------------------------------------------------


def _binary(op_class: type[quant.ElementwiseBinaryOp]) -> Callable[[NodeView], Sequence[SSAValue]]:
    def convert(v: NodeView) -> Sequence[SSAValue]:
        v.check_attributes({})
        op = op_class.build(operands=[v.input(0), v.input(1)], result_types=[v.result_type()])
        return v.emit(op)

    convert.__doc__ = f"Elementwise ONNX op -> {op_class.name}."
    return convert


def convert_relu(v: NodeView) -> Sequence[SSAValue]:
    """Relu -> quant.relu."""
    v.check_attributes({})
    return v.emit(quant.ReluOp.build(operands=[v.input(0)], result_types=[v.result_type()]))


def _matmul(v: NodeView, lhs: SSAValue, rhs: SSAValue, result: TensorType) -> SSAValue:
    rhs_type = rhs.type
    if not isinstance(rhs_type, TensorType) or len(rhs_type.get_shape()) != 2:
        raise ConversionError(
            "only a 2-D right-hand side (a weight matrix) is supported, got "
            f"{rhs_type}"
        )
    return v.emit(quant.MatMulOp.build(operands=[lhs, rhs], result_types=[result]))[0]


def _transpose_2d(v: NodeView, value: SSAValue) -> SSAValue:
    shape = value.type.get_shape()
    if len(shape) != 2:
        raise ConversionError(f"transA/transB need a 2-D operand, got {value.type}")
    result = TensorType(value.type.element_type, (shape[1], shape[0]))
    op = quant.TransposeOp.build(
        operands=[value], result_types=[result], properties={"perm": _int_array([1, 0])}
    )
    return v.emit(op)[0]


def convert_matmul(v: NodeView) -> Sequence[SSAValue]:
    """MatMul with a 2-D right operand -> quant.matmul."""
    v.check_attributes({})
    return [_matmul(v, v.input(0), v.input(1), v.result_type())]


def convert_gemm(v: NodeView) -> Sequence[SSAValue]:
    """Gemm: alpha * A' B' + beta * C, as transpose / matmul / mul / add."""
    v.check_attributes({"alpha": _is_number, "beta": _is_number, "transA": _is_flag,
                        "transB": _is_flag})
    lhs, rhs = v.input(0), v.input(1)
    if v.attr("transA", 0):
        lhs = _transpose_2d(v, lhs)
    if v.attr("transB", 0):
        rhs = _transpose_2d(v, rhs)
    result_type = v.result_type()
    product = _matmul(v, lhs, rhs, result_type)
    alpha, beta = float(v.attr("alpha", 1.0)), float(v.attr("beta", 1.0))
    if alpha != 1.0:
        scale = v.emit_constant(np.float32(alpha), "alpha")
        scaled = quant.MulOp.build(operands=[product, scale], result_types=[result_type])
        product = v.emit(scaled)[0]
    if v.num_inputs() > 2:
        bias = v.input(2)
        if beta != 1.0:
            beta_value = v.emit_constant(np.float32(beta), "beta")
            bias = v.emit(
                quant.MulOp.build(operands=[bias, beta_value], result_types=[bias.type])
            )[0]
        product = v.emit(quant.AddOp.build(operands=[product, bias], result_types=[result_type]))[0]
    return [product]


def _same_pads(sizes: Sequence[int], kernel: Sequence[int], strides: Sequence[int],
               dilations: Sequence[int], upper: bool) -> list[int]:
    """ONNX auto_pad SAME_UPPER / SAME_LOWER as explicit [top, left, bottom, right]: the
    output is ceil(size / stride), and an odd total goes at the end (UPPER) or the
    beginning (LOWER). PyTorch's padding="same" with an even kernel exports this."""
    begins, ends = [], []
    for size, k, stride, dilation in zip(sizes, kernel, strides, dilations, strict=True):
        total = max((-(-size // stride) - 1) * stride + (k - 1) * dilation + 1 - size, 0)
        small, large = total // 2, total - total // 2
        begins.append(small if upper else large)
        ends.append(large if upper else small)
    return begins + ends


def _spatial_attrs(v: NodeView, kernel: Sequence[int]) -> tuple[list[int], list[int], list[int]]:
    auto_pad = v.attr("auto_pad", "NOTSET")
    if auto_pad not in ("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"):
        raise ConversionError(
            f"auto_pad '{auto_pad}' is not an ONNX value (NOTSET, VALID, SAME_UPPER, "
            "SAME_LOWER)"
        )
    if len(kernel) != 2:
        raise ConversionError(f"only 2-D windows are supported, got kernel_shape {list(kernel)}")
    strides = list(v.attr("strides", [1, 1]))
    pads = list(v.attr("pads", [0, 0, 0, 0]))
    dilations = list(v.attr("dilations", [1, 1]))
    if auto_pad.startswith("SAME"):
        sizes = v.input(0).type.get_shape()[2:]
        pads = _same_pads(sizes, kernel, strides, dilations, auto_pad == "SAME_UPPER")
    return strides, pads, dilations


def convert_conv(v: NodeView) -> Sequence[SSAValue]:
    """Conv (2-D, NCHW) -> quant.conv."""
    v.check_attributes(
        {"kernel_shape": _is_ints, "strides": _is_ints, "pads": _is_ints, "dilations": _is_ints,
         "group": _is_number, "auto_pad": _is_string}
    )
    weight = v.input(1)
    kernel = v.attr("kernel_shape", weight.type.get_shape()[2:])
    strides, pads, dilations = _spatial_attrs(v, kernel)
    operands = [v.input(0), weight, [v.input(2)] if v.num_inputs() > 2 else []]
    op = quant.ConvOp.build(
        operands=operands,
        result_types=[v.result_type()],
        properties={
            "strides": _int_array(strides),
            "pads": _int_array(pads),
            "dilations": _int_array(dilations),
            "group": IntegerAttr(int(v.attr("group", 1)), i64),
        },
    )
    return v.emit(op)


def convert_batchnorm(v: NodeView) -> Sequence[SSAValue]:
    """BatchNormalization (inference mode) -> quant.batchnorm."""
    v.check_attributes({"epsilon": _is_number, "momentum": _is_number,
                        "training_mode": _equals(0)})
    if len([o for o in v.node.output if o]) != 1:
        raise ConversionError("training-mode outputs (running mean/var) are not supported")
    op = quant.BatchNormOp.build(
        operands=[v.input(i) for i in range(5)],
        result_types=[v.result_type()],
        properties={"epsilon": FloatAttr(float(v.attr("epsilon", 1e-5)), 32)},
    )
    return v.emit(op)


def convert_maxpool(v: NodeView) -> Sequence[SSAValue]:
    """MaxPool (2-D, NCHW, floor mode, no dilation) -> quant.maxpool."""
    v.check_attributes(
        {"kernel_shape": _is_ints, "strides": _is_ints, "pads": _is_ints, "auto_pad": _is_string,
         "dilations": _all_ones, "ceil_mode": _equals(0), "storage_order": _equals(0)}
    )
    if len([o for o in v.node.output if o]) != 1:
        raise ConversionError("the Indices output of MaxPool is not supported")
    if "kernel_shape" not in v.attrs:
        raise ConversionError("the required attribute 'kernel_shape' is missing")
    kernel = list(v.attr("kernel_shape"))
    strides, pads, _ = _spatial_attrs(v, kernel)
    op = quant.MaxPoolOp.build(
        operands=[v.input(0)],
        result_types=[v.result_type()],
        properties={
            "kernel_shape": _int_array(kernel),
            "strides": _int_array(strides),
            "pads": _int_array(pads),
        },
    )
    return v.emit(op)


def convert_reshape_like(v: NodeView) -> Sequence[SSAValue]:
    """Reshape, Flatten, Squeeze, Unsqueeze -> quant.reshape to the inferred shape."""
    v.check_attributes({"allowzero": _any, "axis": _any, "axes": _any})
    source = v.input(0)
    return v.emit(quant.ReshapeOp.build(operands=[source], result_types=[v.result_type()]))


def convert_transpose(v: NodeView) -> Sequence[SSAValue]:
    """Transpose -> quant.transpose."""
    v.check_attributes({"perm": _is_ints})
    source = v.input(0)
    rank = len(source.type.get_shape())
    perm = v.attr("perm", list(reversed(range(rank))))
    op = quant.TransposeOp.build(
        operands=[source], result_types=[v.result_type()], properties={"perm": _int_array(perm)}
    )
    return v.emit(op)


def convert_topk(v: NodeView) -> Sequence[SSAValue]:
    """TopK(x, K) -> quant.topk (values f32, indices i64)."""
    v.check_attributes({"axis": _is_number, "largest": _is_flag, "sorted": _equals(1)})
    k = _integral_scalar(v.constant_input(1, "K"), "K")
    op = quant.TopKOp.build(
        operands=[v.input(0)],
        result_types=[v.result_type(0), v.result_type(1, i64)],
        properties={
            "k": IntegerAttr(k, i64),
            "axis": IntegerAttr(int(v.attr("axis", -1)), i64),
            "largest": _bool(v.attr("largest", 1)),
        },
    )
    return v.emit(op)


def convert_identity(v: NodeView) -> Sequence[SSAValue]:
    """Identity and inference-mode Dropout forward their input."""
    v.check_attributes({"seed": _any, "ratio": _any, "training_mode": _equals(0)})
    return [v.input(0)]


def convert_constant(v: NodeView) -> Sequence[SSAValue]:
    """Constant -> arith.constant."""
    v.check_attributes({"value": _any})
    array = onnx.numpy_helper.to_array(v.attrs["value"])
    return [v.importer.constant(array, v.node.output[0])]


CONVERTERS: dict[str, Callable[[NodeView], Sequence[SSAValue]]] = {
    "Quant": convert_quant,
    "BipolarQuant": convert_bipolar_quant,
    "Trunc": convert_trunc,
    "MultiThreshold": convert_multithreshold,
    "Add": _binary(quant.AddOp),
    "Sub": _binary(quant.SubOp),
    "Mul": _binary(quant.MulOp),
    "Div": _binary(quant.DivOp),
    "Pow": _binary(quant.PowOp),
    "Relu": convert_relu,
    "MatMul": convert_matmul,
    "Gemm": convert_gemm,
    "Conv": convert_conv,
    "BatchNormalization": convert_batchnorm,
    "MaxPool": convert_maxpool,
    "Reshape": convert_reshape_like,
    "Flatten": convert_reshape_like,
    "Squeeze": convert_reshape_like,
    "Unsqueeze": convert_reshape_like,
    "Transpose": convert_transpose,
    "TopK": convert_topk,
    "Identity": convert_identity,
    "Dropout": convert_identity,
    "Constant": convert_constant,
}
