"""Stream and ROM word packing: the bit layout shared by the pass, the C++ library and the host.

One convention everywhere (FINN-compatible):

* an element of `b` bits is stored as its raw bits: two's complement for
  signed integers, the value for unsigned ones, `(v + 1) / 2` for bipolar
  values (bit 1 means +1) and the IEEE-754 bits for `f32`;
* element `i` of a word occupies bits `[i*b, (i+1)*b)`, element 0 in the least
  significant bits; the unused top bits are zero;
* on the host a word is padded to whole bytes and stored little-endian, words
  of a frame one after the other, frames one after the other.

`convert-dataflow-to-hls` uses `pack_words` to fill ROMs; `CSimModel` uses
`pack_frames` / `unpack_frames` to talk to the compiled C simulation.
"""

from __future__ import annotations

from math import prod

import numpy as np
from xdsl.dialects.builtin import Float32Type, IntegerType, Signedness
from xdsl.ir import Attribute

from qnn_mlir.diagnostics import QnnError
from qnn_mlir.dialects.datatypes import BipolarType, element_bits, element_range


def word_bytes(width: int) -> int:
    """Bytes of a `width`-bit word padded to whole bytes."""
    return -(-width // 8)


def _check_supported(element_type: Attribute) -> None:
    if isinstance(element_type, BipolarType | IntegerType | Float32Type):
        return
    raise QnnError(f"error: stream element type {element_type} has no wire encoding "
                   "(expected an integer, !quant.bipolar or f32)")


def _raw_dtype(bits: int) -> np.dtype:
    """The narrowest unsigned numpy type holding `bits` bits (bit arithmetic stays cheap)."""
    return np.dtype(next(f"u{n}" for n in (1, 2, 4, 8) if bits <= 8 * n))


def encode(values: np.ndarray, element_type: Attribute) -> np.ndarray:
    """The raw bits of each element, as the narrowest unsigned type (see the module docstring)."""
    _check_supported(element_type)
    if isinstance(element_type, Float32Type):
        return np.asarray(values, dtype=np.float32).view(np.uint32)
    array = np.asarray(values)
    low, high = element_range(element_type)  # type: ignore[misc]
    if array.size and (array.min() < low or array.max() > high):
        raise QnnError(f"error: values in [{array.min()}, {array.max()}] do not fit the "
                       f"element type {element_type} [{low}, {high}]")
    if isinstance(element_type, BipolarType):
        if np.count_nonzero(array) != array.size:  # no temporary array, unlike any(array == 0)
            raise QnnError("error: a !quant.bipolar value must be -1 or +1, got 0")
        return (array > 0).view(np.uint8)
    bits = element_bits(element_type)
    dtype = _raw_dtype(bits)
    # Casting to an unsigned type keeps the low bits (two's complement); the mask clears
    # the rest.
    return array.astype(np.int64, copy=False).astype(dtype) & dtype.type((1 << bits) - 1)


def decode(raw: np.ndarray, element_type: Attribute) -> np.ndarray:
    """Element values from raw bits (uint64): int64, or float32 for f32."""
    _check_supported(element_type)
    raw = np.asarray(raw, dtype=np.uint64)
    if isinstance(element_type, Float32Type):
        return raw.astype(np.uint32).view(np.float32)
    if isinstance(element_type, BipolarType):
        return 2 * (raw & np.uint64(1)).astype(np.int64) - 1
    bits = element_bits(element_type)
    values = raw.astype(np.int64)
    signed = element_type.signedness.data != Signedness.UNSIGNED  # type: ignore[attr-defined]
    if signed and bits < 64:
        values = np.where(values >= (1 << (bits - 1)), values - (1 << bits), values)
    return values


def _to_bits(raw: np.ndarray, bits: int) -> np.ndarray:
    """(..., n) raw values -> (..., n * bits) bits, element-major, LSB first, as uint8."""
    raw = raw.astype(_raw_dtype(bits), copy=False)
    if bits == 1:
        bit_array = raw & 1
    else:
        bit_array = (raw[..., None] >> np.arange(bits, dtype=raw.dtype)) & raw.dtype.type(1)
    return bit_array.astype(np.uint8, copy=False).reshape(*raw.shape[:-1], raw.shape[-1] * bits)


def pack_words(raw: np.ndarray, bits: int) -> list[int]:
    """Rows of raw element values (words x elements) -> one Python int per row."""
    bit_rows = _to_bits(np.asarray(raw), bits)
    data = np.packbits(bit_rows, axis=-1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in data]


def pack_frames(values: np.ndarray, element_type: Attribute, fold: int,
                width: int) -> np.ndarray:
    """A batch of frames -> uint8 array (batch, words * word_bytes(width)), FINN layout.

    `values` has the batch in dim 0; each frame is flattened in C order and cut
    into words of `fold` elements.
    """
    batch, words = values.shape[0], prod(values.shape[1:]) // fold
    bits = element_bits(element_type)
    raw = encode(values, element_type).reshape(batch, words, fold)
    pad = word_bytes(width) * 8 - fold * bits
    if pad < 0:
        raise QnnError(f"error: {fold} elements of {bits} bits do not fit a {width}-bit word")
    if bits in (8, 16, 32, 64):  # whole bytes: the little-endian bytes of each element
        data = raw.astype(f"<u{bits // 8}", copy=False).view(np.uint8)
        data = data.reshape(batch, words, fold * bits // 8)
        if pad:
            data = np.pad(data, ((0, 0), (0, 0), (0, pad // 8)))
        return np.ascontiguousarray(data).reshape(batch, words * word_bytes(width))
    if bits in (2, 4) or (bits == 1 and fold < 8):  # several elements per byte: shift and OR
        return _pack_sub_byte(raw, bits, word_bytes(width)).reshape(
            batch, words * word_bytes(width))
    # packbits fills the last byte of a word with zeros; whole padding bytes come after.
    data = np.packbits(_to_bits(raw, bits), axis=-1, bitorder="little")
    if data.shape[-1] < word_bytes(width):
        data = np.pad(data, ((0, 0), (0, 0), (0, word_bytes(width) - data.shape[-1])))
    return data.reshape(batch, words * word_bytes(width))


def _pack_sub_byte(raw: np.ndarray, bits: int, nbytes: int) -> np.ndarray:
    """(..., fold) raw values of 1, 2 or 4 bits -> (..., nbytes) bytes: element i of a word
    in bits [i*bits, (i+1)*bits), the rest zero."""
    per_byte = 8 // bits
    fold = raw.shape[-1]
    if fold * bits <= 8:  # a word fits one byte: OR the few elements in place
        packed = np.zeros((*raw.shape[:-1], nbytes), dtype=np.uint8)
        packed[..., 0] = raw[..., 0]
        for lane in range(1, fold):
            packed[..., 0] |= raw[..., lane] << np.uint8(lane * bits)
        return packed
    padded = np.zeros((*raw.shape[:-1], nbytes * per_byte), dtype=np.uint8)
    padded[..., : raw.shape[-1]] = raw
    lanes = padded.reshape(*raw.shape[:-1], nbytes, per_byte)
    packed = lanes[..., 0].copy()
    for lane in range(1, per_byte):
        packed |= lanes[..., lane] << np.uint8(lane * bits)
    return packed


def unpack_frames(data: np.ndarray, element_type: Attribute, fold: int, width: int,
                  shape: tuple[int, ...]) -> np.ndarray:
    """The inverse of `pack_frames`: uint8 (batch, bytes) -> values of (batch, *shape[1:])."""
    batch, bits = data.shape[0], element_bits(element_type)
    words = data.reshape(batch, prod(shape) // fold, word_bytes(width))
    if bits in (8, 16, 32, 64):
        elements = np.ascontiguousarray(words[..., : fold * bits // 8])
        raw = elements.view(f"<u{bits // 8}").astype(np.uint64)
        return decode(raw, element_type).reshape(batch, *shape[1:])
    if bits <= 57:  # each element lies within the 8 bytes from the one holding its bit 0
        raw = _gather_elements(words, fold, bits)
    else:
        bit_words = np.unpackbits(words, axis=-1, bitorder="little")[..., : fold * bits]
        bit_words = bit_words.reshape(*bit_words.shape[:-1], fold, bits).astype(np.uint64)
        raw = (bit_words << np.arange(bits, dtype=np.uint64)).sum(axis=-1, dtype=np.uint64)
    return decode(raw, element_type).reshape(batch, *shape[1:])


def _gather_elements(words: np.ndarray, fold: int, bits: int) -> np.ndarray:
    """uint8 (..., word bytes) -> the `fold` raw `bits`-bit values of each word, as uint64.

    Element i starts at bit i*bits: read the 8 bytes from byte i*bits // 8 as a
    little-endian uint64, shift by i*bits % 8 (at most 7) and mask.
    """
    starts = np.arange(fold) * bits
    offsets = (starts // 8)[:, None] + np.arange(8)
    padded = np.pad(words, [(0, 0)] * (words.ndim - 1) + [(0, 8)])
    chunks = np.ascontiguousarray(padded[..., offsets]).view("<u8")[..., 0]
    shifts = (starts % 8).astype(np.uint64)
    return (chunks >> shifts) & np.uint64((1 << bits) - 1)
