"""The arithmetic of streaming layers on numpy arrays, shared by the quant and dataflow
semantics: exact integer matmuls, threshold counts, and the NHWC window ops (padding,
sliding windows, max pooling).

Values are the mathematical values (bipolar as -1/+1) as int64, or float32
for the float input of an input quantizer; dim 0 is the batch.
"""

from __future__ import annotations

import numpy as np
from xdsl.ir import Attribute

from qnn_mlir.dialects.datatypes import BipolarType

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


def threshold_count(values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """count[..., c] = #{i : values[..., c] >= thresholds[c or 0, i]}, as int64.

    Integers: the count does not depend on the order of a row, so rows are
    sorted and each count is one binary search (memory stays at one output
    array). Floats (the input quantizer): one float32 comparison per column,
    as `quant.multithreshold` computes it, so NaN reaches no threshold.
    """
    if np.issubdtype(np.asarray(thresholds).dtype, np.floating):
        x = np.asarray(values, dtype=np.float32)
        columns = np.asarray(thresholds, dtype=np.float32).T
        # Count in the narrowest type that holds N (a quarter of the memory traffic of
        # int64 for an 8-bit quantizer), then widen once.
        counts = np.zeros(x.shape, dtype=np.uint8 if len(columns) < 256 else np.int64)
        for column in columns:
            counts += x >= column
        return counts.astype(np.int64)
    values = np.asarray(values, dtype=np.int64)
    rows = np.sort(np.asarray(thresholds, dtype=np.int64), axis=1)
    if rows.shape[0] == 1:
        return np.searchsorted(rows[0], values, side="right").astype(np.int64)
    counts = np.empty(values.shape, dtype=np.int64)
    for channel, row in enumerate(rows):
        counts[..., channel] = np.searchsorted(row, values[..., channel], side="right")
    return counts


def activation(counts: np.ndarray, element_type: Attribute, out_bias: int) -> np.ndarray:
    """The output value of a threshold count: 2 * count - 1 if bipolar, else count + out_bias.

    Computed in place: `counts` is a fresh int64 array of `threshold_count` (a batch of
    images is millions of elements; a second array would double the memory traffic).
    """
    if isinstance(element_type, BipolarType):
        counts *= 2
        counts -= 1
    elif out_bias:
        counts += out_bias
    return counts


def pad_nhwc(x: np.ndarray, pads: tuple[int, ...], value: float) -> np.ndarray:
    """An NHWC tensor padded spatially, pads = (top, left, bottom, right)."""
    top, left, bottom, right = pads
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)),
                  constant_values=np.asarray(value).astype(x.dtype))


def sliding_windows_nhwc(x: np.ndarray, kernel: tuple[int, ...],
                         strides: tuple[int, ...]) -> np.ndarray:
    """im2col of an NHWC tensor: [N, OH, OW, KH*KW*C], element (kh*KW + kw)*C + c of
    window (oh, ow) being pixel (oh*SH + kh, ow*SW + kw), channel c."""
    (kernel_h, kernel_w), (stride_h, stride_w) = kernel, strides
    # [N, H - KH + 1, W - KW + 1, C, KH, KW], then every stride-th window
    windows = np.lib.stride_tricks.sliding_window_view(x, (kernel_h, kernel_w), axis=(1, 2))
    windows = windows[:, ::stride_h, ::stride_w]
    n, out_h, out_w, channels = windows.shape[:4]
    vectors = windows.transpose(0, 1, 2, 4, 5, 3)
    return np.ascontiguousarray(vectors).reshape(n, out_h, out_w, kernel_h * kernel_w * channels)


def maxpool_nhwc(x: np.ndarray, kernel: tuple[int, ...], strides: tuple[int, ...]) -> np.ndarray:
    """Max pooling of an NHWC tensor without padding (floor mode)."""
    windows = np.lib.stride_tricks.sliding_window_view(x, tuple(kernel), axis=(1, 2))
    return np.ascontiguousarray(windows[:, ::strides[0], ::strides[1]].max(axis=(4, 5)))
