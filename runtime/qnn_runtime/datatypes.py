"""The element datatypes of accelerator ports: bipolar, binary, int<b>, uint<b> and float32.

A port's datatype says which values its elements take and how many bits each
one has on the stream (packing.py holds the bit layout). The spellings are
FINN's, case-insensitive: `bipolar` ({-1, +1}, one bit), `binary` (the same
as `uint1`), `int<b>` and `uint<b>` for 1 <= b <= 64, and `float32`.

`DataType.check` is the one place values are validated before they are
packed: it reads the array a few times (min, max, and a count for bipolar)
and allocates nothing of the array's size for integer inputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

ACCEPTED_SPELLINGS = "bipolar, binary, int<b> or uint<b> with 1 <= b <= 64, or float32"
MAX_INTEGER_BITS = 64
# Float inputs to integer types are checked for integrality this many elements at a
# time, so that the check's temporaries stay small whatever the array's size.
_INTEGRALITY_CHUNK = 1 << 16

_KINDS = ("bipolar", "int", "uint", "float")


@dataclass(frozen=True)
class DataType:
    """The datatype of a port's elements: `kind` (bipolar, int, uint or float) and `bits`.

    Build one with `DataType.parse("int4")`; `binary` is `uint1`.
    """

    kind: str
    bits: int

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown datatype kind {self.kind!r}: expected one of {_KINDS}")
        if self.kind == "bipolar" and self.bits != 1:
            raise ValueError(f"a bipolar datatype has 1 bit, not {self.bits}")
        if self.kind == "float" and self.bits != 32:
            raise ValueError(f"the only float datatype is float32, not float{self.bits}")
        if not 1 <= self.bits <= MAX_INTEGER_BITS:
            raise ValueError(f"integer datatypes have 1 to {MAX_INTEGER_BITS} bits, "
                             f"not {self.bits}")

    @classmethod
    def parse(cls, text: str) -> DataType:
        """The datatype spelled `text` (case-insensitive), e.g. "bipolar", "uint4", "float32"."""
        spelling = str(text).strip().lower()
        if spelling == "bipolar":
            return cls("bipolar", 1)
        if spelling == "binary":
            return cls("uint", 1)
        if spelling == "float32":
            return cls("float", 32)
        match = re.fullmatch(r"(u?int)([0-9]+)", spelling)
        if match is None or not 1 <= int(match.group(2)) <= MAX_INTEGER_BITS:
            raise ValueError(f"unknown datatype {text!r}: expected {ACCEPTED_SPELLINGS}")
        return cls(match.group(1), int(match.group(2)))

    @property
    def name(self) -> str:
        """The canonical spelling: "bipolar", "int<b>", "uint<b>" (binary is "uint1"), "float32"."""
        if self.kind == "bipolar":
            return "bipolar"
        if self.kind == "float":
            return "float32"
        return f"{self.kind}{self.bits}"

    def __str__(self) -> str:
        return self.name

    @property
    def signed(self) -> bool:
        """Whether the datatype has negative values (int<b>, bipolar and float32 do)."""
        return self.kind != "uint"

    @property
    def is_float(self) -> bool:
        """True for float32."""
        return self.kind == "float"

    @property
    def min(self) -> int | None:
        """The smallest value (None for float32)."""
        if self.kind == "float":
            return None
        if self.kind == "bipolar":
            return -1
        return -(1 << (self.bits - 1)) if self.kind == "int" else 0

    @property
    def max(self) -> int | None:
        """The largest value (None for float32)."""
        if self.kind == "float":
            return None
        if self.kind == "bipolar":
            return 1
        return (1 << (self.bits - 1)) - 1 if self.kind == "int" else (1 << self.bits) - 1

    @property
    def numpy_dtype(self) -> np.dtype:
        """The narrowest numpy dtype holding every value: what `unpack` returns."""
        if self.kind == "float":
            return np.dtype(np.float32)
        prefix = "u" if self.kind == "uint" else "i"
        value_bits = self.bits + 1 if self.kind == "bipolar" else self.bits
        return np.dtype(f"{prefix}{_whole_bytes_power_of_two(value_bits)}")

    @property
    def raw_dtype(self) -> np.dtype:
        """The narrowest unsigned numpy dtype holding the raw bits of one element."""
        return np.dtype(f"u{_whole_bytes_power_of_two(self.bits)}")

    def check(self, values: np.ndarray, what: str = "values") -> None:
        """Raise ValueError, naming `what`, unless every value is one of this datatype's.

        Integer and bipolar datatypes take integral numbers in [min, max] (and no 0 for
        bipolar) given as bool, integer or float arrays; float32 takes any number, NaN
        and infinities included (they are float32 values on the wire too).
        """
        values = np.asarray(values)
        if values.dtype.kind not in "biuf":
            raise ValueError(f"{what}: dtype {values.dtype} is not numeric; {self.name} "
                             "takes bool, integer or float arrays")
        if self.kind == "float" or values.size == 0:
            return
        expected = f"{self.name} takes integers in [{self.min}, {self.max}]"
        if self.kind == "bipolar":
            expected = "a bipolar value must be -1 or +1"
        if values.dtype.kind == "f":
            low, high = values.min(), values.max()
            if np.isnan(low) or np.isnan(high):
                raise ValueError(f"{what}: NaN is not an integer; {expected}")
            if np.isinf(low) or np.isinf(high):
                raise ValueError(f"{what}: an infinity is not an integer; {expected}")
            _check_integral(values, what, expected)
            low, high = int(low), int(high)
        elif _dtype_fits(values.dtype, self.min, self.max):
            low, high = self.min, self.max  # every value of the dtype fits: nothing to read
        else:
            low, high = int(values.min()), int(values.max())
        if low < self.min or high > self.max:
            raise ValueError(f"{what}: values in [{low}, {high}] do not fit {self.name}; "
                             f"{expected}")
        if self.kind == "bipolar" and np.count_nonzero(values) != values.size:
            raise ValueError(f"{what}: a bipolar value must be -1 or +1, got 0")


def as_datatype(datatype: DataType | str) -> DataType:
    """`datatype` itself, or the DataType a string spells."""
    return datatype if isinstance(datatype, DataType) else DataType.parse(datatype)


def _whole_bytes_power_of_two(bits: int) -> int:
    """Bytes of the narrowest of the 1-, 2-, 4- and 8-byte types holding `bits` bits."""
    return next(size for size in (1, 2, 4, 8) if bits <= 8 * size)


def _dtype_fits(dtype: np.dtype, low: int, high: int) -> bool:
    """Whether every value of the integer or bool `dtype` lies in [low, high]."""
    if dtype.kind == "b":
        return low <= 0 and high >= 1
    info = np.iinfo(dtype)
    return low <= info.min and info.max <= high


def _check_integral(values: np.ndarray, what: str, expected: str) -> None:
    """Raise unless every (finite) float value is an integer; a chunk at a time."""
    flat = values.reshape(-1)
    for start in range(0, flat.size, _INTEGRALITY_CHUNK):
        chunk = flat[start:start + _INTEGRALITY_CHUNK]
        fractional = np.flatnonzero(chunk != np.trunc(chunk))
        if fractional.size:
            example = chunk[fractional[0]]
            raise ValueError(f"{what}: {example} is not an integer; {expected}")
