"""The shared shape rules of the layers that stream an NHWC feature map: `sliding_window`,
`pad` and `maxpool`.

A feature map streams pixel by pixel, rows top to bottom, and each pixel's C
channels innermost: stream shape [1, H, W, C], F channels per word (F | C),
so that a word never holds two pixels. These layers fold over the channels
(SIMD or PE), read and write the same fold, and keep the element type.
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import DenseArrayBase
from xdsl.ir import Attribute
from xdsl.irdl import prop_def
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.dialects.dataflow_layers.interface import (
    Folding,
    FoldingParameter,
    StreamLayerOp,
)
from qnn_mlir.dialects.shapes import conv_output_size


class FeatureMapOp(StreamLayerOp):
    """A layer reading and writing an NHWC feature map, READ_FOLD_PARAMETER channels per word.

    It takes the fold its reader reads (a convolution's pad, window and pool in front
    of its MVAU, as FINN ties them), unless a config sets it."""

    # A subclass names its channel fold (SIMD or PE) as both READ_FOLD_PARAMETER and
    # WRITE_FOLD_PARAMETER: it writes the channel words it reads.
    FOLD_FOLLOWS_READER: ClassVar[bool] = True

    @property
    def channel_fold(self) -> str:
        """The folding parameter that is the channels per word (SIMD or PE)."""
        assert self.READ_FOLD_PARAMETER is not None
        return self.READ_FOLD_PARAMETER

    def folding_parameters(self) -> list[FoldingParameter]:
        return [FoldingParameter(self.channel_fold, "C", self.channels)]

    @property
    def in_height(self) -> int:
        return self.in_type.get_shape()[1]

    @property
    def in_width(self) -> int:
        return self.in_type.get_shape()[2]

    @property
    def out_height(self) -> int:
        return self.out_type.get_shape()[1]

    @property
    def out_width(self) -> int:
        return self.out_type.get_shape()[2]

    def channel_words(self, folding: Folding | None = None) -> int:
        """Words per pixel: C / fold."""
        return self.channels // self.param(self.channel_fold, folding)

    def pair(self, name: str) -> tuple[int, int]:
        """A two-element array property (kernel, strides) as a tuple."""
        attr = self.properties[name]
        assert isinstance(attr, DenseArrayBase)
        values = tuple(attr.get_values())
        return values  # type: ignore[return-value]

    def report_shape(self) -> str:
        return f"{self.in_height}x{self.in_width}x{self.channels}"

    def check_streams(self, out_element: Attribute | None = None) -> None:
        """NHWC input and output streams, the output of element type `out_element` (default:
        the input's); checked first: the other checks read H, W and C."""
        for what, stream_type in (("input", self.in_type), ("output", self.out_type)):
            if len(stream_type.get_shape()) != 4 or stream_type.get_shape()[0] != 1:
                raise VerifyException(
                    f"'{self.name}' {what} stream must be an NHWC feature map [1, H, W, C], "
                    f"got {list(stream_type.get_shape())}")
        expected = out_element or self.in_type.element_type
        if self.out_type.element_type != expected:
            if out_element is not None:
                raise VerifyException(
                    f"'{self.name}' output element type must be {expected} for a "
                    f"{self.in_type.element_type} input, got {self.out_type.element_type}")
            raise VerifyException(
                f"'{self.name}' output element type {self.out_type.element_type} must equal the "
                f"input element type {self.in_type.element_type}")

    def check_channels(self, out_channels: int) -> None:
        """The fold dividing C and written unchanged; `out_channels` per output pixel."""
        fold = self.param(self.channel_fold)
        self._check_positive(**{self.channel_fold: fold})
        self._check_multiple("C", self.channels, self.channel_fold, fold)
        if self.out_type.get_shape()[3] != out_channels:
            raise VerifyException(
                f"'{self.name}' output stream has {self.out_type.get_shape()[3]} elements per "
                f"pixel, expected {out_channels}")
        if self.out_type.fold.data != fold:
            raise VerifyException(
                f"'{self.name}' output stream fold ({self.out_type.fold.data}) must equal "
                f"{self.channel_fold} ({fold}): the layer writes the channel words it reads")


class WindowOp(FeatureMapOp):
    """A feature-map layer over KH x KW windows at strides SH x SW (sliding window, max
    pool); the layer's own fold parameter is declared by the subclass."""

    kernel = prop_def(DenseArrayBase)
    strides = prop_def(DenseArrayBase)

    def window(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """((KH, KW), (SH, SW))."""
        return self.pair("kernel"), self.pair("strides")

    def window_text(self) -> str:
        """`3x3/2`: the kernel and the vertical stride, as reports show them."""
        (kernel_h, kernel_w), (stride_h, _) = self.window()
        return f"{kernel_h}x{kernel_w}/{stride_h}"

    def report_kind(self) -> str:
        return f"{self.KIND} {self.window_text()}"

    def check_window(self) -> tuple[int, int]:
        """The `kernel` and `strides` properties: two values >= 1 each, the window inside
        the input; returns the output height and width they give."""
        kernel, strides = self.window()
        if len(kernel) != 2 or len(strides) != 2 or min(*kernel, *strides) < 1:
            raise VerifyException(
                f"'{self.name}' needs 2 kernel sizes and 2 strides, all >= 1, got "
                f"{list(kernel)} and {list(strides)}")
        out_h = conv_output_size(self.in_height, kernel[0], strides[0], 0, 0, 1)
        out_w = conv_output_size(self.in_width, kernel[1], strides[1], 0, 0, 1)
        if out_h < 1 or out_w < 1:
            raise VerifyException(
                f"'{self.name}' kernel {list(kernel)} is larger than the "
                f"{self.in_height}x{self.in_width} input")
        if (self.out_height, self.out_width) != (out_h, out_w):
            raise VerifyException(
                f"'{self.name}' output is {self.out_height}x{self.out_width} pixels; kernel "
                f"{list(kernel)} and strides {list(strides)} on {self.in_height}x"
                f"{self.in_width} give {out_h}x{out_w}")
        return out_h, out_w
