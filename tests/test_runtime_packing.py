"""qnn_runtime's stream packing and datatypes, against a slow reference built on Python ints.

The reference (`reference_pack`) builds each word as sum(raw_i << (i*bits)) and
writes it with int.to_bytes(word_bytes, "little"): the layout as the module
docstring of qnn_runtime/packing.py states it, with no numpy bit tricks. Every
word width from 1 to 512 bits is covered deterministically, and random cases
(hypothesis) cover every datatype, fold, padding and input dtype; small chunk
sizes push streams through the chunk and tail code. Also: the error messages of
DataType.parse/check and pack/unpack, and that the runtime imports nothing
of the compiler.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qnn_runtime import packing
from qnn_runtime.datatypes import DataType
from qnn_runtime.packing import decode, encode, pack, pack_words, unpack, word_bytes

INTEGER_TYPES = [f"{kind}{bits}" for kind in ("int", "uint") for bits in range(1, 65)]
ALL_TYPES = ["bipolar", "binary", "float32", *INTEGER_TYPES]
# float32 bit patterns the round trip must keep: -0.0, infinities, NaNs with payloads
SPECIAL_FLOAT_BITS = [0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0x7F800001, 0xFFFFFFFF]


def raw_bits(value, datatype: DataType) -> int:
    """The raw bits of one value, from the layout's definition."""
    if datatype.is_float:
        return int(np.float32(value).view(np.uint32))
    if datatype.kind == "bipolar":
        return (int(value) + 1) // 2
    return int(value) & ((1 << datatype.bits) - 1)


def reference_pack(values: np.ndarray, datatype: DataType, fold: int, nbytes: int) -> np.ndarray:
    """The packed stream, word by word, with Python ints."""
    frames = []
    for frame in values.reshape(values.shape[0], -1):
        stream = b""
        for start in range(0, frame.size, fold):
            word = sum(raw_bits(value, datatype) << (lane * datatype.bits)
                       for lane, value in enumerate(frame[start:start + fold]))
            stream += word.to_bytes(nbytes, "little")
        frames.append(np.frombuffer(stream, dtype=np.uint8))
    return np.array(frames, dtype=np.uint8).reshape(values.shape[0], -1)


def random_values(datatype: DataType, shape: tuple, rng: np.random.Generator,
                  dtype=None) -> np.ndarray:
    """Values spanning the datatype's whole range (float32: random and special bits)."""
    if datatype.is_float:
        bits = rng.integers(0, 2**32, size=shape, dtype=np.uint32)
        bits.reshape(-1)[:len(SPECIAL_FLOAT_BITS)] = SPECIAL_FLOAT_BITS[:bits.size]
        return bits.view(np.float32)
    if datatype.kind == "bipolar":
        values = rng.choice(np.array([-1, 1], dtype=np.int8), size=shape)
    else:
        values = rng.integers(datatype.min, datatype.max, size=shape, endpoint=True,
                              dtype=datatype.numpy_dtype)
        values.reshape(-1)[:2] = [datatype.min, datatype.max][:values.size]
    return values if dtype is None else values.astype(dtype)


def same_values(actual: np.ndarray, expected: np.ndarray) -> bool:
    """Equal values and shapes; float32 compared by bits (NaN payloads, -0.0)."""
    if expected.dtype == np.float32:
        return actual.dtype == np.float32 and np.array_equal(actual.view(np.uint32),
                                                             expected.view(np.uint32))
    return actual.shape == expected.shape and np.array_equal(actual, expected)


def check_case(name: str, fold: int, extra_bytes: int, batch: int, frame_words: int,
               rng: np.random.Generator, dtype=None) -> None:
    """pack equals the reference, and unpack inverts it."""
    datatype = DataType.parse(name)
    nbytes = word_bytes(fold * datatype.bits) + extra_bytes
    frame_shape = (frame_words, fold)
    values = random_values(datatype, (batch, *frame_shape), rng, dtype)
    data = pack(values, name, fold, nbytes)
    assert data.dtype == np.uint8 and data.shape == (batch, frame_words * nbytes)
    assert np.array_equal(data, reference_pack(values, datatype, fold, nbytes)), \
        f"{name} fold {fold} word of {nbytes} bytes"
    unpacked = unpack(data, datatype, fold, frame_shape, nbytes)
    assert unpacked.dtype == datatype.numpy_dtype
    assert same_values(unpacked, values.astype(datatype.numpy_dtype))


def datatypes_for_width(width: int) -> list[str]:
    """A few datatypes whose bits divide `width`: 1-bit, the widest, and one between."""
    divisors = [bits for bits in range(2, 65) if width % bits == 0]
    one_bit = ("bipolar", "binary", "int1")[width % 3]
    names = [one_bit]
    if divisors:
        names.append(("int", "uint")[width % 2] + str(divisors[-1]))
    if len(divisors) > 2:
        names.append(("uint", "int")[width % 2] + str(divisors[len(divisors) // 2]))
    if width % 32 == 0:
        names.append("float32")
    return names


@pytest.mark.parametrize("width", range(1, 513))
def test_every_word_width_matches_the_reference(width):
    rng = np.random.default_rng(width)
    for name in datatypes_for_width(width):
        fold = width // DataType.parse(name).bits
        check_case(name, fold, extra_bytes=width % 3, batch=2, frame_words=3, rng=rng)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(ALL_TYPES), data=st.data())
def test_random_cases_match_the_reference_and_round_trip(name, data):
    bits = DataType.parse(name).bits
    fold = data.draw(st.integers(1, 512 // bits), label="fold")
    extra_bytes = data.draw(st.sampled_from([0, 0, 1, 3, 8]), label="extra bytes")
    batch = data.draw(st.integers(1, 3), label="batch")
    frame_words = data.draw(st.integers(1, 3), label="words per frame")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    check_case(name, fold, extra_bytes, batch, frame_words, np.random.default_rng(seed))


@pytest.mark.parametrize("name", ["bipolar", "int1", "int2", "uint3", "int4", "uint7", "int8",
                                  "int13", "int16", "uint24", "int33", "float32", "int64"])
@pytest.mark.parametrize("fold", [1, 3, 8, 12, 40])
def test_streams_longer_than_a_chunk(monkeypatch, name, fold):
    monkeypatch.setattr(packing, "CHUNK_ELEMENTS", 24)  # many chunks, and a short tail
    check_case(name, fold, extra_bytes=0, batch=5, frame_words=7,
               rng=np.random.default_rng(fold))
    check_case(name, fold, extra_bytes=2, batch=5, frame_words=7,
               rng=np.random.default_rng(fold))


@pytest.mark.parametrize("name, dtype", [
    ("int2", np.int64), ("uint4", np.int64), ("bipolar", np.int64), ("int8", np.int64),
    ("int5", np.float64), ("uint16", np.float32), ("binary", bool), ("uint12", np.int32),
    ("float32", np.float64), ("int40", np.int64), ("uint64", np.uint64)])
def test_any_numeric_input_dtype_packs_like_the_narrowest(name, dtype):
    """int64 is the interpreter's representation; floats and bool are accepted too."""
    check_case(name, 6, extra_bytes=1, batch=2, frame_words=4, rng=np.random.default_rng(7),
               dtype=dtype)


def test_layout_examples():
    assert pack([[1, -1, -1, 1, 1, 1, 1, 1, -1]], "bipolar", 9).tolist() == \
        [[0b11111001, 0b0]]  # +1 is bit 1; the word padded to two bytes
    assert pack([[-1, 2, -4, 3]], "int3", 2).tolist() == [[0b010111, 0b011100]]
    assert pack(np.array([[1.0]], dtype=np.float32), "float32", 1).tolist() == \
        [[0, 0, 0x80, 0x3F]]  # little-endian IEEE-754
    assert pack([[1, 2, 3, 0]], "uint2", 4, word_bytes=4).tolist() == [[0b00111001, 0, 0, 0]]
    assert pack_words(np.array([[1, 2, 3], [0, 0, 1]]), 40) == [1 + (2 << 40) + (3 << 80),
                                                                1 << 80]


def test_encode_and_decode():
    assert encode(np.array([-1, 1, 1]), "bipolar").tolist() == [0, 1, 1]
    assert encode(np.array([-4, 3]), "int3").tolist() == [4, 3]
    assert encode(np.array([-1]), "int12").dtype == np.uint16
    assert decode(np.array([4, 3, 0xFF], dtype=np.uint64), "int3").tolist() == [-4, 3, -1]
    assert decode(np.array([0, 1]), "bipolar").tolist() == [-1, 1]
    assert decode(np.array([2**64 - 1], dtype=np.uint64), "uint64").tolist() == [2**64 - 1]
    assert decode(np.array([0x3F800000]), "float32").tolist() == [1.0]


def test_datatype_properties():
    assert DataType.parse("binary") == DataType.parse("UINT1") == DataType("uint", 1)
    assert DataType.parse("binary").name == "uint1"
    int5 = DataType.parse(" Int5 ")
    assert (int5.name, int5.bits, int5.signed, int5.min, int5.max) == ("int5", 5, True, -16, 15)
    assert (DataType.parse("uint64").max, DataType.parse("uint64").numpy_dtype) == \
        (2**64 - 1, np.dtype(np.uint64))
    bipolar = DataType.parse("bipolar")
    assert (bipolar.bits, bipolar.min, bipolar.max, bipolar.numpy_dtype) == (1, -1, 1, np.int8)
    float32 = DataType.parse("float32")
    assert float32.is_float and float32.min is None and float32.max is None


@pytest.mark.parametrize("text", ["int0", "uint65", "int", "float16", "bipolar2", "", "i8"])
def test_parse_lists_the_accepted_spellings(text):
    with pytest.raises(ValueError, match=f"unknown datatype '{text}': expected bipolar, binary, "
                                         "int<b> or uint<b> with 1 <= b <= 64, or float32"):
        DataType.parse(text)


@pytest.mark.parametrize("name, values, message", [
    ("int4", np.array(["1"]), r"port x: dtype <U1 is not numeric; int4 takes bool, integer "
                              "or float arrays"),
    ("int4", np.array([1 + 2j]), "dtype complex128 is not numeric"),
    ("int4", np.array([0.0, 2.5]), r"port x: 2\.5 is not an integer; int4 takes integers in "
                                   r"\[-8, 7\]"),
    ("uint2", np.array([[0, 4], [-1, 3]]), r"port x: values in \[-1, 4\] do not fit uint2; "
                                           r"uint2 takes integers in \[0, 3\]"),
    ("int8", np.array([200]), r"values in \[200, 200\] do not fit int8"),
    ("bipolar", np.array([1, 0, -1]), r"port x: a bipolar value must be -1 or \+1, got 0"),
    ("bipolar", np.array([1, 2]), r"values in \[1, 2\] do not fit bipolar; a bipolar value"),
    ("int8", np.array([1.0, np.nan]), "port x: NaN is not an integer; int8 takes integers"),
    ("uint8", np.array([np.inf, 1.0]), "port x: an infinity is not an integer"),
    ("bipolar", np.array([-np.inf]), "an infinity is not an integer; a bipolar value"),
])
def test_check_says_what_is_wrong_and_what_is_expected(name, values, message):
    with pytest.raises(ValueError, match=message):
        DataType.parse(name).check(values, "port x")


def test_check_accepts_valid_values_and_any_float32():
    DataType.parse("int4").check(np.array([-8.0, 7.0]), "x")
    DataType.parse("bipolar").check(np.array([True]), "x")
    DataType.parse("int64").check(np.array([-2**63, 2**63 - 1]), "x")
    DataType.parse("float32").check(np.array([np.nan, -np.inf, 1e300]), "x")
    DataType.parse("uint3").check(np.zeros((0, 4), dtype=np.float64), "x")


@pytest.mark.parametrize("call, message", [
    (lambda: pack(np.zeros((1, 8)), "int4", 4, word_bytes=1),
     r"4 elements of 4 bits \(16 bits\) do not fit a word of 1 bytes"),
    (lambda: pack(np.zeros((1, 10)), "int4", 4), "a frame of 10 elements is not a whole "
                                                 "number of words of 4 elements"),
    (lambda: pack(np.zeros((1, 4)), "int4", 0), "at least one element"),
    (lambda: pack(np.array([[1, 0]]), "bipolar", 2), r"pack: a bipolar value must be -1 or \+1"),
    (lambda: pack(np.array([[1.0, np.nan]]), "int3", 2), "pack: NaN is not an integer"),
    (lambda: pack(np.arange(100_000).reshape(1, -1), "uint16", 4),
     r"pack: values in \[0, 99999\] do not fit uint16"),  # the range of all chunks
    (lambda: pack(np.array(3), "int4", 1), "batch dimension"),
    (lambda: unpack(np.zeros((2, 3), np.uint8), "int4", 4, (2, 4)),
     r"packed data of shape \[2, 3\] is not a batch of frames of 4 bytes"),
    (lambda: unpack(np.zeros(5, np.uint8), "int4", 4, (4,)), "not a batch of frames of 2"),
    (lambda: unpack(np.zeros((1, 2), np.int8), "int4", 4, (4,)), "must be uint8, not int8"),
    (lambda: pack(np.zeros((1, 4)), "int65", 4), "unknown datatype 'int65'"),
])
def test_packing_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_unpack_takes_frames_back_to_back_and_leaves_the_data_alone():
    values = random_values(DataType.parse("int3"), (4, 2, 8), np.random.default_rng(1))
    data = pack(values, "int3", 8)
    before = data.copy()
    assert np.array_equal(unpack(data.reshape(-1), "int3", 8, (2, 8)), values)
    assert np.array_equal(data, before)
    wide = pack(values.astype(np.int16), "int16", 4)
    assert not np.shares_memory(unpack(wide, "int16", 4, (2, 8)), wide)


def test_the_runtime_imports_nothing_of_the_compiler():
    script = ("import qnn_runtime.packing, qnn_runtime.datatypes, sys; "
              "assert not any(m.startswith(('qnn_mlir', 'xdsl')) for m in sys.modules)")
    subprocess.run([sys.executable, "-c", script], check=True)
