"""The numpy semantics of every op the host runs: one function per op.

The code `qnn-translate --to-pynq` generates calls these (`ops.add(x, y,
float_result=True)`), and the compiler's reference interpreter calls the same
functions: the host part of a deployed model computes bit for bit what
`qnn-run --csim` computes. Arguments are arrays (the operands, in the op's
order) and Python scalars, strings and tuples (the op's attributes, as the
compiler's table `qnn_mlir/interpreter/host_calls.py` extracts them).

Conventions:

* a value is a numpy array of the mathematical values: float tensors are
  float32, computed in float32 in the order ONNX Runtime uses (so that the
  QONNX form matches qonnx's `execute_onnx` bit for bit); integer and bipolar
  tensors are int64, bipolar ones -1/+1;
* activations carry a leading batch dimension that may be larger than the
  IR's dim 0 (normally 1): a batch of images flows through each op at once.
  Constants have exactly their IR shape. Ops whose shape rule touches dim 0
  (reshape, transpose) scale it by the batch factor.

numpy only (Python 3.8+, for the boards' images): never the compiler or xDSL.
"""

from __future__ import annotations

import numpy as np

from .host_windows import (
    IM2COL_CHUNK_ELEMENTS,
    conv2d,
    maxpool2d,
    maxpool_nhwc,
    pad_nhwc,
    sliding_windows_nhwc,
)

__all__ = [
    "EXACT_FLOAT32_BOUND", "EXACT_FLOAT_BOUND", "IM2COL_CHUNK_ELEMENTS", "ROUNDING",
    "activation", "add", "batched_shape", "batchnorm", "bipolar_quant", "conv2d", "div",
    "exact_matmul", "float32_operands", "from_stream", "identity", "int_quant",
    "int_quant_levels", "matmul", "maxpool2d", "maxpool_nhwc", "mul", "multithreshold",
    "pad_nhwc", "pow", "relu", "reshape", "result_values", "sliding_windows_nhwc",
    "sorted_threshold_count", "sub", "threshold_count", "thresholding", "to_stream", "topk",
    "transpose", "trunc", "xnor_popcount",
]

# -- rounding and quantizers (QONNX spec) ------------------------------------


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


def int_quant_levels(x, scale, zeropt, low: int, high: int, rounding: str,
                     sign_only: bool = False, zeropt_after_rounding: bool = False):
    """The integer level clip(round(x / scale + zeropt), low, high) of QONNX IntQuant, as
    float32; clip(round(x / scale) + zeropt) in ONNX QuantizeLinear's order. `sign_only`
    (a 1-bit signed quantizer) gives the levels -1 and +1: a sign function."""
    if zeropt_after_rounding:
        return np.clip(ROUNDING[rounding](x / scale) + zeropt, low, high).astype(np.float32)
    scaled = x / scale + zeropt
    if sign_only:
        return np.where(scaled >= 0, np.float32(1), np.float32(-1))
    return ROUNDING[rounding](np.clip(scaled, low, high))


def int_quant(x, scale, zeropt, *, low: int, high: int, rounding: str, sign_only: bool = False,
              zeropt_after_rounding: bool = False) -> np.ndarray:
    """`quant.int_quant`: (level - zeropt) * scale, the level of `int_quant_levels`."""
    levels = int_quant_levels(x, scale, zeropt, low, high, rounding, sign_only,
                              zeropt_after_rounding)
    return ((levels - zeropt) * scale).astype(np.float32, copy=False)


def bipolar_quant(x, scale) -> np.ndarray:
    """`quant.bipolar_quant`: sign(x) * scale, with sign(0) = +1."""
    signs = np.where(x >= 0, np.float32(1), np.float32(-1))
    return (signs * scale).astype(np.float32, copy=False)


def trunc(x, scale, zeropt, out_scale=None, *, in_bitwidth: int, out_bitwidth: int,
          rounding: str, low: int, high: int) -> np.ndarray:
    """`quant.trunc`. Version 1 (no `out_scale`) drops the low in_bitwidth - out_bitwidth
    bits and keeps the scale; version 2 rescales to `out_scale` (a power-of-two step from
    `scale`) and clips to [low, high], the out_bitwidth range."""
    round_level = ROUNDING[rounding]
    value = np.round(x / scale + zeropt)
    if out_scale is None:
        shifted = round_level(value / np.float32(2.0 ** (in_bitwidth - out_bitwidth)))
        return ((shifted - zeropt) * scale).astype(np.float32, copy=False)
    step = np.float32(2.0) ** np.round(np.log2(out_scale / scale))
    shifted = round_level(np.clip(value / step, low, high))
    return ((shifted - zeropt / step) * out_scale).astype(np.float32, copy=False)


def multithreshold(x, thresholds, out_scale: float, out_bias: float, channel_axis: int,
                   integer_result: bool = False):
    """`quant.multithreshold`: the count of thresholds each element reaches, per channel,
    scaled and biased.

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


# -- threshold counts ---------------------------------------------------------


def threshold_count(values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """count[..., c] = #{i : values[..., c] >= thresholds[c or 0, i]}, as int64.

    The count does not depend on the order of a row, so rows are sorted and each
    count is one binary search: #{T <= x} is the insertion point of x after its
    equals (memory stays at one output array, and a 255-threshold input quantizer
    costs 8 comparisons per element instead of 255). Integers compare as int64;
    float thresholds (the input quantizer) compare in float32, as
    `quant.multithreshold` does, and NaN reaches no threshold.
    """
    if np.issubdtype(np.asarray(thresholds).dtype, np.floating):
        return sorted_threshold_count(np.asarray(values, dtype=np.float32),
                                      np.asarray(thresholds, dtype=np.float32))
    return sorted_threshold_count(np.asarray(values, dtype=np.int64),
                                  np.asarray(thresholds, dtype=np.int64))


FEW_THRESHOLDS = 4
"""Up to this many thresholds per channel, comparisons beat a binary search: TFC-w1a1's
host code (a sign quantizer, one threshold) went from 17 to 3.4 us per image."""


def sorted_threshold_count(values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """threshold_count on arrays of one dtype, thresholds C x N or 1 x N (channels last in
    `values`); the comparison x >= T of that dtype, NaN counting nothing."""
    rows = np.sort(thresholds, axis=1)
    if rows.shape[1] <= FEW_THRESHOLDS or (np.issubdtype(rows.dtype, np.floating)
                                           and np.isnan(rows).any()):
        # The definition, column by column: faster than a binary search for a few
        # thresholds (a bipolar or 2-bit quantizer), and right with NaN thresholds, which
        # sort last although x >= NaN is never true.
        counts = (values >= thresholds[:, 0]).astype(np.int64)
        for column in thresholds.T[1:]:
            counts += values >= column
        return counts
    if rows.shape[0] == 1:
        counts = np.searchsorted(rows[0], values, side="right").astype(np.int64)
    else:
        counts = np.empty(values.shape, dtype=np.int64)
        for channel, row in enumerate(rows):
            counts[..., channel] = np.searchsorted(row, values[..., channel], side="right")
    if np.issubdtype(values.dtype, np.floating):
        counts[np.isnan(values)] = 0  # NaN sorts after every threshold; it reaches none
    return counts


def activation(counts: np.ndarray, bipolar: bool, out_bias: int) -> np.ndarray:
    """The output value of a threshold count: 2 * count - 1 if `bipolar`, else
    count + out_bias.

    Computed in place: `counts` is a fresh int64 array of `threshold_count` (a batch of
    images is millions of elements; a second array would double the memory traffic).
    """
    if bipolar:
        counts *= 2
        counts -= 1
    elif out_bias:
        counts += out_bias
    return counts


def thresholding(values: np.ndarray, thresholds: np.ndarray, bipolar: bool,
                         out_bias: int) -> np.ndarray:
    """`dataflow.thresholding`: the activation of the threshold count of `values`."""
    return activation(threshold_count(values, thresholds), bipolar, out_bias)


# -- arithmetic ---------------------------------------------------------------

EXACT_FLOAT_BOUND = 2**53
"""float64 holds every integer below this exactly: BLAS is exact while sums stay below it."""
EXACT_FLOAT32_BOUND = 2**24
"""The same bound for float32 (a binarized layer's sums, at most its fan-in, stay far below)."""


def exact_matmul(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """x @ weights over the last axis of x, exact, as int64.

    float32 BLAS when no partial sum can reach 2**24, float64 when none can
    reach 2**53 (max |x| times the largest column sum of |w| bounds every
    partial sum, whatever the summation order); numpy's integer matmul otherwise.
    """
    if x.size == 0 or weights.size == 0:
        return np.zeros((*x.shape[:-1], weights.shape[1]), dtype=np.int64)
    bound = int(np.abs(x).max()) * int(np.abs(weights).sum(axis=0).max())
    for float_type, exact_below in ((np.float32, EXACT_FLOAT32_BOUND),
                                    (np.float64, EXACT_FLOAT_BOUND)):
        if bound < exact_below:  # float32 BLAS: twice the speed of float64 when exact
            product = np.matmul(x.astype(float_type), weights.astype(float_type))
            return product.astype(np.int64)
    return np.matmul(x.astype(np.int64), weights.astype(np.int64))


def mvau(values, weights, *, xnor: bool, thresholds=None, bipolar: bool = False,
         out_bias: int = 0) -> np.ndarray:
    """`dataflow.mvau`: the exact product with the MW x MH `weights` (bipolar ones as
    -1/+1), as an XNOR popcount (x.w + MW) / 2 when `xnor`; then the threshold activation,
    or the accumulator when there are no thresholds."""
    accumulator = exact_matmul(values, weights)
    if xnor:  # popcount of XNOR of the bit encodings: x . w = 2P - MW
        accumulator = (accumulator + weights.shape[0]) // 2
    if thresholds is None:
        return accumulator
    return thresholding(accumulator, thresholds, bipolar, out_bias)


def label_select(scores, k: int) -> np.ndarray:
    """`dataflow.label_select`: the indices of the `k` largest scores, largest first, ties
    to the lower index (a stable sort of the negated scores)."""
    order = np.argsort(-np.asarray(scores, dtype=np.int64), axis=-1, kind="stable")
    return order[..., :k].astype(np.int64)


def float32_operands(*operands: np.ndarray) -> tuple:
    """The operands of an op with a float result: integer ones become float32 first (exact
    below 2^24), so that the arithmetic is the float32 arithmetic of the QONNX form."""
    return tuple(a.astype(np.float32) if np.issubdtype(a.dtype, np.integer) else a
                 for a in operands)


def result_values(array, float_result: bool) -> np.ndarray:
    """Values in the representation of the result type: float32 for floats, int64 for
    integer and bipolar tensors."""
    return np.asarray(array).astype(np.float32 if float_result else np.int64, copy=False)


def _elementwise(ufunc, lhs, rhs, float_result: bool) -> np.ndarray:
    if float_result:
        lhs, rhs = float32_operands(lhs, rhs)
    return result_values(ufunc(lhs, rhs), float_result)


def add(lhs, rhs, float_result: bool) -> np.ndarray:
    """`quant.add`, broadcasting."""
    return _elementwise(np.add, lhs, rhs, float_result)


def sub(lhs, rhs, float_result: bool) -> np.ndarray:
    """`quant.sub`, broadcasting."""
    return _elementwise(np.subtract, lhs, rhs, float_result)


def mul(lhs, rhs, float_result: bool) -> np.ndarray:
    """`quant.mul`, broadcasting."""
    return _elementwise(np.multiply, lhs, rhs, float_result)


def div(lhs, rhs, float_result: bool) -> np.ndarray:
    """`quant.div`, broadcasting (true division)."""
    return _elementwise(np.divide, lhs, rhs, float_result)


def pow(lhs, rhs, float_result: bool) -> np.ndarray:
    """`quant.pow`, broadcasting."""
    return _elementwise(np.power, lhs, rhs, float_result)


def relu(x, float_result: bool) -> np.ndarray:
    """`quant.relu`: max(x, 0)."""
    if float_result:
        (x,) = float32_operands(x)
    return result_values(np.maximum(x, np.zeros((), dtype=x.dtype)), float_result)


def matmul(lhs, rhs, float_result: bool) -> np.ndarray:
    """`quant.matmul`: exact in int64 for an integer result, float32 BLAS for a float one."""
    if not float_result:
        return exact_matmul(lhs, rhs)
    return np.matmul(*float32_operands(lhs, rhs))


def xnor_popcount(x, bits) -> np.ndarray:
    """`quant.xnor_popcount`: popcount(XNOR(x, w)) of bipolar x and 0/1 weight bits,
    (x . w + fan_in) / 2 with w = 2 * bits - 1."""
    fan_in = bits.shape[0]
    dot = exact_matmul(x, 2 * bits.astype(np.int64) - 1)
    return (dot + fan_in) // 2


def batchnorm(x, scale, bias, mean, var, *, epsilon: float, float_result: bool) -> np.ndarray:
    """`quant.batchnorm` (inference, channel axis 1), in ONNX Runtime's rounding order:
    folded into one scale and one shift per channel."""
    if float_result:
        x, scale, bias, mean, var = float32_operands(x, scale, bias, mean, var)
    inv_std = np.float32(1) / np.sqrt(var + np.float32(epsilon))
    folded_scale = inv_std * scale
    shift = bias - mean * folded_scale
    broadcast = (1, -1) + (1,) * (x.ndim - 2)
    return (x * folded_scale.reshape(broadcast) + shift.reshape(broadcast)).astype(np.float32)


# -- layout ops -----------------------------------------------------------------


def batched_shape(value: np.ndarray, ir_input_shape, result_shape) -> tuple:
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


def reshape(x, input_shape, output_shape) -> np.ndarray:
    """`quant.reshape` from the IR shape `input_shape` to `output_shape` (and
    `dataflow.reshape`): dim 0 scaled by the batch factor."""
    return x.reshape(batched_shape(x, input_shape, output_shape))


def transpose(x, perm, input_shape) -> np.ndarray:
    """`quant.transpose`; a batch runs through it only if it keeps dimension 0 first."""
    if x.shape != tuple(input_shape) and perm[0] != 0:
        raise ValueError("cannot run a batch through a transpose that moves dimension 0")
    return np.ascontiguousarray(np.transpose(x, perm))


def topk(x, k: int, axis: int, largest: bool) -> tuple:
    """`quant.topk`: (values, int64 indices) of the k largest (or smallest) along `axis`."""
    axis %= x.ndim
    keys = -x if largest else x
    # A stable sort keeps equal values in index order, as ONNX requires.
    order = np.argsort(keys, axis=axis, kind="stable")
    indices = np.take(order, np.arange(k), axis=axis)
    return np.take_along_axis(x, indices, axis=axis), indices.astype(np.int64)


# -- stream boundaries ------------------------------------------------------------


def to_stream(x, float_stream: bool) -> np.ndarray:
    """`dataflow.to_stream`: a tensor's values as a stream holds them, float32 for a float
    stream, int64 otherwise."""
    return result_values(x, float_stream)


def from_stream(x) -> np.ndarray:
    """`dataflow.from_stream`: the stream's values as a tensor (the same values)."""
    return x


def identity(x) -> np.ndarray:
    """A layer that changes the wire format only (`dataflow.dwc`): the same values."""
    return x
