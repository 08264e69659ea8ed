"""Dataflow-form test modules for the HLS back end, built as text from a few numbers.

`Chain` writes the body of a one-input, one-output `dataflow.accelerator` layer
by layer, tracking the current stream, and inserts `dataflow.dwc` converters
where a layer reads another fold than its producer writes (through the gcd
of both folds when neither is a multiple of the other), as
`dataflow-insert-dwc` would. `binary_chain` and `integer_chain` are the two
networks the tests fold in several ways; the weights and thresholds come from
a seeded generator, so the same arguments give the same text (and the C
simulation cache hits).
"""

from __future__ import annotations

from math import gcd

import numpy as np

BIPOLAR = "!quant.bipolar"


def dense(array: np.ndarray, element_type: str) -> str:
    """`dense<...> : tensor<...>` text (floats must be exact in f32)."""
    values = np.asarray(array)
    shape = "x".join(str(d) for d in values.shape)
    return f"dense<{values.tolist()}> : tensor<{shape}x{element_type}>"


def stream(shape: tuple[int, ...], element_type: str, fold: int) -> str:
    """`!dataflow.stream<...>` text."""
    return f"!dataflow.stream<{'x'.join(map(str, shape))}x{element_type}, {fold}>"


def tensor(shape: tuple[int, ...], element_type: str) -> str:
    """`tensor<...>` text."""
    return f"tensor<{'x'.join(map(str, shape))}x{element_type}>"


class Chain:
    """A chain of dataflow layers from one input stream to one output stream."""

    def __init__(self, shape: tuple[int, ...], element_type: str, fold: int):
        self.in_shape, self.in_type, self.in_fold = shape, element_type, fold
        self.shape, self.type, self.fold = shape, element_type, fold
        self.lines: list[str] = []
        self.value = "%in"
        self.count = 0

    @property
    def current(self) -> str:
        """The type of the current stream."""
        return stream(self.shape, self.type, self.fold)

    def _emit(self, text: str, shape: tuple[int, ...], element_type: str, fold: int) -> None:
        result = f"%v{self.count}"
        self.count += 1
        self.lines.append(f"    {result} = {text} : {self.current} -> "
                          f"{stream(shape, element_type, fold)}")
        self.value, self.shape, self.type, self.fold = result, shape, element_type, fold

    def read(self, fold: int) -> None:
        """Convert the current stream to `fold` elements per word if it has another fold."""
        if fold == self.fold:
            return
        if fold % self.fold and self.fold % fold:
            self.read(gcd(fold, self.fold))
        self._emit(f"dataflow.dwc {self.value}", self.shape, self.type, fold)

    def thresholding(self, pe: int, thresholds: np.ndarray, threshold_type: str,
                     out_type: str, out_bias: int = 0) -> None:
        """A thresholding layer on the innermost dimension."""
        self.read(pe)
        attrs = f"thresholds = {dense(thresholds, threshold_type)}, out_bias = {out_bias}"
        self._emit(f"dataflow.thresholding {self.value} PE {pe} {{{attrs}}}", self.shape,
                   out_type, pe)

    def mvau(self, weights: np.ndarray, weight_type: str, simd: int, pe: int, out_type: str,
             thresholds: np.ndarray | None = None, xnor: bool = False,
             out_bias: int = 0) -> None:
        """An MVAU with MW x MH weights; thresholds (i32) or none."""
        mw, mh = weights.shape
        self.read(simd)
        attrs = ["xnor"] if xnor else []
        attrs.append(f"weights = {dense(weights, weight_type)}")
        if thresholds is not None:
            attrs.append(f"thresholds = {dense(thresholds, 'i32')}")
        if out_bias:
            attrs.append(f"out_bias = {out_bias}")
        self._emit(f"dataflow.mvau {self.value} MW {mw} MH {mh} SIMD {simd} PE {pe} "
                   f"{{{', '.join(attrs)}}}", (*self.shape[:-1], mh), out_type, pe)

    def pad(self, pads: tuple[int, int, int, int], value: int, simd: int,
            out_type: str | None = None) -> None:
        """Padding of the NHWC map: pads = (top, left, bottom, right); `out_type` si2 for a
        bipolar map padded with 0."""
        self.read(simd)
        n, h, w, c = self.shape
        top, left, bottom, right = pads
        self._emit(f"dataflow.pad {self.value} SIMD {simd} {{pads = array<i64: "
                   f"{top}, {left}, {bottom}, {right}>, value = {value} : i64}}",
                   (n, h + top + bottom, w + left + right, c), out_type or self.type, simd)

    def _window_shape(self, kernel: tuple[int, int], strides: tuple[int, int]
                      ) -> tuple[int, int]:
        (_, h, w, _), (kh, kw), (sh, sw) = self.shape, kernel, strides
        return (h - kh) // sh + 1, (w - kw) // sw + 1

    @staticmethod
    def _window_attrs(kernel: tuple[int, int], strides: tuple[int, int]) -> str:
        return (f"{{kernel = array<i64: {kernel[0]}, {kernel[1]}>, strides = array<i64: "
                f"{strides[0]}, {strides[1]}>}}")

    def sliding_window(self, kernel: tuple[int, int], strides: tuple[int, int],
                       simd: int) -> None:
        """The im2col windows of the NHWC map."""
        self.read(simd)
        out_h, out_w = self._window_shape(kernel, strides)
        channels = kernel[0] * kernel[1] * self.shape[3]
        self._emit(f"dataflow.sliding_window {self.value} SIMD {simd} "
                   f"{self._window_attrs(kernel, strides)}", (1, out_h, out_w, channels),
                   self.type, simd)

    def maxpool(self, kernel: tuple[int, int], strides: tuple[int, int], pe: int) -> None:
        """Max pooling of the NHWC map."""
        self.read(pe)
        out_h, out_w = self._window_shape(kernel, strides)
        self._emit(f"dataflow.maxpool {self.value} PE {pe} {self._window_attrs(kernel, strides)}",
                   (1, out_h, out_w, self.shape[3]), self.type, pe)

    def flatten(self) -> None:
        """A stream view of the map as one vector."""
        size = int(np.prod(self.shape[1:]))
        self._emit(f"dataflow.reshape {self.value}", (1, size), self.type, self.fold)

    def label_select(self, k: int, pe: int, out_type: str) -> None:
        """Top-k indices of the innermost dimension."""
        self.read(pe)
        self._emit(f"dataflow.label_select {self.value} K {k} PE {pe}", (*self.shape[:-1], k),
                   out_type, 1)

    def module(self, name: str = "acc", prologue: str = "", epilogue: str = "",
               arg_type: str | None = None, result_type: str | None = None) -> str:
        """`func.func @main` around `dataflow.accelerator @name`.

        Host ops: a `prologue` defines `%x` (the accelerator operand) from
        `%arg` of type `arg_type`; an `epilogue` defines `%z` of type
        `result_type` from the accelerator result `%y`.
        """
        in_tensor = tensor(self.in_shape, self.in_type)
        out_tensor = tensor(self.shape, self.type)
        arg = "%arg" if prologue else "%x"
        result = "%z" if epilogue else "%y"
        result_type = result_type or out_tensor
        return (
            f"func.func @main({arg}: {arg_type or in_tensor}) -> {result_type} {{\n"
            f"{prologue}"
            f"  %y = dataflow.accelerator @{name}(%x) : ({in_tensor}) -> {out_tensor} {{\n"
            f"  ^bb0(%in: {stream(self.in_shape, self.in_type, self.in_fold)}):\n"
            + "\n".join(self.lines)
            + f"\n    dataflow.yield {self.value} : {self.current}\n  }}\n"
            f"{epilogue}"
            f"  func.return {result} : {result_type}\n}}\n"
        )


def ascending(rng: np.random.Generator, rows: int, steps: int, low: int, high: int
              ) -> np.ndarray:
    """Random integer thresholds, each row sorted."""
    return np.sort(rng.integers(low, high + 1, size=(rows, steps)), axis=1)


def binary_chain(foldings: tuple[tuple[int, int], ...], seed: int = 0) -> Chain:
    """f32 input quantizer -> xnor MVAU (thresholds) -> xnor MVAU (popcount) -> top-3.

    Sizes 24 -> 12 -> 8 labels; `foldings` = ((quantizer PE, -), (SIMD, PE),
    (SIMD, PE), (label PE, -)).
    """
    rng = np.random.default_rng(seed)
    (q_pe, _), (simd0, pe0), (simd1, pe1), (l_pe, _) = foldings
    chain = Chain((1, 24), "f32", q_pe)
    chain.thresholding(q_pe, rng.integers(-8, 9, size=(24, 1)) / 8, "f32", BIPOLAR)
    chain.mvau(rng.integers(0, 2, size=(24, 12)), "i1", simd0, pe0, BIPOLAR,
               thresholds=rng.integers(6, 19, size=(12, 1)), xnor=True)
    chain.mvau(rng.integers(0, 2, size=(12, 8)), "i1", simd1, pe1, "ui4", xnor=True)
    chain.label_select(3, l_pe, "ui3")
    return chain


def integer_chain(foldings: tuple[tuple[int, int], ...], seed: int = 1) -> Chain:
    """si8 thresholding -> 2-bit MVAU (thresholds) -> 2-bit MVAU (accumulator) -> top-2.

    Two input vectors per frame (shape 1x2x12), so every layer loops over
    vectors; sizes 12 -> 8 -> 6 scores.
    """
    rng = np.random.default_rng(seed)
    (t_pe, _), (simd0, pe0), (simd1, pe1), (l_pe, _) = foldings
    chain = Chain((1, 2, 12), "si8", t_pe)
    chain.thresholding(t_pe, ascending(rng, 12, 2, -100, 100), "i32", "si2", out_bias=-1)
    chain.mvau(rng.integers(-2, 2, size=(12, 8)), "si2", simd0, pe0, "ui2",
               thresholds=ascending(rng, 8, 3, -8, 8))
    weights = rng.integers(-2, 2, size=(8, 6))
    chain.mvau(weights, "si2", simd1, pe1, "si7")
    chain.label_select(2, l_pe, "ui32")
    return chain


def random_input(chain: Chain, batch: int, rng: np.random.Generator) -> np.ndarray:
    """A batch for the chain's input type: f32 on a 1/8 grid (ties with thresholds
    included), bipolar, or the full integer range."""
    shape = (batch, *chain.in_shape[1:])
    if chain.in_type == "f32":
        return (rng.integers(-12, 13, size=shape) / 8).astype(np.float32)
    if chain.in_type == BIPOLAR:
        return rng.choice(np.array([-1, 1]), size=shape)
    bits = int(chain.in_type[2:])
    if chain.in_type.startswith("ui"):
        return rng.integers(0, 1 << bits, size=shape)
    return rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), size=shape)
