"""A PYNQ board on this machine, for testing the pynq path of the runtime.

`BoardDouble` is a `pynq.Device` whose memory and registers are simulated:

* `allocate` returns real `pynq.PynqBuffer`s. Device memory is separate from
  the CPU's view of a buffer, as on the Zynq with its caches: `flush` copies the
  CPU's bytes to device memory, `invalidate` copies device memory back. A
  driver that forgets either reads or sends stale bytes.
* Registers are read and written through pynq's own `MMIO` (the device has the
  REGISTER_RW capability), so pynq's real `_SDMAChannel` drives the fake AXI
  DMA below, register by register (control, status, address, length).
* The fake DMA and IP behave as the block design's: once the IP's ap_start is
  set and both channels are armed (in any order), the MM2S buffer (from device memory) goes
  through the C simulation of the synthesis top (`qnn_run_axi`, the library
  of the deployment package), and the output lands in device memory at the
  S2MM address; both channels become idle. `stall=True` never completes, for
  timeout tests.

Every register write, flush and invalidate is recorded in `events`, in order.
"""

from __future__ import annotations

import struct

import numpy as np
import pynq
from pynq.buffer import PynqBuffer
from pynq.lib.dma import DMA_TYPE_RX, DMA_TYPE_TX, _SDMAChannel

DMA_BASE = 0x4040_0000
IP_BASE = 0x43C0_0000
REGION = 0x1_0000
MM2S, S2MM = 0x00, 0x30
"""Register offsets of the two channels: control +0x00, status +0x04, address +0x18,
length +0x28 (the AXI DMA product guide's simple-mode map)."""
HALTED, IDLE, INTERNAL_ERROR = 0x1, 0x2, 0x10


class BoardDouble(pynq.Device):
    """See the module docstring."""

    def __init__(self, simulation, frame_bytes: tuple[int, int], registers: dict[str, int],
                 stall: bool = False):
        super().__init__("qnn-board-double")
        self.capabilities = {"REGISTER_RW": True}
        self.simulation = simulation
        self.in_frame_bytes, self.out_frame_bytes = frame_bytes
        self.ip_registers = registers
        self.stall = stall
        self.memory: dict[int, np.ndarray] = {}  # device address -> device-side bytes
        self.buffers: dict[int, PynqBuffer] = {}
        self.registers: dict[int, int] = {}
        self.events: list[tuple] = []
        self._next_address = 0x1000_0000
        self._armed: set[int] = set()
        self._started = False
        for channel in (MM2S, S2MM):
            self.registers[DMA_BASE + channel + 4] = HALTED | IDLE

    # -- memory --------------------------------------------------------------

    def allocate(self, shape, dtype, **kwargs):
        buffer = PynqBuffer(shape, dtype, device=self, device_address=self._next_address,
                            coherent=False, bo=self._next_address)
        buffer[...] = 0
        self.memory[self._next_address] = np.zeros(buffer.nbytes, dtype=np.uint8)
        self.buffers[self._next_address] = buffer
        self.events.append(("allocate", self._next_address, buffer.nbytes))
        self._next_address += -(-buffer.nbytes // 4096) * 4096 + 4096
        return buffer

    def flush(self, bo, offset, vaddr, nbytes):
        cpu = self.buffers[bo].view(np.uint8).reshape(-1)
        self.memory[bo][offset:offset + nbytes] = cpu[offset:offset + nbytes]
        self.events.append(("flush", bo, nbytes))

    def invalidate(self, bo, offset, vaddr, nbytes):
        cpu = self.buffers[bo].view(np.uint8).reshape(-1)
        cpu[offset:offset + nbytes] = self.memory[bo][offset:offset + nbytes]
        self.events.append(("invalidate", bo, nbytes))

    # -- registers -----------------------------------------------------------

    def read_registers(self, address, length):
        return struct.pack("<I", self.registers.get(address, 0))

    def write_registers(self, address, data):
        (value,) = struct.unpack("<I", data)
        self.registers[address] = value
        self.events.append(("write", address, value))
        dma_register = address - DMA_BASE
        if dma_register in (MM2S, S2MM):  # control: bit 0 runs the channel
            status = self.registers[address + 4]
            self.registers[address + 4] = status & ~HALTED if value & 1 else status | HALTED
        elif dma_register in (MM2S + 0x28, S2MM + 0x28):  # a length starts a transfer
            self.registers[address - 0x28 + 4] &= ~IDLE
            self._armed.add(dma_register - 0x28)
        elif address == IP_BASE + self.ip_registers["control"] and value & 1:
            self._started = True
        if self._started and self._armed == {MM2S, S2MM}:  # in any order, as the hardware
            self._started, self._armed = False, set()
            self._run_ip()

    def _channel(self, channel: int) -> tuple[int, int]:
        """The (device address, length) a channel was armed with."""
        base = DMA_BASE + channel
        return self.registers.get(base + 0x18, 0), self.registers.get(base + 0x28, 0)

    def _run_ip(self) -> None:
        """ap_start: run the batch through the C simulation, from and to device memory."""
        if self.stall:
            return
        frames = self.registers.get(IP_BASE + self.ip_registers["frames"], 0)
        (source, sent), (destination, room) = self._channel(MM2S), self._channel(S2MM)
        produced = frames * self.out_frame_bytes
        if sent != frames * self.in_frame_bytes or room < produced or frames < 1:
            # the IP waits for words that never come, or the DMA overflows: report an error
            self.registers[DMA_BASE + S2MM + 4] |= INTERNAL_ERROR
            return
        inputs = self.memory[source][:sent].copy()
        outputs = np.zeros(produced, dtype=np.uint8)
        self.simulation.run([inputs], [outputs], frames)
        self.memory[destination][:produced] = outputs
        self.registers[DMA_BASE + S2MM + 0x28] = produced  # bytes received up to TLAST
        for channel in (MM2S, S2MM):
            self.registers[DMA_BASE + channel + 4] |= IDLE


class FakeDma:
    """An AXI DMA as pynq.lib.dma.DMA presents it: pynq's own simple-mode channels over
    the double's registers."""

    def __init__(self, device: BoardDouble, width_bytes: int, max_size: int = (1 << 26) - 1):
        mmio = pynq.MMIO(DMA_BASE, REGION, device=device)
        self.sendchannel = _SDMAChannel(mmio, max_size, width_bytes, DMA_TYPE_TX, dre=False)
        self.recvchannel = _SDMAChannel(mmio, max_size, width_bytes, DMA_TYPE_RX, dre=False)


class FakeOverlay:
    """The blocks of the package's block design, by their names in the hwh."""

    def __init__(self, blocks: dict[str, object]):
        self.ip_dict = {name: {"type": type(block).__name__} for name, block in blocks.items()}
        for name, block in blocks.items():
            setattr(self, name, block)


def board_overlay(device: BoardDouble, manifest, dma_name: str | None = None,
                  ip_name: str | None = None) -> FakeOverlay:
    """The overlay of a package's manifest on the double (names overridable, to test the
    message for a wrong bitstream)."""
    width = manifest.inputs[0].beat_bits // 8
    return FakeOverlay({dma_name or manifest.dma_name: FakeDma(device, width),
                        ip_name or manifest.ip_name: pynq.MMIO(IP_BASE, REGION, device=device)})
