"""The port manifest of a deployment package (`manifest.json`), read into dataclasses.

`qnn-translate --to-pynq` writes it; the driver, `validate.py` and the
`Accelerator` read it. It says, for each accelerator port, the tensor it
carries (shape, datatype), how the tensor is cut into words (the fold: elements
per word) and how a word travels through the AXI DMA (beats of `beat_bits`,
`word_bytes` per word in a DMA buffer); the names of the DMA and of the IP in
the block design, the IP's register offsets, and the model's own inputs and
outputs (those of the generated host code).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from math import prod

import numpy as np

from qnn_runtime.datatypes import DataType
from qnn_runtime.packing import pack, unpack

FORMAT = "qnn-mlir deployment manifest"
VERSION = 1


def check_batch_shape(array: np.ndarray, shape: tuple[int, ...], what: str) -> None:
    """`array` must be a non-empty batch of tensors of `shape` (dim 0 is the batch)."""
    if array.ndim != len(shape) or tuple(array.shape[1:]) != tuple(shape[1:]):
        raise ValueError(f"{what} takes a batch of shape [N, {', '.join(map(str, shape[1:]))}], "
                         f"got {list(array.shape)} (dim 0 is the batch)")
    if array.shape[0] < 1:
        raise ValueError(f"{what}: the batch is empty")


@dataclass(frozen=True)
class Port:
    """One AXI-stream port of the accelerator, as the host packs and unpacks it."""

    name: str
    shape: tuple[int, ...]
    """The tensor of one frame, dim 0 included (normally 1); a batch stacks frames on it."""
    datatype: DataType
    fold: int
    """Elements per word."""
    word_bits: int
    beat_bits: int
    word_bytes: int
    """Bytes of a word in a DMA buffer (whole beats)."""

    @property
    def frame_words(self) -> int:
        return prod(self.shape) // self.fold

    @property
    def frame_bytes(self) -> int:
        return self.frame_words * self.word_bytes

    def check_shape(self, values: np.ndarray) -> int:
        """The batch size of a batch bound for this port (values of shape (batch,
        *shape[1:])); ValueError says what is wrong. `pack` checks the values."""
        array = np.asarray(values)
        check_batch_shape(array, self.shape, f"accelerator port {self.name}")
        return array.shape[0]

    def pack(self, values: np.ndarray) -> np.ndarray:
        """A batch of frames -> uint8 (batch, frame_bytes), the DMA buffer's bytes; the
        values are checked against the datatype (dtype, integers, range) on the way."""
        return pack(values, self.datatype, self.fold, self.word_bytes,
                    what=f"accelerator port {self.name}")

    def unpack(self, data: np.ndarray) -> np.ndarray:
        """uint8 (batch, frame_bytes) -> the batch of values as the host code computes with
        them: int64 (whatever the narrowest type unpacking gives), or float32."""
        values = unpack(data, self.datatype, self.fold, self.shape[1:], self.word_bytes)
        return values if self.datatype.is_float else values.astype(np.int64, copy=False)

    def to_json(self) -> dict:
        return {"name": self.name, "shape": list(self.shape), "datatype": self.datatype.name,
                "fold": self.fold, "word_bits": self.word_bits, "beat_bits": self.beat_bits,
                "word_bytes": self.word_bytes, "frame_words": self.frame_words,
                "frame_bytes": self.frame_bytes}

    @classmethod
    def from_json(cls, entry: dict) -> Port:
        port = cls(str(entry["name"]), tuple(int(d) for d in entry["shape"]),
                   DataType.parse(entry["datatype"]), int(entry["fold"]),
                   int(entry["word_bits"]), int(entry["beat_bits"]), int(entry["word_bytes"]))
        if prod(port.shape) % port.fold or port.word_bits > 8 * port.word_bytes:
            raise ValueError(f"manifest port {port.name}: {port.fold} elements per word do "
                             f"not cut a frame of {list(port.shape)} into {port.word_bytes}-"
                             "byte words")
        return port


@dataclass(frozen=True)
class HostTensor:
    """An input or output of the whole model (of the generated host code)."""

    name: str
    shape: tuple[int, ...]
    dtype: str

    def check(self, values: np.ndarray, what: str) -> np.ndarray:
        """A batch of this input (dim 0 is the batch) as the host code takes it."""
        array = np.asarray(values)
        check_batch_shape(array, self.shape, f"{what}: the model input '{self.name}'")
        if array.dtype.kind not in "biuf":
            raise ValueError(f"{what}: the model input '{self.name}' takes numbers "
                             f"({self.dtype}), got an array of dtype {array.dtype}")
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise ValueError(f"{what}: the model input '{self.name}' holds NaN or infinite "
                             "values")
        return array.astype(self.dtype, copy=False)

    @classmethod
    def from_json(cls, entry: dict) -> HostTensor:
        return cls(str(entry["name"]), tuple(int(d) for d in entry["shape"]),
                   str(entry["dtype"]))


@dataclass(frozen=True)
class Manifest:
    """The whole manifest (see the module docstring)."""

    kernel: str
    ip_name: str
    dma_name: str
    registers: dict[str, int]
    inputs: tuple[Port, ...]
    outputs: tuple[Port, ...]
    host_inputs: tuple[HostTensor, ...]
    host_outputs: tuple[HostTensor, ...]
    clock_mhz: float
    max_transfer_bytes: int
    data: dict
    """The JSON as read (board, folding, file names, ...)."""

    @classmethod
    def load(cls, path: str) -> Manifest:
        """Read and check `manifest.json`; ValueError names the file and the problem."""
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: cannot read the manifest: {error}") from error
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"{path}: not a qnn-mlir deployment manifest")
        if data.get("version") != VERSION:
            raise ValueError(f"{path}: manifest version {data.get('version')!r}, this "
                             f"runtime reads version {VERSION}: regenerate the package")
        try:
            return cls(
                kernel=str(data["kernel"]), ip_name=str(data["ip"]["cell"]),
                dma_name=str(data["dma"]["cell"]),
                registers={k: int(v) for k, v in data["ip"]["registers"].items()},
                inputs=tuple(Port.from_json(p) for p in data["inputs"]),
                outputs=tuple(Port.from_json(p) for p in data["outputs"]),
                host_inputs=tuple(HostTensor.from_json(t) for t in data["host"]["inputs"]),
                host_outputs=tuple(HostTensor.from_json(t) for t in data["host"]["outputs"]),
                clock_mhz=float(data["board"]["clock_mhz"]),
                max_transfer_bytes=int(data["dma"]["max_transfer_bytes"]), data=data)
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{path}: malformed manifest ({error})") from error

    def path_of(self, key: str, directory: str) -> str:
        """A file the manifest names (under "files"), relative to the package directory."""
        return os.path.join(directory, self.data["files"][key])
