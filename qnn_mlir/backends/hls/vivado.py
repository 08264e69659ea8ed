"""The Vivado block design around the exported HLS IP, for the Zynq-7000 Pynq boards.

`emit_vivado_scripts(hls_module)` gives `block_design.tcl`:

    vivado -mode batch -source block_design.tcl -tclargs <hls ip dir> <output dir>

It builds, for the module's target board (Pynq-Z1 or Pynq-Z2), a project with
the Zynq PS7, an AXI DMA without scatter-gather between DDR (through the PS's
S_AXI_HP0) and the IP's two AXI4-Stream ports, and the IP's AXI-Lite control
port on the PS's M_AXI_GP0; then the bitstream, copied with the hardware
handoff (.hwh) under one base name, as PYNQ loads an overlay. The IP is the
synthesis top `<kernel>_axi` of top.cpp, which run_hls.tcl exports as
`ip_vlnv(...)`; its stream widths are the ports' `beat_bits` (axi.py).

`block_design_names` gives what a driver needs to find the blocks in the
overlay: the cell names, the IP's registers, the bitstream's base name. One
DMA drives one input and one output, so other kernels are refused.

Every IR-derived string in the script is a C++ identifier (`cxx_identifier`,
made unique among the design's cells) or goes through `tcl_comment_symbol`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.dialects.builtin import ModuleOp

from qnn_mlir.backends.hls.axi import AxiPort, axi_ports
from qnn_mlir.backends.hls.emitter import (
    KernelEmitter,
    NameTable,
    _environment,
    ip_vlnv,
    select_target,
)
from qnn_mlir.backends.hls.ir_strings import Escaped, mlir_symbol
from qnn_mlir.cost.boards import Board
from qnn_mlir.diagnostics import QnnError

BOARD_PARTS = {
    "pynq-z1": Escaped("www.digilentinc.com:pynq-z1:part0:1.0"),
    "pynq-z2": Escaped("tul.com.tw:pynq-z2:part0:1.0"),
}
"""Vivado's board part of each Zynq-7000 board the block design supports (Digilent's and
TUL's board files); without the board files installed the script uses the bare part."""

PS_CELL = "processing_system7_0"
DMA_CELL = "axi_dma_0"
CONTROL_INTERCONNECT = "control_interconnect"
MEMORY_INTERCONNECT = "memory_interconnect"
RESET_CELL = "proc_sys_reset_0"
FIXED_CELLS = (PS_CELL, DMA_CELL, CONTROL_INTERCONNECT, MEMORY_INTERCONNECT, RESET_CELL)

CONTROL_REGISTER = 0x00
"""ap_ctrl_hs over AXI-Lite: ap_start is bit 0, ap_done bit 1, ap_idle bit 2."""
FRAMES_REGISTER = 0x10
"""The first argument register of a Vitis HLS s_axilite bundle: the batch size."""

DMA_LENGTH_BITS = 26
"""c_sg_length_width: a transfer (a batch) of up to 64 MiB - 1 byte."""
DMA_MIN_MM_BITS = 32
"""The DMA's narrowest memory-mapped data width; the stream side may not be wider."""


@dataclass(frozen=True)
class BlockDesign:
    """The block design of one kernel: what the script builds and the names it gives."""

    kernel: str
    """The kernel's IR symbol (for comments)."""
    board: Board
    board_part: str
    top: str
    """The kernel's C++ name; the project, design and bitstream are named after it."""
    axi_top: str
    """The synthesis top, which is the IP's name."""
    ip_cell: str
    input: AxiPort
    output: AxiPort
    dma_cell: str = DMA_CELL
    length_bits: int = DMA_LENGTH_BITS
    registers: dict[str, int] = field(default_factory=lambda: {
        "control": CONTROL_REGISTER, "frames": FRAMES_REGISTER})

    @property
    def ip_vlnv(self) -> str:
        """The IP's VLNV, as run_hls.tcl exports it."""
        return ip_vlnv(self.axi_top)

    @property
    def bitstream(self) -> str:
        """The base name of the .bit and the .hwh in the output directory."""
        return self.top

    @property
    def project(self) -> str:
        """The Vivado project's name."""
        return f"{self.top}_vivado"

    @property
    def design(self) -> str:
        """The block design's name (its HDL wrapper is `<design>_wrapper`)."""
        return f"{self.top}_bd"

    def mm_bits(self, port: AxiPort) -> int:
        """The DMA channel's memory-mapped data width for `port`'s stream width."""
        return max(DMA_MIN_MM_BITS, port.beat_bits)


def block_design_names(hls_module: ModuleOp, kernel: str | None = None) -> BlockDesign:
    """The block design of the module's kernel (or of `kernel`): its cell names, the IP's
    registers and VLNV, the bitstream's base name. QnnError if the board is not a
    Zynq-7000 Pynq or one DMA cannot drive the kernel."""
    target, board = select_target(hls_module, kernel)
    name = target.kernel.sym_name.data
    if board.name not in BOARD_PARTS:
        raise QnnError(f"error: the Vivado block design is for the Zynq-7000 boards "
                       f"{', '.join(BOARD_PARTS)} (processing_system7); {mlir_symbol(name)} "
                       f"targets {board.title} ({board.part}), whose block design is not "
                       f"written yet: target {' or '.join(BOARD_PARTS)} for a bitstream")
    emitter = KernelEmitter(target.kernel, target.roms)
    ports = axi_ports(emitter.ports())
    inputs = [p for p in ports if p.is_input]
    outputs = [p for p in ports if not p.is_input]
    if len(inputs) != 1 or len(outputs) != 1:
        raise QnnError(f"error: one AXI DMA drives one input and one output port; "
                       f"{mlir_symbol(name)} has {len(inputs)} input(s) and {len(outputs)} "
                       "output(s), which the block design does not support")
    cells = NameTable()
    for cell in FIXED_CELLS:
        cells.add(cell, cell)
    return BlockDesign(name, board, BOARD_PARTS[board.name], emitter.top_name,
                       emitter.axi_names["top"], cells.add("ip", emitter.top_name),
                       inputs[0], outputs[0])


def emit_vivado_scripts(hls_module: ModuleOp, kernel: str | None = None) -> dict[str, str]:
    """The Vivado scripts of the module's kernel (or of `kernel`), by file name:
    `block_design.tcl` (see the module docstring)."""
    design = block_design_names(hls_module, kernel)
    template = _environment().get_template("block_design.tcl.jinja")
    cells = {"ps": PS_CELL, "control": CONTROL_INTERCONNECT, "memory": MEMORY_INTERCONNECT,
             "reset": RESET_CELL}
    return {"block_design.tcl": template.render(design=design, board=design.board,
                                                cells=cells)}


def vivado_command(script: str = "block_design.tcl", ip_dir: str = "<hls ip dir>",
                   output_dir: str = "<output dir>") -> str:
    """The command line that runs the block design (paths as given, unquoted)."""
    return f"vivado -mode batch -source {script} -tclargs {ip_dir} {output_dir}"
