"""The window ops of the host semantics (part of `host_ops`, which re-exports them):
convolution and max pooling in NCHW, and the NHWC padding, sliding windows and max
pooling of a lowered convolution.

Values follow `host_ops`' conventions: dim 0 is the batch, floats are float32 and
integers int64. Output sizes are arguments (the IR's result shape holds them), so that
the compiler's shape rule stays the one definition of a window's output size.
"""

from __future__ import annotations

import numpy as np

IM2COL_CHUNK_ELEMENTS = 1 << 25
"""Upper bound on the elements of one im2col matrix (128 MiB of float32)."""


def conv2d(x, weight, bias=None, *, strides, pads, dilations, group: int,
           output_size) -> np.ndarray:
    """NCHW convolution as im2col + one matmul per group, in batch chunks.

    `pads` is (top, left, bottom, right), `output_size` (out_h, out_w). Each output
    pixel's receptive field becomes one row of a (pixels, C*kh*kw) matrix, so a layer is
    a single BLAS call; chunking the batch bounds memory. For the exact (integer-valued)
    tensors of a QNN the order of the additions does not change the result.
    """
    batch = x.shape[0]
    out_channels, group_channels, kernel_h, kernel_w = weight.shape
    out_h, out_w = output_size
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


def maxpool2d(x, kernel, strides, pads, output_size, channels_last: bool = False) -> np.ndarray:
    """Max pooling (floor mode) of an NCHW tensor, or of an NHWC one with `channels_last`
    (pooled as its NCHW view: the same maxima); padding never wins the max."""
    if channels_last:
        x = x.transpose(0, 3, 1, 2)
    lowest = -np.inf if np.issubdtype(x.dtype, np.floating) else np.iinfo(x.dtype).min
    padded = np.pad(
        x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])), constant_values=lowest
    )
    out_h, out_w = output_size
    result = None
    for kh in range(kernel[0]):
        for kw in range(kernel[1]):
            window = padded[
                :, :,
                kh: kh + strides[0] * (out_h - 1) + 1: strides[0],
                kw: kw + strides[1] * (out_w - 1) + 1: strides[1],
            ]
            result = window if result is None else np.maximum(result, window)
    pooled = np.ascontiguousarray(result, dtype=x.dtype)
    return np.ascontiguousarray(pooled.transpose(0, 2, 3, 1)) if channels_last else pooled


def pad_nhwc(x: np.ndarray, pads, value) -> np.ndarray:
    """An NHWC tensor padded spatially, pads = (top, left, bottom, right)."""
    top, left, bottom, right = pads
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)),
                  constant_values=np.asarray(value).astype(x.dtype))


def sliding_windows_nhwc(x: np.ndarray, kernel, strides) -> np.ndarray:
    """im2col of an NHWC tensor: [N, OH, OW, KH*KW*C], element (kh*KW + kw)*C + c of
    window (oh, ow) being pixel (oh*SH + kh, ow*SW + kw), channel c."""
    (kernel_h, kernel_w), (stride_h, stride_w) = kernel, strides
    # [N, H - KH + 1, W - KW + 1, C, KH, KW], then every stride-th window
    windows = np.lib.stride_tricks.sliding_window_view(x, (kernel_h, kernel_w), axis=(1, 2))
    windows = windows[:, ::stride_h, ::stride_w]
    n, out_h, out_w, channels = windows.shape[:4]
    vectors = windows.transpose(0, 1, 2, 4, 5, 3)
    return np.ascontiguousarray(vectors).reshape(n, out_h, out_w, kernel_h * kernel_w * channels)


def maxpool_nhwc(x: np.ndarray, kernel, strides) -> np.ndarray:
    """Max pooling of an NHWC tensor without padding (floor mode)."""
    windows = np.lib.stride_tricks.sliding_window_view(x, tuple(kernel), axis=(1, 2))
    return np.ascontiguousarray(windows[:, ::strides[0], ::strides[1]].max(axis=(4, 5)))
