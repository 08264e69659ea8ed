"""The arithmetic of streaming layers on numpy arrays, shared by the quant and dataflow
semantics: exact integer matmuls, threshold counts, and the NHWC window ops (padding,
sliding windows, max pooling).

They live in `qnn_runtime.host_ops` (numpy only: the generated host code of a
deployment calls them too) and stay importable from here. `activation` takes
the output element type, as the layer ops know it.

Values are the mathematical values (bipolar as -1/+1) as int64, or float32
for the float input of an input quantizer; dim 0 is the batch.
"""

from __future__ import annotations

import numpy as np
from qnn_runtime import host_ops
from qnn_runtime.host_ops import (
    EXACT_FLOAT32_BOUND,
    EXACT_FLOAT_BOUND,
    exact_matmul,
    maxpool_nhwc,
    pad_nhwc,
    sliding_windows_nhwc,
    sorted_threshold_count,
    threshold_count,
)
from xdsl.ir import Attribute

from qnn_mlir.dialects.datatypes import BipolarType

__all__ = ["EXACT_FLOAT32_BOUND", "EXACT_FLOAT_BOUND", "activation", "exact_matmul",
           "maxpool_nhwc", "pad_nhwc", "sliding_windows_nhwc", "sorted_threshold_count",
           "threshold_count"]


def activation(counts: np.ndarray, element_type: Attribute, out_bias: int) -> np.ndarray:
    """The output value of a threshold count, for an output of `element_type`:
    2 * count - 1 if bipolar, else count + out_bias (in place, see host_ops.activation)."""
    return host_ops.activation(counts, isinstance(element_type, BipolarType), out_bias)
