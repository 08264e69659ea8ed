"""Stream words <-> numpy arrays: the bit layout of every accelerator port (FINN's).

The one definition of the layout, used by the compiler (ROM words, C simulation)
and by the board's driver (the bytes the AXI DMA moves):

* an element of `b` bits is stored as its raw bits: two's complement for
  signed integers, the value for unsigned ones, `(v + 1) / 2` for bipolar
  values (bit 1 means +1) and the IEEE-754 bits for float32;
* element `i` of a word occupies bits `[i*b, (i+1)*b)`, element 0 in the least
  significant bits; the unused top bits are zero;
* in host memory a word is padded to whole bytes (or to a larger given number
  of bytes, e.g. a DMA beat) and stored little-endian, words of a frame one
  after the other, frames one after the other.

Everything is vectorized: the stream is processed a chunk at a time (so that
the temporaries stay in the CPU cache) by a codec per kind of width: whole
bytes (a copy), 1, 2 and 4 bits (np.packbits or a SWAR multiplication; a
byte -> values table), and any other width (a loop over the element lanes of
a byte-aligned group, on uint64 columns).

`unpack` returns the narrowest numpy dtype holding the datatype's values
(int8 for int2 and bipolar, uint8 for uint4, float32 for float32): widening to
int64 would cost more than the unpacking itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from math import gcd, prod

import numpy as np

from qnn_runtime.datatypes import DataType, as_datatype

# Elements per chunk: the chunk's temporaries (up to 8 bytes an element) stay in L2.
CHUNK_ELEMENTS = 1 << 18
_U64 = np.dtype("<u8")


def word_bytes(width: int) -> int:
    """Bytes of a `width`-bit word padded to whole bytes."""
    return -(-width // 8)


# -- element encoding -------------------------------------------------------------------


def _unmasked_raw(values: np.ndarray, datatype: DataType) -> np.ndarray:
    """Raw bits whose low `datatype.bits` bits encode each (checked) value; the higher
    bits may be set. A view of `values` where the dtypes allow it."""
    if datatype.is_float:
        return values.astype(np.float32, copy=False).view(np.uint32)
    if datatype.kind == "bipolar":
        return (values > 0).view(np.uint8)
    raw_dtype = datatype.raw_dtype
    if values.dtype.kind == "f":
        values = values.astype(np.int64)  # float -> unsigned is undefined for negatives
    if values.dtype.itemsize == raw_dtype.itemsize:
        return values.view(raw_dtype)
    return values.astype(raw_dtype)  # an integer cast keeps the low bits: two's complement


def _low_bits_mask(bits: int, dtype: np.dtype) -> np.generic:
    return dtype.type((1 << bits) - 1)


def encode(values: np.ndarray, datatype: DataType | str) -> np.ndarray:
    """The raw bits of each (range-checked) element, as the narrowest unsigned dtype."""
    datatype = as_datatype(datatype)
    values = np.asarray(values)
    datatype.check(values, "encode")
    raw = _unmasked_raw(values, datatype)
    return raw & _low_bits_mask(datatype.bits, raw.dtype)


def _decode_in_place(raw: np.ndarray, datatype: DataType) -> np.ndarray:
    """Values (a datatype.numpy_dtype view of `raw`) from masked raw bits.

    Overwrites `raw` when the datatype is narrower than its dtype; full-width raw
    values (possibly views of the caller's data) are only reinterpreted."""
    if datatype.kind == "bipolar":  # 0 -> 0xFF (-1), 1 -> 1; add, as uint8 shifts are slow
        np.add(raw, raw, out=raw)
        np.subtract(raw, raw.dtype.type(1), out=raw)
    elif datatype.kind == "int" and datatype.bits < 8 * raw.dtype.itemsize:
        sign = raw.dtype.type(1 << (datatype.bits - 1))  # (raw ^ sign) - sign sign-extends
        np.bitwise_xor(raw, sign, out=raw)
        np.subtract(raw, sign, out=raw)
    return raw.view(datatype.numpy_dtype)


def decode(raw: np.ndarray, datatype: DataType | str) -> np.ndarray:
    """Element values from raw bits (any unsigned dtype; the bits above `bits` are
    ignored): int64 (uint64 for uint64), or float32 for float32."""
    datatype = as_datatype(datatype)
    raw = np.asarray(raw).astype(datatype.raw_dtype)
    raw &= _low_bits_mask(datatype.bits, raw.dtype)
    values = _decode_in_place(raw, datatype)
    if datatype.is_float or datatype.name == "uint64":
        return values
    return values.astype(np.int64)


# -- codecs: a flat stream of raw elements -> its bytes -> values ---------------------------


class _Codec:
    """`pack` takes unmasked raw bits (a multiple of `group` elements) and returns bytes;
    `unpack` takes those bytes and returns values (datatype.numpy_dtype)."""

    group = 1

    def pack(self, raw: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def unpack(self, data: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def unpack_into(self, data: np.ndarray, values: np.ndarray) -> None:
        """`unpack`, into `values` (contiguous, as many elements as `data` holds)."""
        values[...] = self.unpack(data)


class _WholeBytes(_Codec):
    """8, 16, 32 or 64 bits: an element is its little-endian bytes.

    The only codec whose results may be views of its argument."""

    def __init__(self, datatype: DataType) -> None:
        self.wire = np.dtype(f"<u{datatype.bits // 8}")
        self.values = datatype.numpy_dtype.newbyteorder("<")

    def pack(self, raw: np.ndarray) -> np.ndarray:
        return raw.astype(self.wire, copy=False).view(np.uint8)

    def unpack(self, data: np.ndarray) -> np.ndarray:
        return data.view(self.values)


class _SubByte(_Codec):
    """1, 2 or 4 bits: several elements per byte.

    Packing 2 and 4 bits is SWAR: eight raw bytes, one element each, are one uint64;
    after masking, one multiplication moves lane k of each group of `lanes_per_byte`
    bytes to bit k*bits of the group's top byte (the partial products never overlap,
    so nothing carries). 1 bit is np.packbits. Unpacking looks each byte up in a table
    of its elements' values (np.take), which also sign-extends; uint1 is np.unpackbits.
    """

    group = 8

    def __init__(self, datatype: DataType) -> None:
        self.datatype = datatype
        bits = datatype.bits
        self.lanes_per_byte = 8 // bits
        self.lane_mask = np.uint64(int.from_bytes(bytes([(1 << bits) - 1]) * 8, "little"))
        top = 8 * (self.lanes_per_byte - 1)
        self.gather = np.uint64(sum(1 << (top - lane * (8 - bits))
                                    for lane in range(self.lanes_per_byte)))
        self.top = np.uint64(top)
        self.lane_group = np.dtype(f"<u{self.lanes_per_byte}")

    def pack(self, raw: np.ndarray) -> np.ndarray:
        if self.datatype.bits == 1:
            # packbits takes any nonzero byte as 1; a checked value's raw byte is 0 or has
            # its bit 0 set (int1's -1 is 0xFF), so no mask is needed
            return np.packbits(raw, bitorder="little")
        word = raw.view(_U64) & self.lane_mask
        word *= self.gather
        word >>= self.top
        return word.view(self.lane_group).astype(np.uint8)

    def unpack(self, data: np.ndarray) -> np.ndarray:
        if self.datatype.name == "uint1":  # unpackbits' bytes are the values already
            return np.unpackbits(data, bitorder="little")
        table = _byte_values_table(self.datatype)
        return np.take(table, data).view(self.datatype.numpy_dtype)

    def unpack_into(self, data: np.ndarray, values: np.ndarray) -> None:
        if self.datatype.name == "uint1":
            super().unpack_into(data, values)
            return
        # straight into `values`; mode="clip" spares take a buffer (a byte is < 256)
        np.take(_byte_values_table(self.datatype), data, mode="clip",
                out=values.view(self.lane_group))


@lru_cache(maxsize=None)  # noqa: UP033 (functools.cache needs Python 3.9)
def _byte_values_table(datatype: DataType) -> np.ndarray:
    """For each of the 256 bytes, the values of its elements, as one unsigned item."""
    lanes = 8 // datatype.bits
    raw = (np.arange(256)[:, None] >> (np.arange(lanes) * datatype.bits)) \
        & ((1 << datatype.bits) - 1)
    values = _decode_in_place(raw.astype(datatype.raw_dtype), datatype)
    return np.ascontiguousarray(values).view(f"<u{lanes}").reshape(256)


class _AnyWidth(_Codec):
    """Any width: a group of `group` elements fills whole bytes; it is built in uint64
    columns by a loop over the group's element lanes (at most 8)."""

    def __init__(self, datatype: DataType) -> None:
        self.datatype = datatype
        bits = datatype.bits
        self.group = 8 // gcd(bits, 8)
        self.group_bytes = self.group * bits // 8
        self.columns = -(-self.group_bytes // 8)
        self.mask = np.uint64((1 << bits) - 1)
        # lane -> (column, shift of its bit 0 in it, whether it spills into the next one)
        self.lanes = [(lane * bits // 64, lane * bits % 64, lane * bits % 64 + bits > 64)
                      for lane in range(self.group)]

    def pack(self, raw: np.ndarray) -> np.ndarray:
        lanes = raw.reshape(-1, self.group)
        columns = np.zeros((lanes.shape[0], self.columns), dtype=_U64)
        for lane, (column, shift, spills) in enumerate(self.lanes):
            value = lanes[:, lane].astype(_U64)
            value &= self.mask
            columns[:, column] |= value << np.uint64(shift)
            if spills:
                columns[:, column + 1] |= value >> np.uint64(64 - shift)
        data = columns.view(np.uint8)
        if self.columns * 8 != self.group_bytes:
            data = np.ascontiguousarray(data[:, :self.group_bytes])
        return data.reshape(-1)

    def unpack(self, data: np.ndarray) -> np.ndarray:
        groups = data.reshape(-1, self.group_bytes)
        if self.columns * 8 == self.group_bytes:
            padded = groups
        else:
            padded = np.zeros((groups.shape[0], self.columns * 8), dtype=np.uint8)
            padded[:, :self.group_bytes] = groups
        columns = padded.view(_U64)
        raw = np.empty((groups.shape[0], self.group), dtype=self.datatype.raw_dtype)
        for lane, (column, shift, spills) in enumerate(self.lanes):
            value = columns[:, column] >> np.uint64(shift)
            if spills:
                value |= columns[:, column + 1] << np.uint64(64 - shift)
            value &= self.mask
            raw[:, lane] = value
        return _decode_in_place(raw.reshape(-1), self.datatype)


@lru_cache(maxsize=None)  # noqa: UP033 (functools.cache needs Python 3.9)
def _codec(datatype: DataType) -> _Codec:
    if datatype.bits in (8, 16, 32, 64):
        return _WholeBytes(datatype)
    if datatype.bits in (1, 2, 4):
        return _SubByte(datatype)
    return _AnyWidth(datatype)


# -- frames <-> stream ---------------------------------------------------------------------


class _Layout:
    """Where the elements of a batch of frames go: `fold` elements of `bits` bits per
    word, `data_bytes` bytes of data in each word of `word_bytes` bytes."""

    def __init__(self, datatype: DataType, fold: int, frame_elements: int,
                 requested_word_bytes: int | None) -> None:
        bits = datatype.bits
        if fold < 1:
            raise ValueError(f"a word holds at least one element, not fold={fold}")
        self.data_bytes = word_bytes(fold * bits)
        self.word_bytes = (self.data_bytes if requested_word_bytes is None
                           else int(requested_word_bytes))
        if self.word_bytes < self.data_bytes:
            raise ValueError(f"{fold} elements of {bits} bits ({fold * bits} bits) do not "
                             f"fit a word of {self.word_bytes} bytes")
        if frame_elements % fold:
            raise ValueError(f"a frame of {frame_elements} elements is not a whole number "
                             f"of words of {fold} elements")
        self.fold = fold
        self.frame_words = frame_elements // fold
        self.codec = _codec(datatype)
        # back-to-back words make one continuous stream: no per-word work at all
        self.continuous = fold * bits % 8 == 0 and self.word_bytes == self.data_bytes
        group = self.codec.group
        self.padded_fold = -(-fold // group) * group
        self.padded_bytes = self.padded_fold * bits // 8

    @property
    def frame_bytes(self) -> int:
        return self.frame_words * self.word_bytes


def _chunks(count: int, step: int) -> Iterator[tuple[int, int]]:
    """[start, stop) ranges of `step` items (the last one may be shorter)."""
    for start in range(0, count, step):
        yield start, min(count, start + step)


def _stream_step(group: int) -> int:
    """About CHUNK_ELEMENTS elements, whole groups: each chunk starts on a byte."""
    return max(1, CHUNK_ELEMENTS // group) * group


def pack(values: np.ndarray, datatype: DataType | str, fold: int,
         word_bytes: int | None = None, what: str = "pack") -> np.ndarray:
    """A batch of frames -> the uint8 stream, shape (batch, words * word_bytes).

    `values` has shape (batch, *frame); each frame is flattened in C order and
    cut into words of `fold` elements. `word_bytes` defaults to the word padded
    to whole bytes and may be larger (e.g. a DMA beat). The values are checked
    (`DataType.check`, ValueError; `what` names them in the message); the result is a
    new array.
    """
    datatype = as_datatype(datatype)
    values = np.asarray(values)
    if values.ndim == 0:
        raise ValueError("values must have a batch dimension (dim 0)")
    layout = _Layout(datatype, fold, prod(values.shape[1:]), word_bytes)
    flat = values.reshape(-1)
    words = flat.size // fold
    data = np.empty(words * layout.word_bytes, dtype=np.uint8)
    if layout.continuous:
        _pack_continuous(flat, datatype, layout, data, what)
    else:
        _pack_words(flat.reshape(words, fold), datatype, layout,
                    data.reshape(words, layout.word_bytes), what)
    return data.reshape(values.shape[0], layout.frame_words * layout.word_bytes)


def _checked_raw(chunk: np.ndarray, datatype: DataType, values: np.ndarray,
                 what: str) -> np.ndarray:
    """The unmasked raw bits of a chunk of `values`, checked first: a chunk at a time,
    while it is in the cache; a bad chunk is reported for the whole of `values`."""
    try:
        datatype.check(chunk, what)
    except ValueError:
        datatype.check(values, what)
        raise
    return _unmasked_raw(chunk, datatype)


def _pack_continuous(flat: np.ndarray, datatype: DataType, layout: _Layout,
                     data: np.ndarray, what: str) -> None:
    bits, group = datatype.bits, layout.codec.group
    for start, stop in _chunks(flat.size, _stream_step(group)):
        raw = _checked_raw(flat[start:stop], datatype, flat, what)
        if raw.size % group:  # the stream's tail: zero lanes up to a whole group
            raw = np.concatenate([raw, np.zeros(group - raw.size % group, raw.dtype)])
        data[start * bits // 8:stop * bits // 8] = \
            layout.codec.pack(raw)[:(stop - start) * bits // 8]


def _pack_words(words: np.ndarray, datatype: DataType, layout: _Layout,
                data: np.ndarray, what: str) -> None:
    """Words padded to whole groups of the codec (zero lanes), packed, then cut back to
    their data bytes; the padding bytes are zero."""
    rows = max(1, CHUNK_ELEMENTS // layout.padded_fold)
    padded = None
    if layout.padded_fold != layout.fold:
        padded = np.zeros((rows, layout.padded_fold), dtype=datatype.raw_dtype)
    for start, stop in _chunks(words.shape[0], rows):
        raw = _checked_raw(words[start:stop], datatype, words, what)
        if padded is not None:
            padded[:stop - start, :layout.fold] = raw
            raw = padded[:stop - start]
        packed = layout.codec.pack(raw.reshape(-1)).reshape(stop - start, layout.padded_bytes)
        data[start:stop, :layout.data_bytes] = packed[:, :layout.data_bytes]
    data[:, layout.data_bytes:] = 0


def unpack(data: np.ndarray, datatype: DataType | str, fold: int,
           frame_shape: tuple, word_bytes: int | None = None) -> np.ndarray:
    """The inverse of `pack`: the uint8 stream (batch, frame bytes), or the frames' bytes
    back to back, -> values of shape (batch, *frame_shape), as datatype.numpy_dtype."""
    datatype = as_datatype(datatype)
    frame_shape = tuple(int(size) for size in frame_shape)
    layout = _Layout(datatype, fold, prod(frame_shape), word_bytes)
    data = np.asarray(data)
    if data.dtype != np.uint8:
        raise ValueError(f"packed data must be uint8, not {data.dtype}")
    if layout.frame_bytes == 0 or data.size % layout.frame_bytes or (
            data.ndim == 2 and data.shape[1] != layout.frame_bytes):
        raise ValueError(f"packed data of shape {list(data.shape)} is not a batch of frames "
                         f"of {layout.frame_bytes} bytes")
    batch = data.size // layout.frame_bytes
    stream = np.ascontiguousarray(data).reshape(-1)
    values = np.empty(batch * prod(frame_shape), dtype=datatype.numpy_dtype)
    words = values.size // fold
    if layout.continuous:
        _unpack_continuous(stream, datatype, layout, values)
    else:
        _unpack_words(stream.reshape(words, layout.word_bytes), datatype, layout,
                      values.reshape(words, fold))
    return values.reshape(batch, *frame_shape)


def _unpack_continuous(stream: np.ndarray, datatype: DataType, layout: _Layout,
                       values: np.ndarray) -> None:
    bits, group = datatype.bits, layout.codec.group
    for start, stop in _chunks(values.size, _stream_step(group)):
        chunk = stream[start * bits // 8:stop * bits // 8]
        if (stop - start) % group == 0:
            layout.codec.unpack_into(chunk, values[start:stop])
            continue
        # the stream's tail: zero bytes up to a whole group
        tail = -(-(stop - start) // group) * group * bits // 8
        chunk = np.concatenate([chunk, np.zeros(tail - chunk.size, np.uint8)])
        values[start:stop] = layout.codec.unpack(chunk)[:stop - start]


def _unpack_words(words: np.ndarray, datatype: DataType, layout: _Layout,
                  values: np.ndarray) -> None:
    rows = max(1, CHUNK_ELEMENTS // layout.padded_fold)
    padded = None
    if layout.padded_bytes != layout.data_bytes:
        padded = np.zeros((rows, layout.padded_bytes), dtype=np.uint8)
    for start, stop in _chunks(words.shape[0], rows):
        chunk = words[start:stop, :layout.data_bytes]
        if padded is not None:
            padded[:stop - start, :layout.data_bytes] = chunk
            chunk = padded[:stop - start]
        chunk = np.ascontiguousarray(chunk).reshape(-1)
        unpacked = layout.codec.unpack(chunk).reshape(stop - start, layout.padded_fold)
        values[start:stop] = unpacked[:, :layout.fold]


def pack_words(raw_rows: np.ndarray, bits: int) -> list:
    """Rows of raw element values (words x elements, each < 2**bits) -> one Python int
    per row, element 0 in the low bits: the words of a ROM, of any width."""
    rows = np.asarray(raw_rows)
    if rows.ndim != 2:
        raise ValueError(f"pack_words takes a 2-D array (words x elements), not {rows.ndim}-D")
    if rows.shape[1] == 0:
        return [0] * rows.shape[0]
    data = pack(rows, DataType("uint", bits), rows.shape[1])
    return [int.from_bytes(row.tobytes(), "little") for row in data]
