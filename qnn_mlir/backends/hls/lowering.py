"""Helpers the layer ops' HLS lowerings share: datatype policies, accumulator types and the
packing of weight and threshold ROMs.

Each layer op's `lower_to_hls` (qnn_mlir/dialects/dataflow_layers/) decides
its template call with these; the C++ side of each layout is documented in
the headers of include/qnn/, and the bit packing in packing.py.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    Float32Type,
    IntegerType,
    Signedness,
    f32,
)
from xdsl.ir import Attribute
from xdsl.utils.exceptions import DiagnosticException

from qnn_mlir.backends.hls.packing import encode, pack_words
from qnn_mlir.cost.resources import signed_bits
from qnn_mlir.dialects import hls
from qnn_mlir.dialects.datatypes import BipolarType, element_bits, integer_type_for
from qnn_mlir.ir_constants import dense_to_numpy


def datatype_policy(element_type: Attribute) -> str:
    """The library's datatype policy class (qnn/types.h) of an element type."""
    if isinstance(element_type, BipolarType):
        return "qnn::Bipolar"
    if isinstance(element_type, Float32Type):
        return "qnn::Float32"
    if isinstance(element_type, IntegerType):
        width = element_type.width.data
        if element_type.signedness.data == Signedness.UNSIGNED:
            return f"qnn::UInt<{width}>"
        return f"qnn::SInt<{width}>"
    raise DiagnosticException(f"no HLS datatype for stream element type {element_type}")


def accumulator_type(low: int, high: int) -> str:
    """The C++ accumulator type holding the exact range [low, high]."""
    if low >= 0:
        return f"ap_uint<{signed_bits(low, high)}>"
    return f"ap_int<{signed_bits(low, high)}>"


def weight_rom(name: str, raw_weights: np.ndarray, weight_type: Attribute, bipolar: bool,
               simd: int, pe: int) -> hls.RomOp:
    """An MVAU weight memory: word nf*SF + sf, lane p, element s = W[sf*SIMD+s, nf*PE+p]."""
    mw, mh = raw_weights.shape
    if bipolar:
        raw, bits = (raw_weights != 0).astype(np.uint8), 1
    else:
        raw, bits = encode(raw_weights, weight_type), element_bits(weight_type)
    tiles = raw.reshape(mw // simd, simd, mh // pe, pe).transpose(2, 0, 3, 1)
    words = pack_words(tiles.reshape(-1, pe * simd), bits)
    return hls.RomOp.from_words(name, pe * simd * bits, words)


def threshold_rom(name: str, thresholds: DenseIntOrFPElementsAttr, channels: int,
                  float_input: bool) -> tuple[hls.RomOp, str, int]:
    """The threshold memory, its datatype policy and the thresholds per channel N.

    One word per channel, N thresholds wide whatever PE (qnn/activation.h): a
    shared 1 x N row is repeated per channel.
    """
    values = dense_to_numpy(thresholds)
    steps = values.shape[1]
    values = np.broadcast_to(values, (channels, steps))
    if float_input:
        if not np.array_equal(values.astype(np.float32), values):
            raise DiagnosticException(f"thresholds of {name} are not exact in f32")
        element_type: Attribute = f32
    elif np.issubdtype(values.dtype, np.floating):
        raise DiagnosticException(
            f"{name}: float thresholds need a float (f32) input stream; thresholds on "
            "integers must be integers (streamline rounds them with ceil)")
    else:
        element_type = integer_type_for(int(values.min()), int(values.max()))
    raw = encode(values, element_type).reshape(channels, steps)
    bits = element_bits(element_type)
    rom = hls.RomOp.from_words(name, steps * bits, pack_words(raw, bits))
    return rom, datatype_policy(element_type), steps


def threshold_activation(prefix: str, thresholds: DenseIntOrFPElementsAttr, channels: int,
                         in_type: Attribute, out_type: Attribute, out_bias: int
                         ) -> tuple[hls.RomOp, list[int | str], str]:
    """The ROM, template arguments (N, ThrT, OUT_BITS, OUT_BIAS) and a comment of a
    thresholded output (qnn::Thresholds, qnn/activation.h)."""
    rom, policy, steps = threshold_rom(f"{prefix}_thresholds", thresholds, channels,
                                       isinstance(in_type, Float32Type))
    summary = f"{steps} threshold(s) per channel, out_bias {out_bias}"
    return rom, [steps, policy, element_bits(out_type), out_bias], summary
