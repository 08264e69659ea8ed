"""Reading a user's `.npy` file without trusting it.

`np.load` allocates whatever the header claims before it finds the file too
short (a header can claim hundreds of TiB), and it loads dtypes no model takes.
`load_npy` reads the header first with numpy's public `np.lib.format` API and
checks, before allocating anything:

- the file is an .npy array (not empty, not an .npz archive, not a pickle);
- its dtype is bool, a signed or unsigned integer or float16/32/64 (not
  structured, object, string, bytes, complex, datetime or void);
- the data the header claims is exactly what the file holds, and at most
  `MAX_ARRAY_BYTES`.

Then it reads the data as native-endian, C-ordered values (big-endian and
Fortran-ordered files are fine). Every failure is a QnnError `path: error: ...`.
"""

from __future__ import annotations

import os
import stat
from math import prod
from typing import BinaryIO

import numpy as np

from qnn_mlir.diagnostics import QnnError, excerpt

MAX_ARRAY_BYTES = 2 * 1024**3
"""The largest array a tool reads: the interpreter widens it to float32 or int64
and keeps every intermediate value, so a larger batch belongs in several runs."""

FLOAT_SIZES = (2, 4, 8)
"""float16, float32, float64: the float widths numpy writes portably."""

SAVE_HINT = "write one array per file with np.save('x.npy', array)"

ZIP_MAGIC = b"PK\x03\x04"
PICKLE_MAGIC = b"\x80"


def _size_text(count: int) -> str:
    """`230.0 TiB`, `12.0 MiB`, `100 bytes`."""
    if count < 1024:
        return f"{count:,} bytes"
    exponent = min((count.bit_length() - 1) // 10, 4)
    return f"{count / 1024**exponent:,.1f} {('KiB', 'MiB', 'GiB', 'TiB')[exponent - 1]}"


def _dtype_problem(dtype: np.dtype) -> str | None:
    """Why a model cannot take values of `dtype`, or None when it can."""
    if dtype.names is not None or dtype.subdtype is not None:
        return f"a structured dtype ({dtype.descr})"
    if dtype.hasobject:
        return "dtype object: pickled Python objects, which are never loaded"
    if dtype.kind in "biu" or (dtype.kind == "f" and dtype.itemsize in FLOAT_SIZES):
        return None
    names = {"c": "complex", "M": "datetime", "m": "timedelta", "S": "bytes", "U": "string",
             "V": "raw void", "f": "extended-precision float"}
    return f"dtype {dtype} ({names.get(dtype.kind, 'unsupported')} values)"


def _read_header(path: str, file: BinaryIO) -> tuple[tuple[int, ...], bool, np.dtype]:
    """The shape, Fortran order and dtype the header gives; the file is left at the data."""
    start = file.read(len(np.lib.format.MAGIC_PREFIX))
    file.seek(0)
    if not start:
        raise QnnError(f"{path}: error: the file is empty; {SAVE_HINT}")
    if start.startswith(ZIP_MAGIC):
        raise QnnError(f"{path}: error: an .npz archive (a zip file), not an .npy array; "
                       f"{SAVE_HINT}")
    if not start.startswith(np.lib.format.MAGIC_PREFIX):
        kind = "a Python pickle" if start.startswith(PICKLE_MAGIC) else "not an .npy file"
        raise QnnError(f"{path}: error: {kind} (it does not start with numpy's magic "
                       f"\\x93NUMPY); {SAVE_HINT}")
    try:
        version = np.lib.format.read_magic(file)
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(file)
        if version == (2, 0):
            return np.lib.format.read_array_header_2_0(file)
    except (ValueError, TypeError, SyntaxError) as error:
        raise QnnError(f"{path}: error: the .npy header is damaged or cut short "
                       f"({excerpt(error)}); {SAVE_HINT}") from error
    raise QnnError(f"{path}: error: .npy format version {version[0]}.{version[1]} is not "
                   "supported (1.0 and 2.0 are; 3.0 exists only for structured dtypes)")


def _check_shape(path: str, shape: tuple[int, ...], dtype: np.dtype, data_bytes: int) -> int:
    """The byte count the header claims, checked against the file and the cap."""
    if any(dimension < 0 for dimension in shape):
        raise QnnError(f"{path}: error: the .npy header gives a negative dimension in shape "
                       f"{list(shape)}; {SAVE_HINT}")
    claimed = prod(shape) * dtype.itemsize
    what = f"shape {list(shape)} of {dtype.name} ({_size_text(claimed)})"
    if claimed > MAX_ARRAY_BYTES:
        raise QnnError(f"{path}: error: the header claims {what}, more than the "
                       f"{_size_text(MAX_ARRAY_BYTES)} an input may hold; split the batch "
                       "into several files")
    if claimed != data_bytes:
        cut = "cut short" if data_bytes < claimed else "followed by extra bytes"
        raise QnnError(f"{path}: error: the header claims {what}, but the file holds "
                       f"{_size_text(data_bytes)} of data: it is {cut}; {SAVE_HINT}")
    return claimed


def load_npy(path: str) -> np.ndarray:
    """The array in the .npy file at `path`, checked before anything is allocated."""
    try:
        with open(path, "rb") as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode):
                raise QnnError(f"{path}: error: not a regular file; {SAVE_HINT}")
            shape, fortran_order, dtype = _read_header(path, file)
            problem = _dtype_problem(dtype)
            if problem is not None:
                raise QnnError(f"{path}: error: {problem}; a model takes bool, integer or "
                               "float16/32/64 arrays")
            count = _check_shape(path, shape, dtype, status.st_size - file.tell())
            data = file.read(count)
    except OSError as error:
        raise QnnError(f"{path}: error: cannot read the file: {error.strerror}") from error
    if len(data) != count:  # the file shrank while it was read
        raise QnnError(f"{path}: error: the file changed while it was read")
    array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")
    return np.array(array, dtype=dtype.newbyteorder("="), order="C")
