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


def sorted_threshold_count(values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """threshold_count on arrays of one dtype, thresholds C x N or 1 x N (channels last in
    `values`); the comparison x >= T of that dtype, NaN counting nothing."""
    rows = np.sort(thresholds, axis=1)
    if np.issubdtype(rows.dtype, np.floating) and np.isnan(rows).any():
        # NaN sorts last but x >= NaN is never true: count column by column instead.
        counts = np.zeros(values.shape, dtype=np.int64)
        for column in thresholds.T:
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
