"""lower-conv: a 2-D convolution becomes a sliding window and a matrix product, channels last.

    %y = quant.conv %x, %w, %b  (NCHW; w is M x C x KH x KW)

becomes

    %nhwc    = quant.transpose %x {perm = [0, 2, 3, 1]}        N x H x W x C
    %padded  = quant.pad %nhwc {pads = [top, left, bottom, right]}   (only if padded)
    %windows = quant.sliding_window %padded {kernel, strides}  N x OH x OW x (KH*KW*C)
    %acc     = quant.matmul %windows, %w2                      w2: (KH*KW*C) x M
    %biased  = quant.add %acc, %b                              (only with a bias)
    %y       = quant.transpose %biased {perm = [0, 3, 1, 2]}   back to NCHW

which is what a streaming design computes: the sliding window emits one vector
of KH*KW*C elements per output pixel, and an MVAU multiplies it with the
weight matrix, OH*OW vectors per frame. Row (kh*KW + kw)*C + c of w2 is
w[:, c, kh, kw], the window's element order (quant.sliding_window).

The weight matrix is built where the weights are known:
* a constant is permuted into a new constant;
* a quantizer of a constant (Brevitas' weight quantizer) is rebuilt on the
  permuted constant, its scale and zero point permuted with it (a
  per-output-channel scale M x 1 x 1 x 1 becomes 1 x M), so that
  quant-to-integer sees a quantized weight matrix as it does for a Linear layer;
* anything else gets a quant.transpose and a quant.reshape.

Zero padding is the quant.pad (value 0), explicit so that it can stream.
Supported: kernels of 1 to 7 (square or not), strides 1 or 2, any zero
padding, groups = 1, dilation 1; anything else is a diagnostic naming the layer.
The two transposes are left for later passes to cancel between layers.

On float data the products are summed in the window's order, not the NCHW
convolution's, so float outputs may differ within float rounding (the pass is
marked inexact for `qnn-run --bisect`); on integer values it is bit-exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DenseArrayBase, ModuleOp, TensorType, i64
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException

from qnn_mlir.diagnostics import location_text, source_module
from qnn_mlir.dialects import quant
from qnn_mlir.ir_constants import constant_array, make_constant

MAX_KERNEL = 7
STRIDES = (1, 2)
WEIGHT_TO_ROWS = (2, 3, 1, 0)
"""M x C x KH x KW -> KH x KW x C x M, which reshapes to the (KH*KW*C) x M matrix."""


def layer_name(op: Operation) -> str:
    """How a diagnostic names a layer: its Brevitas module path, else its SSA name."""
    return source_module(op) or op.results[0].name_hint or op.name


def unsupported_reason(conv: quant.ConvOp) -> str | None:
    """Why lower-conv cannot lower `conv`, or None."""
    group = conv.group.value.data
    dilations = tuple(conv.dilations.get_values())
    kernel = quant.shape_of(conv.weight)[2:]
    strides = tuple(conv.strides.get_values())
    if group != 1:
        return f"groups = {group} (grouped and depthwise convolutions are not supported yet)"
    if dilations != (1, 1):
        return f"dilations {list(dilations)} (only dilation 1 is supported)"
    if max(kernel) > MAX_KERNEL:
        return f"kernel {list(kernel)} (kernels of 1 to {MAX_KERNEL} are supported)"
    if any(s not in STRIDES for s in strides):
        return f"strides {list(strides)} (strides of 1 or 2 are supported)"
    return None


def to_rows(weights: np.ndarray) -> np.ndarray:
    """A conv weight tensor (or a tensor broadcast to its shape) as the matmul's matrix."""
    rows = weights.transpose(WEIGHT_TO_ROWS)
    return np.ascontiguousarray(rows).reshape(-1, weights.shape[0])


def matrix_parameter(parameter: np.ndarray, weight_shape: tuple[int, ...]) -> np.ndarray:
    """A quantizer's scale or zero point, moved with the weights it applies to: unchanged
    if it is one value, 1 x M if it varies only per output channel, else full (K x M)."""
    if parameter.size == 1:
        return parameter
    matrix = to_rows(np.broadcast_to(parameter, weight_shape))
    if np.all(matrix == matrix[:1]):
        return np.ascontiguousarray(matrix[:1])
    return matrix


def _props(**arrays) -> dict:
    return {name: DenseArrayBase.from_list(i64, list(values)) for name, values in arrays.items()}


class ConvLowering:
    """Rewrites every quant.conv of a module, in program order."""

    def __init__(self) -> None:
        self.rewriter = Rewriter()

    def run(self, module: ModuleOp) -> None:
        for op in list(module.walk()):
            if isinstance(op, quant.ConvOp) and op.parent is not None:
                reason = unsupported_reason(op)
                if reason is not None:
                    raise PassFailedException(
                        f"{location_text(op)}: lower-conv cannot lower convolution "
                        f"'{layer_name(op)}': {reason}")
                self.lower(op)

    def lower(self, conv: quant.ConvOp) -> None:
        n, channels, height, width = quant.shape_of(conv.input)
        out_channels, _, kernel_h, kernel_w = quant.shape_of(conv.weight)
        _, _, out_h, out_w = quant.shape_of(conv.output)
        top, left, bottom, right = conv.pads.get_values()
        name = conv.output.name_hint or "conv"
        element = quant.tensor_type(conv.input).element_type
        result_element = quant.tensor_type(conv.output).element_type
        ops: list[Operation] = []

        def add(op: Operation, hint: str) -> SSAValue:
            op.location = conv.location  # the layer keeps its name through the lowering
            op.results[0].name_hint = hint
            ops.append(op)
            return op.results[0]

        value = add(quant.TransposeOp.of(conv.input, quant.TO_NHWC), f"{name}_nhwc")
        if (top, left, bottom, right) != (0, 0, 0, 0):
            value = add(quant.PadOp.build(
                operands=[value], properties=_props(pads=(top, left, bottom, right)),
                result_types=[TensorType(element, (n, height + top + bottom,
                                                   width + left + right, channels))]),
                f"{name}_padded")
        fan_in = kernel_h * kernel_w * channels
        value = add(quant.SlidingWindowOp.build(
            operands=[value], properties=_props(kernel=(kernel_h, kernel_w),
                                                strides=conv.strides.get_values()),
            result_types=[TensorType(element, (n, out_h, out_w, fan_in))]), f"{name}_windows")
        matrix = self._weight_matrix(conv, ops)
        nhwc_type = TensorType(result_element, (n, out_h, out_w, out_channels))
        value = add(quant.MatMulOp.build(operands=[value, matrix], result_types=[nhwc_type]),
                    f"{name}_acc")
        if conv.bias is not None:
            value = add(quant.AddOp.build(operands=[value, conv.bias], result_types=[nhwc_type]),
                        f"{name}_biased")
        result = add(quant.TransposeOp.of(value, quant.TO_NCHW), name)
        self.rewriter.insert_op(ops, InsertPoint.before(conv))
        weight_owner = conv.weight.owner
        conv.output.replace_all_uses_with(result)
        self.rewriter.erase_op(conv)
        self._erase_if_dead(weight_owner)

    def _weight_matrix(self, conv: quant.ConvOp, ops: list[Operation]) -> SSAValue:
        """The (KH*KW*C) x M weight matrix, inserted into `ops` (see the module docstring)."""
        weight = conv.weight
        shape = tuple(quant.shape_of(weight))
        element = quant.tensor_type(weight).element_type
        matrix_type = TensorType(element, (int(np.prod(shape[1:])), shape[0]))
        hint = weight.name_hint or f"{conv.output.name_hint or 'conv'}_weights"
        constant = constant_array(weight)
        if constant is not None:
            matrix = make_constant(to_rows(constant), element)
            matrix.result.name_hint = hint
            ops.append(matrix)
            return matrix.result
        quantizer = weight.owner
        if (isinstance(quantizer, quant.IntQuantOp | quant.BipolarQuantOp)
                and constant_array(quantizer.input) is not None):
            parameters = [constant_array(v) for v in quantizer.operands[1:]]
            if all(p is not None for p in parameters):
                return self._requantized(quantizer, parameters, shape, matrix_type, hint, ops)
        moved = quant.TransposeOp.of(weight, WEIGHT_TO_ROWS)
        matrix = quant.ReshapeOp.build(operands=[moved.results[0]], result_types=[matrix_type])
        moved.results[0].name_hint, matrix.results[0].name_hint = f"{hint}_moved", hint
        ops.extend([moved, matrix])
        return matrix.results[0]

    def _requantized(self, quantizer: Operation, parameters: list[np.ndarray],
                     shape: tuple[int, ...], matrix_type: TensorType, hint: str,
                     ops: list[Operation]) -> SSAValue:
        """The weight quantizer again, on the weight matrix and with its parameters moved."""
        weights = constant_array(quantizer.operands[0])
        operands = []
        for index, (value, array) in enumerate(
                zip(quantizer.operands, [weights, *parameters], strict=True)):
            moved = to_rows(array) if index == 0 else matrix_parameter(array, shape)
            constant = make_constant(moved, quant.tensor_type(value).element_type)
            constant.result.name_hint = value.name_hint
            ops.append(constant)
            operands.append(constant.result)
        rebuilt = type(quantizer).build(operands=operands,
                                        properties=dict(quantizer.properties),
                                        result_types=[matrix_type])
        rebuilt.location = quantizer.location
        rebuilt.results[0].name_hint = hint
        ops.append(rebuilt)
        return rebuilt.results[0]

    def _erase_if_dead(self, op: object) -> None:
        """Erase the old weight's producers that nothing uses any more (a block
        argument has no producer)."""
        if not isinstance(op, Operation) or any(result.uses for result in op.results):
            return
        operands = [value.owner for value in op.operands]
        self.rewriter.erase_op(op)
        for owner in operands:
            self._erase_if_dead(owner)


@dataclass(frozen=True)
class LowerConv(ModulePass):
    """Lower every 2-D convolution to transpose, pad, sliding window, matmul (NHWC).

    The weights become a (KH*KW*C) x M matrix (a quantizer of constant weights is
    rebuilt on the matrix). Kernels 1 to 7, strides 1 or 2, zero padding, groups
    = 1 and dilation 1; anything else is an error naming the layer.
    """

    name = "lower-conv"
    exact: ClassVar[bool] = False
    """The window's element order (kh, kw, c) sums a float convolution's products in
    another order than the NCHW convolution: float outputs change within float
    rounding. Integer-valued data (every quantized layer) keeps its bits."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        ConvLowering().run(op)
