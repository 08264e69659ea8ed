"""Reference semantics of the quant dialect, on numpy arrays.

Conventions (shared with the dataflow interpreter):

* a value is a numpy array holding the mathematical values; float tensors are
  float32, computed in float32 in the order ONNX Runtime uses, so that the
  QONNX form matches qonnx's `execute_onnx` bit for bit;
* activations carry a leading batch dimension that may be larger than the
  IR's dim 0 (normally 1): a batch of images flows through each op at once.
  Constants have exactly their IR shape. Ops whose shape rule touches dim 0
  (reshape, transpose) scale it by the batch factor.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls

from qnn_mlir.dialects import quant
from qnn_mlir.dialects.datatypes import integer_bounds
from qnn_mlir.dialects.shapes import conv_output_size
from qnn_mlir.interpreter.stream_math import (
    exact_matmul,
    pad_nhwc,
    sliding_windows_nhwc,
    sorted_threshold_count,
)

# -- rounding and integer ranges (QONNX spec) --------------------------------


def _round_half_up(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def _round_half_down(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.ceil(np.abs(x) - 0.5)


def _round_away(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.ceil(np.abs(x))


ROUNDING = {
    "ROUND": np.round,  # half to even
    "CEIL": np.ceil,
    "FLOOR": np.floor,
    "UP": _round_away,  # away from zero
    "DOWN": np.trunc,  # towards zero
    "HALF_UP": _round_half_up,
    "HALF_DOWN": _round_half_down,
}


def int_quant_levels(x, scale, zeropt, bitwidth: int, signed: bool, narrow: bool, mode: str,
                     zeropt_after_rounding: bool = False):
    """The integer level clip(round(x / scale + zeropt)) of QONNX IntQuant, as float32;
    clip(round(x / scale) + zeropt) in ONNX QuantizeLinear's order."""
    if zeropt_after_rounding:
        low, high = integer_bounds(bitwidth, signed, narrow)
        return np.clip(ROUNDING[mode](x / scale) + zeropt, low, high).astype(np.float32)
    scaled = x / scale + zeropt
    if bitwidth == 1 and signed:
        # A 1-bit signed quantizer has levels {-1, +1}: it is a sign function.
        return np.where(scaled >= 0, np.float32(1), np.float32(-1))
    low, high = integer_bounds(bitwidth, signed, narrow)
    return ROUNDING[mode](np.clip(scaled, low, high))


def int_quant_op_levels(op: quant.IntQuantOp, x, scale, zeropt):
    """`int_quant_levels` with the bit width, signedness and rounding of `op`."""
    return int_quant_levels(
        x, scale, zeropt, op.bitwidth.value.data, bool(op.signed.value.data),
        bool(op.narrow.value.data), op.rounding_mode.data, op.zeropt_after_rounding is not None)


def multithreshold(x, thresholds, out_scale: float, out_bias: float, channel_axis: int,
                   integer_result: bool = False):
    """Count of thresholds each element reaches, per channel, scaled and biased.

    A float result is computed in float32 as in QONNX; an integer (or bipolar)
    result is the exact integer count * out_scale + out_bias.
    """
    moved = np.moveaxis(x, channel_axis, -1)
    dtype = np.result_type(moved, thresholds)  # the comparison's type, as moved >= T
    counts = sorted_threshold_count(moved.astype(dtype, copy=False),
                                    np.asarray(thresholds).astype(dtype, copy=False))
    result = np.moveaxis(counts if integer_result else counts.astype(np.float32), -1,
                         channel_axis)
    if integer_result:
        return result * int(out_scale) + int(out_bias)
    if out_scale != 1.0 or out_bias != 0.0:
        result = np.float32(out_scale) * result + np.float32(out_bias)
    return result.astype(np.float32, copy=False)


def is_float_result(op, index: int = 0) -> bool:
    """True if the op's result `index` holds floats (otherwise integers or bipolar)."""
    return quant.is_float_tensor(op.results[index])


def as_result_type(op, array: np.ndarray, index: int = 0) -> np.ndarray:
    """Values in the interpreter's representation of the result type: float32 for
    floats, int64 for integer and bipolar tensors."""
    return np.asarray(array).astype(np.float32 if is_float_result(op, index) else np.int64,
                                    copy=False)


def float_operands(op, args) -> tuple:
    """For an op with a float result, integer operands become float32 first (exact below
    2^24), so that the arithmetic is the float32 arithmetic of the QONNX form."""
    if not is_float_result(op):
        return args
    return tuple(a.astype(np.float32) if np.issubdtype(a.dtype, np.integer) else a for a in args)


def batched_shape(value: np.ndarray, ir_input_shape: tuple[int, ...], result_shape) -> tuple:
    """The result shape for `value`, whose dim 0 may be a multiple of the IR's."""
    result_shape = tuple(result_shape)
    if tuple(value.shape) == tuple(ir_input_shape) or not ir_input_shape:
        return result_shape
    batch_factor, remainder = divmod(value.shape[0], max(ir_input_shape[0], 1))
    if remainder or not result_shape or result_shape[0] != ir_input_shape[0]:
        raise ValueError(
            f"cannot run a batch of shape {value.shape} through a reshape from "
            f"{list(ir_input_shape)} to {list(result_shape)}: the batch dimension is not kept"
        )
    return (result_shape[0] * batch_factor, *result_shape[1:])


def _props(op, name: str) -> tuple[int, ...]:
    return tuple(op.properties[name].get_values())


@register_impls
class QuantFunctions(InterpreterFunctions):
    """numpy implementations of every quant op."""

    @impl(quant.IntQuantOp)
    def run_int_quant(self, interpreter: Interpreter, op: quant.IntQuantOp, args: tuple[Any, ...]):
        x, scale, zeropt = args
        levels = int_quant_op_levels(op, x, scale, zeropt)
        return (((levels - zeropt) * scale).astype(np.float32, copy=False),)

    @impl(quant.BipolarQuantOp)
    def run_bipolar_quant(self, interpreter: Interpreter, op, args: tuple[Any, ...]):
        x, scale = args
        signs = np.where(x >= 0, np.float32(1), np.float32(-1))
        return ((signs * scale).astype(np.float32, copy=False),)

    @impl(quant.TruncOp)
    def run_trunc(self, interpreter: Interpreter, op: quant.TruncOp, args: tuple[Any, ...]):
        x, scale, zeropt, *out_scale = args
        in_bits, out_bits = op.in_bitwidth.value.data, op.out_bitwidth.value.data
        rounding = ROUNDING[op.rounding_mode.data]
        value = np.round(x / scale + zeropt)
        if not out_scale:  # version 1: shift right by the dropped bits, keep the scale
            shifted = rounding(value / np.float32(2.0 ** (in_bits - out_bits)))
            return (((shifted - zeropt) * scale).astype(np.float32, copy=False),)
        # version 2: rescale to out_scale (a power-of-two step), clip to out_bits
        (new_scale,) = out_scale
        step = np.float32(2.0) ** np.round(np.log2(new_scale / scale))
        low, high = integer_bounds(
            out_bits, bool(op.signed.value.data), bool(op.narrow.value.data)
        )
        shifted = rounding(np.clip(value / step, low, high))
        return (((shifted - zeropt / step) * new_scale).astype(np.float32, copy=False),)

    @impl(quant.MultiThresholdOp)
    def run_multithreshold(self, interpreter: Interpreter, op, args: tuple[Any, ...]):
        x, thresholds = args
        axis = quant.channel_axis(op.data_layout.data, x.ndim)
        return (
            multithreshold(
                x, thresholds, op.out_scale.value.data, op.out_bias.value.data, axis,
                integer_result=not is_float_result(op),
            ),
        )

    @impl(quant.AddOp)
    def run_add(self, interpreter: Interpreter, op, args: tuple[Any, ...]):
        return (as_result_type(op, np.add(*float_operands(op, args))),)

    @impl(quant.SubOp)
    def run_sub(self, interpreter: Interpreter, op, args: tuple[Any, ...]):
        return (as_result_type(op, np.subtract(*float_operands(op, args))),)

    @impl(quant.MulOp)
    def run_mul(self, interpreter: Interpreter, op, args: tuple[Any, ...]):
        return (as_result_type(op, np.multiply(*float_operands(op, args))),)

    @impl(quant.DivOp)
    def run_div(self, interpreter: Interpreter, op, args: tuple[Any, ...]):
        return (as_result_type(op, np.divide(*float_operands(op, args))),)

    @impl(quant.PowOp)
    def run_pow(self, interpreter: Interpreter, op, args: tuple[Any, ...]):
        return (as_result_type(op, np.power(*float_operands(op, args))),)

    @impl(quant.ReluOp)
    def run_relu(self, interpreter: Interpreter, op, args: tuple[Any, ...]):
        (x,) = float_operands(op, args)
        return (as_result_type(op, np.maximum(x, np.zeros((), dtype=x.dtype))),)

    @impl(quant.MatMulOp)
    def run_matmul(self, interpreter: Interpreter, op, args: tuple[Any, ...]):
        if not is_float_result(op):
            return (exact_matmul(*args),)
        lhs, rhs = float_operands(op, args)
        return (np.matmul(lhs, rhs),)

    @impl(quant.XnorPopcountOp)
    def run_xnor_popcount(self, interpreter: Interpreter, op, args: tuple[Any, ...]):
        x, bits = args
        fan_in = bits.shape[0]
        dot = exact_matmul(x, 2 * bits.astype(np.int64) - 1)
        return ((dot + fan_in) // 2,)

    @impl(quant.BatchNormOp)
    def run_batchnorm(self, interpreter: Interpreter, op: quant.BatchNormOp, args):
        x, gamma, beta, mean, var = float_operands(op, args)
        # ONNX Runtime's rounding order: fold into one scale and shift per channel.
        inv_std = np.float32(1) / np.sqrt(var + np.float32(op.epsilon.value.data))
        scale = inv_std * gamma
        shift = beta - mean * scale
        broadcast = (1, -1) + (1,) * (x.ndim - 2)
        return ((x * scale.reshape(broadcast) + shift.reshape(broadcast)).astype(np.float32),)

    @impl(quant.ConvOp)
    def run_conv(self, interpreter: Interpreter, op: quant.ConvOp, args: tuple[Any, ...]):
        x, weight, *bias = args
        return (conv2d(x, weight, bias[0] if bias else None, _props(op, "strides"),
                       _props(op, "pads"), _props(op, "dilations"), op.group.value.data),)

    @impl(quant.MaxPoolOp)
    def run_maxpool(self, interpreter: Interpreter, op: quant.MaxPoolOp, args: tuple[Any, ...]):
        (x,) = args
        if op.channels_last:  # pool the NCHW view: the same maxima
            x = x.transpose(0, 3, 1, 2)
        pooled = maxpool2d(x, _props(op, "kernel_shape"), _props(op, "strides"),
                           _props(op, "pads"))
        return (np.ascontiguousarray(pooled.transpose(0, 2, 3, 1)) if op.channels_last
                else pooled,)

    @impl(quant.PadOp)
    def run_pad(self, interpreter: Interpreter, op: quant.PadOp, args: tuple[Any, ...]):
        return (pad_nhwc(args[0], _props(op, "pads"), op.pad_value),)

    @impl(quant.SlidingWindowOp)
    def run_sliding_window(self, interpreter: Interpreter, op: quant.SlidingWindowOp,
                           args: tuple[Any, ...]):
        return (sliding_windows_nhwc(args[0], _props(op, "kernel"), _props(op, "strides")),)

    @impl(quant.ReshapeOp)
    def run_reshape(self, interpreter: Interpreter, op: quant.ReshapeOp, args: tuple[Any, ...]):
        (x,) = args
        shape = batched_shape(x, quant.shape_of(op.input), quant.shape_of(op.output))
        return (x.reshape(shape),)

    @impl(quant.TransposeOp)
    def run_transpose(self, interpreter: Interpreter, op: quant.TransposeOp, args):
        (x,) = args
        perm = _props(op, "perm")
        if x.shape != quant.shape_of(op.input) and perm[0] != 0:
            raise ValueError("cannot run a batch through a transpose that moves dimension 0")
        return (np.ascontiguousarray(np.transpose(x, perm)),)

    @impl(quant.TopKOp)
    def run_topk(self, interpreter: Interpreter, op: quant.TopKOp, args: tuple[Any, ...]):
        (x,) = args
        axis, k = op.axis.value.data % x.ndim, op.k.value.data
        keys = -x if op.largest.value.data else x
        # A stable sort keeps equal values in index order, as ONNX requires.
        order = np.argsort(keys, axis=axis, kind="stable")
        indices = np.take(order, np.arange(k), axis=axis)
        return np.take_along_axis(x, indices, axis=axis), indices.astype(np.int64)


IM2COL_CHUNK_ELEMENTS = 1 << 25
"""Upper bound on the elements of one im2col matrix (128 MiB of float32)."""


def conv2d(x, weight, bias, strides, pads, dilations, group: int) -> np.ndarray:
    """NCHW convolution as im2col + one matmul per group, in batch chunks.

    Each output pixel's receptive field becomes one row of a (pixels, C*kh*kw)
    matrix, so a layer is a single BLAS call; chunking the batch bounds memory.
    For the exact (integer-valued) tensors of a QNN the order of the additions
    does not change the result.
    """
    batch, channels, height, width = x.shape
    out_channels, group_channels, kernel_h, kernel_w = weight.shape
    out_h = conv_output_size(height, kernel_h, strides[0], pads[0], pads[2], dilations[0])
    out_w = conv_output_size(width, kernel_w, strides[1], pads[1], pads[3], dilations[1])
    # NHWC makes every receptive field a (kh, kw, C) block of one row
    padded = np.pad(np.moveaxis(x, 1, -1),
                    ((0, 0), (pads[0], pads[2]), (pads[1], pads[3]), (0, 0)))
    per_group = out_channels // group
    row_length = group_channels * kernel_h * kernel_w
    chunk = max(1, IM2COL_CHUNK_ELEMENTS // max(1, out_h * out_w * row_length))
    out = np.empty((batch, out_h, out_w, out_channels), dtype=np.float32)
    for g in range(group):
        # weights as (kh, kw, C) rows to match the patch layout
        taps = weight[g * per_group:(g + 1) * per_group]
        taps = np.ascontiguousarray(taps.transpose(2, 3, 1, 0).reshape(row_length, per_group))
        channel_slice = slice(g * group_channels, (g + 1) * group_channels)
        for first in range(0, batch, chunk):
            images = padded[first:first + chunk, :, :, channel_slice]
            patches = np.empty((len(images), out_h, out_w, kernel_h, kernel_w, group_channels),
                               dtype=np.float32)
            for kh in range(kernel_h):
                for kw in range(kernel_w):
                    top, left = kh * dilations[0], kw * dilations[1]
                    patches[:, :, :, kh, kw, :] = images[
                        :, top: top + strides[0] * (out_h - 1) + 1: strides[0],
                        left: left + strides[1] * (out_w - 1) + 1: strides[1], :]
            rows = patches.reshape(-1, row_length)
            out[first:first + chunk, ..., g * per_group:(g + 1) * per_group] = (
                rows @ taps).reshape(len(images), out_h, out_w, per_group)
    result = np.moveaxis(out, -1, 1)
    if bias is not None:
        result = result + bias.reshape(1, -1, 1, 1)
    return np.ascontiguousarray(result, dtype=np.float32)


def maxpool2d(x, kernel, strides, pads) -> np.ndarray:
    """NCHW max pooling (floor mode); padding never wins the max."""
    batch, channels, height, width = x.shape
    lowest = -np.inf if np.issubdtype(x.dtype, np.floating) else np.iinfo(x.dtype).min
    padded = np.pad(
        x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])), constant_values=lowest
    )
    out_h = conv_output_size(height, kernel[0], strides[0], pads[0], pads[2], 1)
    out_w = conv_output_size(width, kernel[1], strides[1], pads[1], pads[3], 1)
    result = None
    for kh in range(kernel[0]):
        for kw in range(kernel[1]):
            window = padded[
                :, :,
                kh: kh + strides[0] * (out_h - 1) + 1: strides[0],
                kw: kw + strides[1] * (out_w - 1) + 1: strides[1],
            ]
            result = window if result is None else np.maximum(result, window)
    return np.ascontiguousarray(result, dtype=x.dtype)
