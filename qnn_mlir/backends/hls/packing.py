"""Stream and ROM word packing for the compiler: an adapter over the host runtime's.

The bit layout of stream and ROM words (FINN's) is defined, documented and
implemented once, in `qnn_runtime.packing` (runtime/qnn_runtime/packing.py):
the board's driver packs the DMA's bytes with the same code. This module maps
the compiler's element types to the runtime's `DataType` (`datatype_of`) and
turns the runtime's ValueErrors into QnnErrors.

`convert-dataflow-to-hls` uses `pack_words` to fill ROMs; `CSimModel` uses
`pack_frames` / `unpack_frames` to talk to the compiled C simulation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from qnn_runtime import packing as runtime_packing
from qnn_runtime.datatypes import MAX_INTEGER_BITS, DataType
from xdsl.dialects.builtin import Float32Type, IntegerType
from xdsl.ir import Attribute

from qnn_mlir.diagnostics import QnnError
from qnn_mlir.dialects.datatypes import BipolarType, integer_range

word_bytes = runtime_packing.word_bytes


def datatype_of(element_type: Attribute) -> DataType:
    """The runtime datatype of a stream element type: !quant.bipolar, an integer type
    (signless ones count as signed, as in `integer_range`) or f32."""
    if isinstance(element_type, BipolarType):
        return DataType("bipolar", 1)
    if isinstance(element_type, Float32Type):
        return DataType("float", 32)
    if isinstance(element_type, IntegerType) and element_type.width.data <= MAX_INTEGER_BITS:
        low, _ = integer_range(element_type)
        return DataType("int" if low < 0 else "uint", element_type.width.data)
    raise QnnError(f"error: stream element type {element_type} has no wire encoding "
                   f"(expected an integer of at most {MAX_INTEGER_BITS} bits, "
                   "!quant.bipolar or f32)")


@contextmanager
def _as_qnn_error() -> Iterator[None]:
    try:
        yield
    except ValueError as error:
        raise QnnError(f"error: {error}") from None


def encode(values: np.ndarray, element_type: Attribute) -> np.ndarray:
    """The raw bits of each element, as the narrowest unsigned type."""
    datatype = datatype_of(element_type)
    with _as_qnn_error():
        return runtime_packing.encode(values, datatype)


def decode(raw: np.ndarray, element_type: Attribute) -> np.ndarray:
    """Element values from raw bits: int64 (uint64 for ui64), or float32 for f32."""
    datatype = datatype_of(element_type)
    with _as_qnn_error():
        return runtime_packing.decode(raw, datatype)


def pack_words(raw: np.ndarray, bits: int) -> list[int]:
    """Rows of raw element values (words x elements) -> one Python int per row."""
    with _as_qnn_error():
        return runtime_packing.pack_words(raw, bits)


def pack_frames(values: np.ndarray, element_type: Attribute, fold: int,
                width: int) -> np.ndarray:
    """A batch of frames -> uint8 array (batch, words * word_bytes(width)).

    `values` has the batch in dim 0; each frame is flattened in C order and cut
    into words of `fold` elements.
    """
    datatype = datatype_of(element_type)
    with _as_qnn_error():
        return runtime_packing.pack(values, datatype, fold, word_bytes(width))


def unpack_frames(data: np.ndarray, element_type: Attribute, fold: int, width: int,
                  shape: tuple[int, ...]) -> np.ndarray:
    """The inverse of `pack_frames`: uint8 (batch, bytes) -> values of (batch, *shape[1:]),
    int64, or float32 for f32."""
    datatype = datatype_of(element_type)
    with _as_qnn_error():
        values = runtime_packing.unpack(data, datatype, fold, tuple(shape[1:]),
                                        word_bytes(width))
    return values if datatype.is_float else values.astype(np.int64)
