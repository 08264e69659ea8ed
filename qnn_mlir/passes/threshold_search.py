"""Exact thresholds for a monotone function, by binary search over its input domain.

A quantized activation after a chain of float ops (scale, BatchNorm, bias, ReLU,
the quantizer's own x / s + z and rounding) is a monotone step function of its
input. Its thresholds are where the steps are: for output level k, the
smallest input x with count(x) >= k. Finding them by evaluating the chain
itself, with the interpreter's float32 semantics, makes the folded
multithreshold exact by construction: `count(x) >= k  <=>  x >= T_k` for every
possible input, ties and rounding modes included. Algebraic folding
(T <- (T - b) / a) would reproduce the float rounding only approximately.

The domains are integers (an accumulator range) or all finite float32 values,
searched through their order-preserving integer encoding.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Evaluate = Callable[[np.ndarray], np.ndarray]
"""Maps candidate inputs of shape (K, C) to output counts of shape (K, C)."""

FLOAT32_KEY_MIN = -int(np.float32(np.finfo(np.float32).max).view(np.int32))
FLOAT32_KEY_MAX = int(np.float32(np.finfo(np.float32).max).view(np.int32))


def float32_to_key(values: np.ndarray) -> np.ndarray:
    """Order-preserving map of float32 values to int64 keys (-0.0 and 0.0 share key 0)."""
    bits = np.asarray(values, dtype=np.float32).view(np.int32).astype(np.int64)
    return np.where(bits < 0, -(bits & 0x7FFFFFFF), bits)


def key_to_float32(keys: np.ndarray) -> np.ndarray:
    """Inverse of float32_to_key."""
    keys = np.asarray(keys, dtype=np.int64)
    bits = np.where(keys < 0, (-keys) | 0x80000000, keys).astype(np.uint32)
    return bits.view(np.float32)


def search_thresholds(
    evaluate: Evaluate, low: np.ndarray, high: np.ndarray, levels: int
) -> np.ndarray:
    """T[c, k-1] = smallest x in [low[c], high[c]] with count(x)[c] >= k, for k = 1..levels.

    `evaluate` must be non-decreasing in x for every channel. A level never
    reached gets high + 1; one reached everywhere gets low. All (channel,
    level) pairs are searched at once: about log2(high - low) evaluations of a
    (levels, C) batch.
    """
    low = np.asarray(low, dtype=np.int64)
    high = np.asarray(high, dtype=np.int64)
    channels = low.shape[0]
    wanted = np.arange(1, levels + 1, dtype=np.int64)[:, None]
    lower = np.broadcast_to(low, (levels, channels)).copy()
    upper = np.broadcast_to(high + 1, (levels, channels)).copy()
    while np.any(lower < upper):
        middle = (lower + upper) // 2
        reached = evaluate(np.minimum(middle, high)) >= wanted
        reached &= middle <= high
        upper = np.where(reached & (lower < upper), middle, upper)
        lower = np.where(~reached & (lower < upper), middle + 1, lower)
    return lower.T.copy()


def direction(evaluate: Evaluate, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """+1 for channels where count rises from low to high, -1 where it falls, 0 if flat."""
    ends = np.stack([np.asarray(low), np.asarray(high)]).astype(np.int64)
    counts = evaluate(ends)
    return np.sign(counts[1] - counts[0])


def check_monotone(evaluate: Evaluate, low: np.ndarray, high: np.ndarray,
                   samples: int = 257) -> np.ndarray | None:
    """Channels whose count is not monotone on a sample grid (None if all are)."""
    low, high = np.asarray(low, dtype=np.int64), np.asarray(high, dtype=np.int64)
    steps = np.linspace(0.0, 1.0, samples)[:, None]
    grid = np.round(low + steps * (high - low).astype(np.float64)).astype(np.int64)
    counts = evaluate(grid)
    diffs = np.diff(counts, axis=0)
    bad = np.any(diffs > 0, axis=0) & np.any(diffs < 0, axis=0)
    return np.nonzero(bad)[0] if bad.any() else None


def float_thresholds(evaluate_float: Callable[[np.ndarray], np.ndarray], channels: int,
                     levels: int) -> np.ndarray:
    """Thresholds over all finite float32 inputs of a non-decreasing float function.

    `evaluate_float` takes float32 candidates (K, C) and returns counts (K, C).
    Returns float32 thresholds (C, levels); +inf where a level is never reached
    by a finite input.
    """
    low = np.full(channels, FLOAT32_KEY_MIN, dtype=np.int64)
    high = np.full(channels, FLOAT32_KEY_MAX, dtype=np.int64)

    def evaluate_keys(keys: np.ndarray) -> np.ndarray:
        return evaluate_float(key_to_float32(keys))

    keys = search_thresholds(evaluate_keys, low, high, levels)
    thresholds = key_to_float32(np.minimum(keys, FLOAT32_KEY_MAX))
    return np.where(keys > FLOAT32_KEY_MAX, np.float32(np.inf), thresholds).astype(np.float32)
