"""`SimulationDevice`: the accelerator's C simulation in place of the board.

The deployment package ships the emitted HLS project compiled with g++ into a
shared library (`sim/`). Its C entry point `qnn_run_axi` drives the synthesis
top function `<kernel>_axi` exactly as the AXI DMA does: the input buffers are
cut into AXI-stream beats with TLAST on the last one, the top runs once with
the batch size as its `frames` argument, and the output beats are written
back, the call failing if TLAST is not on the last output beat. So the bytes
the driver packs here are the bytes the board's DMA would carry.
"""

from __future__ import annotations

import ctypes

import numpy as np

from qnn_runtime.manifest import Manifest

MAX_FRAMES = 1 << 16
"""Frames per call: bounds the simulation's buffers, as the DMA's length register does."""


class SimulationError(RuntimeError):
    """The library is missing or does not match the manifest, or the simulation failed."""


class SimulationDevice:
    """The compiled C simulation of one deployment package, as an `Accelerator` device."""

    def __init__(self, library: str, manifest: Manifest):
        try:
            self._lib = ctypes.CDLL(library)
        except OSError as error:
            raise SimulationError(f"cannot load the C simulation library {library}: {error} "
                                  "(it is built for the machine that ran qnn-translate "
                                  "--to-pynq; regenerate the package there)") from error
        self._lib.qnn_run_axi.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long]
        self._lib.qnn_run_axi.restype = ctypes.c_int
        self._lib.qnn_axi_frame_bytes.argtypes = [ctypes.c_int]
        self._lib.qnn_axi_frame_bytes.restype = ctypes.c_long
        self._lib.qnn_last_error.restype = ctypes.c_char_p
        for index, port in enumerate((*manifest.inputs, *manifest.outputs)):
            actual = self._lib.qnn_axi_frame_bytes(index)
            if actual != port.frame_bytes:
                raise SimulationError(f"{library} does not match the manifest: port "
                                      f"{port.name} has {actual} bytes per frame, the "
                                      f"manifest says {port.frame_bytes}")
        self.library = library

    def max_frames(self, manifest: Manifest) -> int:
        return MAX_FRAMES

    def allocate(self, nbytes: int) -> np.ndarray:
        return np.zeros(nbytes, dtype=np.uint8)

    def run(self, inputs: list, outputs: list, frames: int) -> None:
        """One batch through `qnn_run_axi`."""
        in_ptrs = (ctypes.c_void_p * len(inputs))(*(b.ctypes.data for b in inputs))
        out_ptrs = (ctypes.c_void_p * len(outputs))(*(b.ctypes.data for b in outputs))
        if self._lib.qnn_run_axi(in_ptrs, out_ptrs, frames) != 0:
            message = self._lib.qnn_last_error().decode("utf-8", "replace")
            raise SimulationError(f"the C simulation failed: {message}")
