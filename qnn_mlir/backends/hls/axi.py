"""How a kernel port travels over AXI4-Stream to and from PYNQ's AXI DMA.

The kernel's own streams carry words of any width W (`!hls.stream<W>`). The AXI
DMA's stream side is 8 to 1024 bits wide, a power of two, so the synthesis top
(`<kernel>_axi`, include/qnn/axi.h) moves each word as beats of `beat_bits`:

* `beat_bits` is the smallest power of two of at least 8 bits that holds the word
  padded to whole bytes, at most 1024;
* a word wider than 1024 bits takes `beats_per_word` beats, its low bits first;
* in host memory a word is then `dma_word_bytes` = beats x beat bytes, little-endian,
  the element layout inside it FINN's (element 0 in the low bits, qnn_runtime.packing)
  and the padding zero;
* TLAST is set on the last beat of a batch: one DMA transfer carries a whole batch.

This is the one place the rule is written: the HLS templates, the block-design Tcl,
the C-simulation entry point and the deployment manifest all take it from `AxiPort`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

DMA_MIN_BITS = 8
DMA_MAX_BITS = 1024
"""The AXI DMA IP's stream widths (c_m_axis_mm2s_tdata_width, c_s_axis_s2mm_tdata_width)."""


def beat_bits(width: int) -> int:
    """The AXI-stream TDATA width that carries `width`-bit words."""
    padded = -(-width // 8) * 8
    bits = DMA_MIN_BITS
    while bits < padded and bits < DMA_MAX_BITS:
        bits *= 2
    return bits


@dataclass(frozen=True)
class AxiPort:
    """One kernel port as the DMA sees it."""

    name: str
    is_input: bool
    width: int
    """Bits of a kernel word (the fold times the element bits)."""
    frame_words: int

    @property
    def beat_bits(self) -> int:
        """TDATA width of the AXI-stream port and of the DMA channel."""
        return beat_bits(self.width)

    @property
    def beat_bytes(self) -> int:
        return self.beat_bits // 8

    @property
    def beats_per_word(self) -> int:
        return -(-self.width // self.beat_bits)

    @property
    def dma_word_bytes(self) -> int:
        """Bytes of one kernel word in a DMA buffer."""
        return self.beats_per_word * self.beat_bytes

    @property
    def frame_beats(self) -> int:
        return self.frame_words * self.beats_per_word

    @property
    def frame_bytes(self) -> int:
        """Bytes of one frame (image) in a DMA buffer."""
        return self.frame_words * self.dma_word_bytes


class KernelPort(Protocol):
    """What `axi_ports` reads of a kernel port (the emitter's `Port`)."""

    @property
    def name(self) -> str: ...
    @property
    def is_input(self) -> bool: ...
    @property
    def width(self) -> int: ...
    @property
    def frame_words(self) -> int: ...


def axi_ports(ports: Iterable[KernelPort]) -> list[AxiPort]:
    """The AXI view of the kernel's ports, in signature order (inputs first)."""
    return [AxiPort(port.name, port.is_input, port.width, port.frame_words) for port in ports]
