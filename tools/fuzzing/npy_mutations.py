"""Mutated `.npy` input files: shapes, ranks, dtypes, byte orders, layouts, special
values, and headers that lie about the data that follows."""

from __future__ import annotations

import io

import numpy as np


def _save(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _header(shape_text: str, descr: str = "<f4") -> bytes:
    """A version 1.0 header claiming `shape_text`, padded as numpy pads it."""
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}"
    padding = 64 - (10 + len(text) + 1) % 64
    text += " " * padding + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode("latin1")


def mutate_npy(shape: tuple[int, ...], rng: np.random.Generator) -> tuple[bytes, str, str | None]:
    """(file bytes, what it is, why it is invalid or None) for a model input of `shape`
    (dimension 0 is the batch)."""
    frame = shape[1:]
    batch = int(rng.integers(1, 5))
    good = rng.uniform(-3, 3, size=(batch, *frame)).astype(np.float32)
    choice = int(rng.integers(24))
    if choice == 0:
        return _save(good), f"valid float32 batch of {batch}", None
    if choice == 1:
        return _save(good.astype(np.float64)), "valid float64", None
    if choice == 2:
        return _save(good.astype(">f4")), "valid big-endian float32", None
    if choice == 3:
        return _save(np.asfortranarray(good)), "valid Fortran-order", None
    if choice == 4:
        return _save(np.round(good).astype(np.int16)), "valid int16 values", None
    if choice == 5:
        return _save(good.astype(np.float16)), "valid float16", None
    if choice == 6:
        return _save(good > 0), "valid bool values", None
    if choice == 7:
        return _save(good[0]), "one frame without the batch dimension", "a wrong rank"
    if choice == 8:
        return _save(good[..., None]), "an extra trailing dimension", "a wrong rank"
    if choice == 9:
        wrong = np.zeros((batch, *[d + 1 for d in frame]), np.float32)
        return _save(wrong), f"frames of shape {list(wrong.shape[1:])}", "a wrong shape"
    if choice == 10:
        return _save(np.zeros((0, *frame), np.float32)), "an empty batch", "an empty batch"
    if choice == 11:
        return _save(np.float32(1.5)), "a 0-d scalar", "a scalar"
    if choice == 12:
        special = float(rng.choice([np.nan, np.inf, -np.inf]))
        bad = good.copy()
        bad.flat[int(rng.integers(bad.size))] = special
        return _save(bad), f"a {special} in the input", "a non-finite input value"
    if choice == 13:
        return _save(good.astype(np.complex64)), "complex values", "a complex dtype"
    if choice == 14:
        return (_save(np.zeros((batch, *frame), dtype=[("a", "<f4")])), "a structured dtype",
                "a structured dtype")
    if choice == 15:
        return _save(np.full((batch, *frame), "x")), "strings", "a string dtype"
    if choice == 16:
        return (_save(np.zeros((batch, *frame), dtype="datetime64[s]")), "datetimes",
                "a datetime dtype")
    if choice == 17:
        objects = np.empty((batch, *frame), dtype=object)
        objects[...] = 1.0
        return _save(objects), "an object array (pickled)", "an object dtype"
    if choice == 18:
        claim = f"({10 ** 7}, {10 ** 7}, {10 ** 7})"
        return _header(claim) + b"\0" * 64, f"a header claiming shape {claim}", \
            "a header larger than its file"
    if choice == 19:
        data = _save(good)
        return data[: len(data) - 5], "a file cut 5 bytes short", "a truncated file"
    if choice == 20:
        return b"", "an empty file", "an empty file"
    if choice == 21:
        return b"\x93NUMPY\x09\x00garbage", "an unknown format version", "a bad header"
    if choice == 22:
        return _header("(-1, 4)"), "a negative dimension in the header", "a bad header"
    return _save(good * 1e30), "huge but finite values", None
