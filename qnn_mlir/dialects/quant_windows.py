"""The `quant` ops a lowered convolution is made of: explicit padding and the sliding window.

`lower-conv` turns `quant.conv` (NCHW) into

    transpose to NHWC -> quant.pad -> quant.sliding_window -> quant.matmul -> transpose back

so that a convolution is a matrix product over window vectors, the form the
streaming MVAU computes. Both ops work on NHWC tensors (channels last), the
layout of a pixel stream: a window vector is KH*KW*C consecutive elements.
"""

from __future__ import annotations

import math

from xdsl.dialects.builtin import DenseArrayBase, FloatAttr, TensorType
from xdsl.irdl import irdl_op_definition, operand_def, prop_def, result_def
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.dialects.checks import (
    array_prop,
    check_result_shape,
    check_same_element_type,
    check_window_fits,
    shape_of,
    tensor_type,
)
from qnn_mlir.dialects.datatypes import BipolarType, padded_element_type, value_range
from qnn_mlir.dialects.quant_base import QuantOp
from qnn_mlir.dialects.shapes import conv_output_size

TO_NHWC = (0, 2, 3, 1)
"""quant.transpose perm from NCHW (as imported) to NHWC (channels last)."""
TO_NCHW = (0, 3, 1, 2)
"""quant.transpose perm from NHWC back to NCHW."""


def _check_nhwc(op: QuantOp, value) -> tuple[int, ...]:
    shape = shape_of(value)
    if len(shape) != 4:
        raise VerifyException(f"'{op.name}' expects a 4-D NHWC tensor, got {list(shape)}")
    return shape


@irdl_op_definition
class PadOp(QuantOp):
    """Spatial padding of an NHWC tensor with a constant `value`.

    `pads` is [top, left, bottom, right] (ONNX's order for 2-D). The value must
    be one the element type holds, and the result keeps the element type, with
    one exception: a `!quant.bipolar` tensor padded with 0 (a binarized
    convolution with zero padding, as PyTorch computes it) becomes an si2
    tensor of {-1, 0, +1}, and the layer after it computes on that integer
    encoding.
    """

    name = "quant.pad"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    pads = prop_def(DenseArrayBase)
    value = prop_def(FloatAttr, default_value=FloatAttr(0.0, 64))

    def verify_shapes(self) -> None:
        n, h, w, c = _check_nhwc(self, self.input)
        pads = array_prop(self, "pads")
        if len(pads) != 4 or min(pads) < 0:
            raise VerifyException(
                f"'{self.name}' needs 4 pads >= 0 ([top, left, bottom, right]), got {list(pads)}"
            )
        self._check_value()
        check_result_shape(self, (n, h + pads[0] + pads[2], w + pads[1] + pads[3], c))

    def _check_value(self) -> None:
        value = self.value.value.data
        element = tensor_type(self.input).element_type
        if not math.isfinite(value):
            raise VerifyException(f"'{self.name}' pad value must be finite, got {value}")
        expected = padded_element_type(element, value)
        if expected is None:
            low, high = value_range(element)
            holds = "-1 and +1 (or 0, padded to si2)" if isinstance(
                element, BipolarType) else f"[{low}, {high}]"
            raise VerifyException(
                f"'{self.name}' pad value {value:g} is not a value of {element} ({holds})")
        result = tensor_type(self.output).element_type
        if result != expected:
            raise VerifyException(
                f"'{self.name}' result element type must be {expected} for a {element} input "
                f"padded with {value:g}, got {result}")

    @property
    def pad_value(self) -> float:
        return self.value.value.data


@irdl_op_definition
class SlidingWindowOp(QuantOp):
    """The windows of an NHWC tensor as vectors: im2col, channels last.

    Input [N, H, W, C], `kernel` [KH, KW], `strides` [SH, SW] (no padding: a
    `quant.pad` comes first; dilation 1). Result [N, OH, OW, KH*KW*C] with
    OH = (H - KH) / SH + 1 (floor), and the same for OW. Element
    (kh*KW + kw)*C + c of window (oh, ow) is input pixel (oh*SH + kh, ow*SW + kw),
    channel c: FINN's order, in which a convolution's weights become the rows of
    a (KH*KW*C) x M matrix.
    """

    name = "quant.sliding_window"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    kernel = prop_def(DenseArrayBase)
    strides = prop_def(DenseArrayBase)

    def verify_shapes(self) -> None:
        n, h, w, c = _check_nhwc(self, self.input)
        kernel, strides = array_prop(self, "kernel"), array_prop(self, "strides")
        if len(kernel) != 2 or len(strides) != 2 or min(kernel) < 1 or min(strides) < 1:
            raise VerifyException(
                f"'{self.name}' needs 2 kernel sizes and 2 strides, all >= 1, got "
                f"{list(kernel)} and {list(strides)}")
        out_h = conv_output_size(h, kernel[0], strides[0], 0, 0, 1)
        out_w = conv_output_size(w, kernel[1], strides[1], 0, 0, 1)
        check_window_fits(self, out_h, out_w)
        check_same_element_type(self, self.input, self.output)
        check_result_shape(self, (n, out_h, out_w, kernel[0] * kernel[1] * c))
