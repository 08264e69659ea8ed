"""A deployment package on disk: its manifest, its host code and its accelerator.

    package = DeploymentPackage("deploy/")
    accelerator = package.accelerator("sim")          # or "board", bitfile=...
    (logits,) = package.predict(accelerator, images)  # the whole model's outputs

`predict` runs the generated host code (`model.py`), whose `forward` calls the
accelerator where the model's accelerated part is; so its outputs are the
model's outputs, not the accelerator's.
"""

from __future__ import annotations

import importlib.util
import os
import time
from dataclasses import dataclass

import numpy as np

from qnn_runtime.accelerator import Accelerator
from qnn_runtime.manifest import Manifest

MANIFEST = "manifest.json"
DEVICES = ("board", "sim")


@dataclass
class PredictTimings:
    """Seconds of the last `predict`: the host code's own ops, and the accelerator's
    phases (Accelerator.timings summed over its calls)."""

    total: float = 0.0
    pack: float = 0.0
    transfer: float = 0.0
    unpack: float = 0.0

    @property
    def host(self) -> float:
        """The host code's ops: everything but packing, transfer and unpacking."""
        return self.total - self.pack - self.transfer - self.unpack


class DeploymentPackage:
    """The files written by `qnn-translate --to-pynq` (or `qnn-compile` into BUILD/deploy)."""

    def __init__(self, directory: str):
        self.directory = os.path.abspath(directory)
        self.manifest = Manifest.load(os.path.join(self.directory, MANIFEST))
        self.timings = PredictTimings()
        self._host = None

    @property
    def host(self):
        """The generated host code (model.py), imported once."""
        if self._host is None:
            path = self.manifest.path_of("host_code", self.directory)
            spec = importlib.util.spec_from_file_location("qnn_deployed_model", path)
            if spec is None or spec.loader is None:
                raise ValueError(f"{path}: cannot load the host code")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            self._host = module
        return self._host

    def accelerator(self, device: str = "board", bitfile: str | None = None,
                    timeout: float | None = None, pynq_device=None) -> Accelerator:
        """The accelerator on the board (the overlay `bitfile`, by default the package's
        bitstream/ file) or in C simulation (`device="sim"`)."""
        if device == "sim":
            from qnn_runtime.simulation import SimulationDevice

            library = self.manifest.path_of("simulation_library", self.directory)
            if not os.path.isfile(library):
                raise ValueError(f"this package has no C simulation library ({library}): it "
                                 "was written without one (qnn-compile --skip-csim); compile "
                                 "again without --skip-csim to use --device sim")
            return Accelerator(self.manifest, SimulationDevice(library, self.manifest))
        if device != "board":
            raise ValueError(f"unknown device '{device}': choose one of {', '.join(DEVICES)}")
        from qnn_runtime.pynq_device import DEFAULT_TIMEOUT, PynqDmaDevice, load_overlay

        bitfile = bitfile or self.manifest.path_of("bitstream", self.directory)
        if not os.path.isfile(bitfile):
            raise ValueError(f"no bitstream at {bitfile}: build it (README.md) or give "
                             "--bitfile; without a board, use --device sim")
        overlay = load_overlay(bitfile, pynq_device)
        return Accelerator(self.manifest, PynqDmaDevice(
            overlay, self.manifest, pynq_device,
            DEFAULT_TIMEOUT if timeout is None else timeout))

    def check_inputs(self, arrays, what: str = "input") -> list[np.ndarray]:
        """The model's inputs, checked (shape, dtype, finite) before anything runs."""
        tensors = self.manifest.host_inputs
        if len(arrays) != len(tensors):
            raise ValueError(f"the model takes {len(tensors)} input(s), got {len(arrays)}")
        checked = [tensor.check(array, what) for tensor, array in zip(tensors, arrays, strict=True)]
        if len({a.shape[0] for a in checked}) != 1:
            raise ValueError(f"{what}: the inputs' batches differ in size")
        return checked

    def predict(self, accelerator: Accelerator, *arrays: np.ndarray,
                batch: int | None = None) -> list[np.ndarray]:
        """The whole model's outputs for a batch (dim 0) of inputs, `batch` images per
        call of the host code (default: all at once)."""
        inputs = self.check_inputs(arrays)
        count = inputs[0].shape[0]
        step = count if batch is None else batch
        if step < 1:
            raise ValueError(f"--batch must be at least 1, got {step}")
        timings = PredictTimings()
        pieces = []
        start = time.perf_counter()
        for first in range(0, count, step):
            pieces.append([np.asarray(o) for o in self.host.forward(
                accelerator, *(a[first:first + step] for a in inputs))])
            for phase in ("pack", "transfer", "unpack"):
                setattr(timings, phase,
                        getattr(timings, phase) + getattr(accelerator.timings, phase))
        timings.total = time.perf_counter() - start
        self.timings = timings
        return [np.concatenate(parts) for parts in zip(*pieces, strict=True)]

    def random_inputs(self, batch: int, seed: int = 0) -> list[np.ndarray]:
        """Inputs for a throughput test: uniform in [0, 1), the range of image pixels."""
        rng = np.random.default_rng(seed)
        return [rng.uniform(0, 1, size=(batch, *t.shape[1:])).astype(t.dtype)
                for t in self.manifest.host_inputs]
