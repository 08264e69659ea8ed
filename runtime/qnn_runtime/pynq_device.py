"""`PynqDmaDevice`: the accelerator on a PYNQ board, through the overlay's AXI DMA.

The block design (vivado/block_design.tcl of the package) holds one AXI DMA
without scatter-gather, its MM2S stream feeding the IP's input port and the
IP's output port feeding its S2MM stream, and the IP's AXI-Lite control port
(ap_ctrl_hs): `ap_start` is bit 0 of the register at `registers["control"]`,
the batch size is the register `registers["frames"]`.

One batch is:

1. flush the input buffer from the CPU caches (the DMA reads DDR directly);
2. arm the receive channel first, so that no output word finds the DMA idle;
3. send the input buffer;
4. write the batch size and set ap_start;
5. wait for both channels, each with a timeout (the IP ends its output with
   TLAST after the last frame, which ends the receive transfer);
6. invalidate the output buffer, so that the CPU reads what the DMA wrote.

pynq's own send channel flushes too; the explicit calls keep the order visible
and the same whatever channel class the overlay provides.
"""

from __future__ import annotations

import time

import numpy as np

from qnn_runtime.manifest import Manifest

AP_START = 0x1
DEFAULT_TIMEOUT = 10.0
"""Seconds a batch may take before the DMA is declared stuck."""


class DeviceError(RuntimeError):
    """A problem with the board, the overlay or a transfer; the message says what to do."""


def load_overlay(bitfile: str, device=None):
    """pynq.Overlay(bitfile), with the reason in plain words when it cannot load."""
    try:
        import pynq
    except ImportError as error:
        raise DeviceError("the board path needs the pynq package (it is on PYNQ board "
                          "images; elsewhere run with --device sim)") from error
    try:
        return pynq.Overlay(bitfile, device=device) if device else pynq.Overlay(bitfile)
    except (OSError, RuntimeError, ValueError) as error:
        raise DeviceError(f"cannot load the overlay {bitfile}: {error} (a .bit needs its "
                          ".hwh of the same name next to it)") from error


class PynqDmaDevice:
    """The overlay's DMA and IP, as an `Accelerator` device."""

    def __init__(self, overlay, manifest: Manifest, device=None,
                 timeout: float = DEFAULT_TIMEOUT):
        if len(manifest.inputs) != 1 or len(manifest.outputs) != 1:
            raise DeviceError(f"one AXI DMA drives one input and one output port; the "
                              f"accelerator has {len(manifest.inputs)} and "
                              f"{len(manifest.outputs)}")
        self.dma = self._block(overlay, manifest.dma_name, "AXI DMA")
        self.ip = self._block(overlay, manifest.ip_name, "accelerator IP")
        for channel in ("sendchannel", "recvchannel"):
            if getattr(self.dma, channel, None) is None:
                raise DeviceError(f"the overlay's block '{manifest.dma_name}' has no "
                                  f"{channel}: it is not an AXI DMA with both channels")
        self.registers = manifest.registers
        self.device = device
        self.timeout = timeout

    @staticmethod
    def _block(overlay, name: str, what: str):
        blocks = sorted(getattr(overlay, "ip_dict", {}) or {})
        if name not in blocks:
            raise DeviceError(f"the overlay has no {what} named '{name}' (its IP blocks: "
                              f"{', '.join(blocks) or 'none'}); the bitstream must come from "
                              "this package's vivado/block_design.tcl")
        return getattr(overlay, name)

    def max_frames(self, manifest: Manifest) -> int:
        """Frames of the largest transfer the DMA's length register allows."""
        largest = max(p.frame_bytes for p in (*manifest.inputs, *manifest.outputs))
        return max(1, manifest.max_transfer_bytes // largest)

    def allocate(self, nbytes: int) -> np.ndarray:
        """A physically contiguous buffer (pynq.allocate) on the board's memory."""
        import pynq

        return pynq.allocate((nbytes,), dtype=np.uint8, target=self.device)

    def run(self, inputs: list, outputs: list, frames: int) -> None:
        """One batch through the DMA (see the module docstring for the order)."""
        (source,), (destination,) = inputs, outputs
        source.flush()
        self.dma.recvchannel.transfer(destination)
        self.dma.sendchannel.transfer(source)
        self.ip.write(self.registers["frames"], frames)
        self.ip.write(self.registers["control"], AP_START)
        self._wait(frames)
        destination.invalidate()

    def _wait(self, frames: int) -> None:
        """Until both channels are idle; an error bit of either, or the timeout, raises."""
        channels = {"send (MM2S)": self.dma.sendchannel, "receive (S2MM)": self.dma.recvchannel}
        deadline = time.monotonic() + self.timeout
        while True:
            busy = [name for name, channel in channels.items() if not channel.idle]
            failed = [name for name, channel in channels.items() if channel.error]
            if failed:
                raise DeviceError(f"the DMA's {' and '.join(failed)} channel reports an error "
                                  "(its status register, offset 0x04 of the channel): the "
                                  "transfer did not match what the IP sent or took; reload the "
                                  "overlay")
            if not busy:
                return
            if time.monotonic() > deadline:
                raise DeviceError(
                    f"the DMA's {' and '.join(busy)} transfer of {frames} frame(s) did not "
                    f"finish within {self.timeout:g} s: the IP did not consume or produce the "
                    "expected words (is the bitstream built from this package? is the clock "
                    "running?); reload the overlay before the next run")
            time.sleep(0)  # poll without holding the interpreter
