"""`Accelerator`: batches of tensors through the accelerator, on the board or in simulation.

A call packs each input port's batch into the bytes of a DMA buffer
(`Port.pack`, FINN's word layout), hands the buffers to a device, and unpacks
the output buffers. The device is either

* `PynqDmaDevice` (pynq_device.py): the overlay's AXI DMA and the HLS IP,
  through pynq: one DMA transfer per direction carries the whole batch
  (the IP ends the output stream with TLAST after `frames` frames); or
* `SimulationDevice` (simulation.py): the same bytes through the compiled C
  simulation of the very top function that is synthesized (`qnn_run_axi`).

Both take the same buffers, so a test of the host path on this machine checks
the bytes the board would move. A device's whole interface is
`allocate(nbytes) -> uint8 array`, `run(input_buffers, output_buffers, frames)`
and `max_frames(manifest)` (the largest batch of one transfer).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

import numpy as np

from qnn_runtime.manifest import Manifest, Port


@dataclass
class Timings:
    """Seconds spent in the last `execute`, by phase."""

    pack: float = 0.0
    transfer: float = 0.0
    """The device's run: cache maintenance, DMA and compute (or the C simulation)."""
    unpack: float = 0.0

    @property
    def total(self) -> float:
        return self.pack + self.transfer + self.unpack


@dataclass
class ThroughputReport:
    """What `throughput_test` measured: medians over the repeats."""

    batch: int
    repeats: int
    seconds: float
    pack_seconds: float
    transfer_seconds: float
    unpack_seconds: float
    input_bytes: int
    output_bytes: int
    extra: dict = field(default_factory=dict)

    @property
    def images_per_second(self) -> float:
        return self.batch / self.seconds

    def as_dict(self) -> dict:
        return {"batch": self.batch, "repeats": self.repeats,
                "images_per_second": self.images_per_second, "seconds": self.seconds,
                "pack_seconds": self.pack_seconds, "transfer_seconds": self.transfer_seconds,
                "unpack_seconds": self.unpack_seconds,
                "input_mb_per_second": self.input_bytes / self.transfer_seconds / 1e6,
                "output_mb_per_second": self.output_bytes / self.transfer_seconds / 1e6,
                **self.extra}


class Accelerator:
    """The accelerator of a deployment package, driven through `device`."""

    def __init__(self, manifest: Manifest, device):
        self.manifest = manifest
        self.device = device
        self.timings = Timings()
        self._buffers: tuple[int, list, list] | None = None

    @property
    def inputs(self) -> tuple[Port, ...]:
        return self.manifest.inputs

    @property
    def outputs(self) -> tuple[Port, ...]:
        return self.manifest.outputs

    def check_shapes(self, arrays) -> int:
        """Check every input batch's shape: the common batch size."""
        if len(arrays) != len(self.inputs):
            raise ValueError(f"the accelerator takes {len(self.inputs)} input(s), got "
                             f"{len(arrays)}")
        batches = {port.check_shape(array)
                   for port, array in zip(self.inputs, arrays, strict=True)}
        if len(batches) != 1:
            raise ValueError(f"the input batches differ in size: {sorted(batches)}")
        return batches.pop()

    def execute(self, *arrays: np.ndarray) -> list[np.ndarray]:
        """Run a batch (dim 0) of each input port; one array per output port (int64, or
        float32 for float ports). The whole batch is packed (and its values checked) before
        anything is sent; batches larger than one DMA transfer then go in pieces."""
        batch = self.check_shapes(arrays)
        start = time.perf_counter()
        packed = [port.pack(a) for port, a in zip(self.inputs, arrays, strict=True)]
        self.timings = Timings(pack=time.perf_counter() - start)
        step = max(1, self.device.max_frames(self.manifest))
        pieces = [self._run_piece([data[first:first + step] for data in packed])
                  for first in range(0, batch, step)]
        if len(pieces) == 1:
            return pieces[0]
        return [np.concatenate(parts) for parts in zip(*pieces, strict=True)]

    def _run_piece(self, packed: list[np.ndarray]) -> list[np.ndarray]:
        """One transfer: packed (frames, frame_bytes) inputs -> unpacked outputs."""
        frames = packed[0].shape[0]
        inputs, outputs = self._buffers_for(frames)
        start = time.perf_counter()
        for data, buffer in zip(packed, inputs, strict=True):
            buffer[:] = data.reshape(-1)
        copied = time.perf_counter()
        self.device.run(inputs, outputs, frames)
        transferred = time.perf_counter()
        results = [port.unpack(np.asarray(buffer).reshape(frames, port.frame_bytes))
                   for port, buffer in zip(self.outputs, outputs, strict=True)]
        self.timings.pack += copied - start  # the copy into the DMA buffers
        self.timings.transfer += transferred - copied
        self.timings.unpack += time.perf_counter() - transferred
        return results

    def _buffers_for(self, frames: int) -> tuple[list, list]:
        """DMA buffers of `frames` frames, allocated once per batch size."""
        if self._buffers is None or self._buffers[0] != frames:
            self._buffers = None  # let the old buffers go before allocating new ones
            self._buffers = (frames,
                             [self.device.allocate(frames * p.frame_bytes) for p in self.inputs],
                             [self.device.allocate(frames * p.frame_bytes)
                              for p in self.outputs])
        return self._buffers[1], self._buffers[2]

    def random_inputs(self, batch: int, seed: int = 0) -> list[np.ndarray]:
        """Valid random values for every input port (for throughput tests)."""
        rng = np.random.default_rng(seed)
        arrays = []
        for port in self.inputs:
            shape = (batch, *port.shape[1:])
            datatype = port.datatype
            if datatype.is_float:
                arrays.append(rng.standard_normal(shape).astype(np.float32))
            elif datatype.name == "bipolar":
                arrays.append(rng.choice(np.array([-1, 1], dtype=np.int8), size=shape))
            else:
                arrays.append(rng.integers(datatype.min, datatype.max, size=shape,
                                           endpoint=True, dtype=np.int64))
        return arrays

    def throughput_test(self, batch: int, repeats: int = 5) -> ThroughputReport:
        """Run `repeats` batches of random valid inputs; medians of the wall time and of
        each phase (packing, transfer, unpacking)."""
        arrays = self.random_inputs(batch)
        self.execute(*[a[:1] for a in arrays])  # warm-up: buffers, libraries, caches
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            self.execute(*arrays)
            runs.append((time.perf_counter() - start, self.timings))
        return ThroughputReport(
            batch, repeats, statistics.median(r[0] for r in runs),
            statistics.median(r[1].pack for r in runs),
            statistics.median(r[1].transfer for r in runs),
            statistics.median(r[1].unpack for r in runs),
            batch * sum(p.frame_bytes for p in self.inputs),
            batch * sum(p.frame_bytes for p in self.outputs))
