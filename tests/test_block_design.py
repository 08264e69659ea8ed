"""block_design.tcl (qnn_mlir/backends/hls/vivado.py) under tclsh, every Vivado command stubbed.

The stubs (tools/fuzzing/emitted_files.py) record each call instead of running
Vivado, and `file copy`/`file mkdir` instead of touching the disk; an unknown
command fails the script. From the recorded calls: the IP the design
instantiates is the one run_hls.tcl exports (`set_top <kernel>_axi`, its
VLNV); the DMA's streams connect to the AXI ports of the emitted top, and
their widths are the ports' beats; FCLK_CLK0 runs at the board's clock; the DMA
has no scatter-gather and both channels; the AXI-Lite ports of the IP and the
DMA get addresses; the .bit and the .hwh land in the output directory under
one base name; and the script creates no file. For TFC-w1a1 and for a kernel
whose input words are wider than 64 bits, on the Pynq-Z1 and the Pynq-Z2, with
and without the board files. Kernels one DMA cannot drive and other boards are
refused with a diagnostic.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from fuzzing.emitted_files import (
    VITIS_COMMANDS,
    VIVADO_COMMANDS,
    VIVADO_RESULTS,
    run_tcl_stubbed,
    tclsh,
)
from hls_modules import Chain, ascending
from xdsl.dialects.builtin import StringAttr

from qnn_mlir.backends.hls import to_hls_form
from qnn_mlir.backends.hls.axi import beat_bits
from qnn_mlir.backends.hls.emitter import emit_project
from qnn_mlir.backends.hls.vivado import (
    BOARD_PARTS,
    block_design_names,
    emit_vivado_scripts,
    vivado_command,
)
from qnn_mlir.compiler import CompileOptions, lower_to_cpp
from qnn_mlir.cost.boards import TARGET_ATTR, get_board
from qnn_mlir.diagnostics import QnnError, parse_module_text
from qnn_mlir.dialects import make_context

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def wide_input_chain() -> Chain:
    """si8 words of 12 elements: 96-bit input words in 128-bit beats."""
    rng = np.random.default_rng(31)
    chain = Chain((1, 24), "si8", 12)
    chain.thresholding(12, ascending(rng, 24, 3, -50, 50), "i32", "ui2")
    return chain


@pytest.fixture(scope="module")
def modules() -> dict[str, object]:
    tfc = lower_to_cpp(os.path.join(REPO, "examples", "tfc_w1a1.onnx"),
                       CompileOptions()).stages["04-hls"]
    wide = to_hls_form(parse_module_text(make_context(), wide_input_chain().module(),
                                         "wide.mlir"))
    return {"tfc-w1a1": tfc, "wide-input": wide}


@pytest.fixture(scope="module", autouse=True)
def have_tclsh() -> None:
    if tclsh() is None:
        pytest.fail("tclsh is missing: run tools/setup_system.sh (Debian package tcl)")


def on_board(module, board: str):
    copy = module.clone()
    copy.attributes[TARGET_ATTR] = StringAttr(board)
    return copy


def axi_top_ports(top_cpp: str) -> tuple[str, dict[str, int], list[str], list[str]]:
    """From top.cpp: the AXI top's name, its stream ports' beat widths, the input ports
    (read by an input adapter) and the output ports (written by an output adapter)."""
    line = next(line for line in top_cpp.splitlines()
                if line.startswith("void ") and "ap_axiu<" in line)
    name = re.match(r"void (\w+)\(", line)[1]
    widths = {port: int(bits) for bits, port in
              re.findall(r"hls::stream<ap_axiu<(\d+), 0, 0, 0>> &(\w+)", line)}
    inputs = re.findall(r"^  qnn::axi_to_words<[\d, ]+>\((\w+), ", top_cpp, re.M)
    outputs = re.findall(r"^  qnn::words_to_axi<[\d, ]+>\(\w+, (\w+), ", top_cpp, re.M)
    return name, widths, inputs, outputs


def config(calls: list[list[str]], cell: str) -> dict[str, str]:
    """The CONFIG.* properties set on `cell` (set_property -dict [list ...] cell)."""
    properties = {}
    for call in calls:
        if call[:2] == ["set_property", "-dict"] and call[-1] == cell:
            items = call[2].split()
            properties.update(zip(items[::2], items[1::2], strict=True))
    return properties


def peer_cells(connections: list[list[str]], *pins: str) -> set[str]:
    """The cells whose interface pins are connected to one of `pins`."""
    return {peer.split("/")[0] for pair in connections for pin in pins if pin in pair
            for peer in pair if peer != pin}


def run_script(module, directory: Path, results: dict[str, str] | None = None):
    """block_design.tcl of the module under the stubs, with an existing IP directory;
    fails if the script creates a file."""
    directory.mkdir(exist_ok=True)
    script = directory / "block_design.tcl"
    script.write_text(emit_vivado_scripts(module)["block_design.tcl"], encoding="utf-8")
    (directory / "ip").mkdir()
    before = set(directory.rglob("*"))
    run = run_tcl_stubbed(str(script), str(directory), VIVADO_COMMANDS,
                          [str(directory / "ip"), str(directory / "out")],
                          {**VIVADO_RESULTS, **(results or {})})
    created = set(directory.rglob("*")) - before - {directory / "stubs.tcl",
                                                    directory / "calls.log"}
    assert not created, created
    return run


@pytest.mark.parametrize("board", ["pynq-z1", "pynq-z2"])
@pytest.mark.parametrize("name", ["tfc-w1a1", "wide-input"])
def test_the_block_design_wires_the_exported_top_to_the_dma(modules, name, board, tmp_path):
    module = on_board(modules[name], board)
    files = emit_project(module)
    top, widths, (in_port,), (out_port,) = axi_top_ports(files["top.cpp"])
    if name == "wide-input":
        assert widths[in_port] == beat_bits(96) == 128  # a word wider than 64 bits

    # The IP run_hls.tcl exports: its top and VLNV.
    (tmp_path / "hls").mkdir()
    (tmp_path / "hls" / "run_hls.tcl").write_text(files["run_hls.tcl"])
    hls_run = run_tcl_stubbed(str(tmp_path / "hls" / "run_hls.tcl"), str(tmp_path / "hls"),
                              VITIS_COMMANDS)
    assert hls_run.code == 0, hls_run.stderr
    (set_top,) = [call for call in hls_run.calls if call[0] == "set_top"]
    (export,) = [call for call in hls_run.calls if call[0] == "export_design"]
    assert set_top == ["set_top", top]
    option = dict(zip(export[1::2], export[2::2], strict=True))
    assert option["-format"] == "ip_catalog"
    vlnv = f"{option['-vendor']}:{option['-library']}:{top}:{option['-version']}"

    run = run_script(module, tmp_path / "bd")
    assert run.code == 0, run.stderr
    calls = run.calls
    names = block_design_names(module)
    dma, ip, ps = names.dma_cell, names.ip_cell, "processing_system7_0"
    assert dma == "axi_dma_0" and names.ip_vlnv == vlnv and f"{ip}_axi" == top

    # The cells: the exported IP, the DMA (no scatter-gather, both channels, the beats'
    # widths, 26-bit lengths), the PS at the board's clock with GP0 and HP0.
    cells = {call[-1]: call[4] for call in calls if call[:4] == ["create_bd_cell", "-type",
                                                                  "ip", "-vlnv"]}
    assert cells[ip] == vlnv
    assert cells[dma].startswith("xilinx.com:ip:axi_dma:")
    assert cells[ps].startswith("xilinx.com:ip:processing_system7:")
    dma_config = config(calls, dma)
    assert dma_config["CONFIG.c_include_sg"] == "0"
    assert dma_config["CONFIG.c_include_mm2s"] == dma_config["CONFIG.c_include_s2mm"] == "1"
    assert dma_config["CONFIG.c_sg_length_width"] == "26"
    assert int(dma_config["CONFIG.c_m_axis_mm2s_tdata_width"]) == widths[in_port]
    assert int(dma_config["CONFIG.c_s_axis_s2mm_tdata_width"]) == widths[out_port]
    assert widths[in_port] == names.input.beat_bits and widths[out_port] == names.output.beat_bits
    for channel, port in (("mm2s", in_port), ("s2mm", out_port)):  # memory side >= stream side
        assert int(dma_config[f"CONFIG.c_m_axi_{channel}_data_width"]) >= widths[port]
    ps_config = config(calls, ps)
    assert float(ps_config["CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ"]) == get_board(board).clock_mhz
    assert ps_config["CONFIG.PCW_USE_M_AXI_GP0"] == ps_config["CONFIG.PCW_USE_S_AXI_HP0"] == "1"

    # The streams: the DMA's MM2S into the top's input port, its output into S2MM.
    streams = [call[1:] for call in calls if call[0] == "connect_bd_intf_net"]
    assert [f"{dma}/M_AXIS_MM2S", f"{ip}/{in_port}"] in streams
    assert [f"{ip}/{out_port}", f"{dma}/S_AXIS_S2MM"] in streams
    ip_interfaces = [pin for pair in streams for pin in pair if pin.startswith(f"{ip}/")]
    assert sorted(ip_interfaces) == sorted([f"{ip}/{in_port}", f"{ip}/{out_port}",
                                            f"{ip}/s_axi_control"])
    # Control from GP0 through one interconnect, memory to HP0 through another.
    (gp0,) = peer_cells(streams, f"{ps}/M_AXI_GP0")
    (hp0,) = peer_cells(streams, f"{ps}/S_AXI_HP0")
    assert gp0 != hp0
    assert peer_cells(streams, f"{ip}/s_axi_control", f"{dma}/S_AXI_LITE") == {gp0}
    assert peer_cells(streams, f"{dma}/M_AXI_MM2S", f"{dma}/M_AXI_S2MM") == {hp0}

    # One clock for everything, FCLK_CLK0.
    (clock_net,) = [call[1:] for call in calls if call[0] == "connect_bd_net"
                    and f"{ps}/FCLK_CLK0" in call]
    for pin in (f"{ip}/ap_clk", f"{dma}/s_axi_lite_aclk", f"{dma}/m_axi_mm2s_aclk",
                f"{dma}/m_axi_s2mm_aclk", f"{ps}/M_AXI_GP0_ACLK", f"{ps}/S_AXI_HP0_ACLK"):
        assert pin in clock_net
    resets = [call for call in calls if call[0] == "connect_bd_net" and f"{ip}/ap_rst_n" in call]
    assert len(resets) == 1 and f"{dma}/axi_resetn" in resets[0]

    # Addresses for the IP's control port and the DMA's registers (and DDR for the DMA).
    addressed = [call[1] for call in calls if call[0] == "assign_bd_address"]
    assert f"{ip}/s_axi_control/Reg" in addressed and f"{dma}/S_AXI_LITE/Reg" in addressed
    assert any(segment.startswith(f"{ps}/S_AXI_HP0/") for segment in addressed)
    assert ["validate_bd_design"] in calls

    # The project on the board's part (and board part), the bitstream, the copies.
    (project,) = [call for call in calls if call[0] == "create_project"]
    assert project[project.index("-part") + 1] == get_board(board).part
    assert ["set_property", "board_part", BOARD_PARTS[board], ""] in calls
    run_index = calls.index(["launch_runs", "impl_1", "-to_step", "write_bitstream", "-jobs",
                             "4"])
    copies = [call for call in calls if call[:2] == ["file", "copy"]]
    assert all(calls.index(copy) > run_index for copy in copies)
    out = str(tmp_path / "bd" / "out")
    sources = {Path(call[-2]).suffix: call[-2] for call in copies}
    targets = {Path(call[-1]).suffix: call[-1] for call in copies}
    assert sorted(targets) == [".bit", ".hwh"]
    assert sources[".bit"].endswith("_wrapper.bit") and sources[".hwh"].endswith(".hwh")
    assert {os.path.dirname(path) for path in targets.values()} == {out}
    assert {Path(path).stem for path in targets.values()} == {names.bitstream}

    # What the driver needs is printed at the end.
    assert f"the DMA cell {dma} and the IP cell {ip}" in run.stdout
    assert "control at 0x00, frames at 0x10" in run.stdout
    assert names.registers == {"control": 0x00, "frames": 0x10}


def test_without_the_board_files_the_part_alone_is_used(modules, tmp_path):
    run = run_script(modules["tfc-w1a1"], tmp_path, {"get_board_parts": ""})
    assert run.code == 0, run.stderr
    assert not [call for call in run.calls if call[:2] == ["set_property", "board_part"]]
    (automation,) = [call for call in run.calls if call[0] == "apply_bd_automation"]
    assert "apply_board_preset 0" in automation[automation.index("-config") + 1]
    assert "board files (www.digilentinc.com:pynq-z1:part0:1.0) are not installed" in run.stdout


def test_the_script_needs_its_two_arguments(modules, tmp_path):
    script = tmp_path / "block_design.tcl"
    script.write_text(emit_vivado_scripts(modules["tfc-w1a1"])["block_design.tcl"])
    run = run_tcl_stubbed(str(script), str(tmp_path), VIVADO_COMMANDS, [str(tmp_path)])
    assert run.code != 0 and "usage: vivado -mode batch -source block_design.tcl" in run.stderr
    assert run.calls == []
    run = run_tcl_stubbed(str(script), str(tmp_path), VIVADO_COMMANDS,
                          [str(tmp_path / "missing"), str(tmp_path / "out")])
    assert run.code != 0 and "no HLS IP in" in run.stderr and run.calls == []
    # The header documents the same command line.
    assert f"#   {vivado_command()}\n" in script.read_text()


TWO_INPUTS = """
hls.kernel @two(%in0: !hls.stream<8>, %in1: !hls.stream<8>) -> (%out0: !hls.stream<8>)
    attributes {frame_words = array<i64: 1, 1, 1>, headers = ["qnn/dwc.h"]} {
  hls.call "qnn::merge"(%in0 : !hls.stream<8>, %in1 : !hls.stream<8>) -> (%out0 : !hls.stream<8>)
  hls.return
}
"""


def test_a_kernel_one_dma_cannot_drive_is_refused():
    module = parse_module_text(make_context(), TWO_INPUTS, "two.mlir")
    with pytest.raises(QnnError, match=r"one AXI DMA drives one input and one output port; "
                                       r"@two has 2 input\(s\) and 1 output\(s\)"):
        emit_vivado_scripts(module)
    assert "top.cpp" in emit_project(module)  # the HLS project itself is fine


def test_a_board_without_a_ps7_is_refused(modules):
    with pytest.raises(QnnError, match=r"the Vivado block design is for the Zynq-7000 boards "
                                       r"pynq-z1, pynq-z2 .* targets ZCU104"):
        emit_vivado_scripts(on_board(modules["tfc-w1a1"], "zcu104"))
