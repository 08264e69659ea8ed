"""`qnn-translate --to-pynq`: the deployment package of a module's accelerator.

Everything a user copies to a Pynq-Z1/Z2 board, in one directory:

    driver.py            python driver.py --input x.npy --output y.npy [--device sim]
    validate.py          top-1 accuracy on a labelled .npy dataset
    model.py             the host part of the model, generated numpy code (host_code.py)
    host_constants.npz   its large constants
    manifest.json        ports (shape, datatype, fold, word and beat widths), names, registers
    qnn_runtime/         the runtime package (packing, Accelerator, devices), copied
    sim/                 the C simulation library of the synthesis top (`--device sim`)
    vivado/              block_design.tcl: the Vivado block design and bitstream
    bitstream/           where the .bit and .hwh go once built
    README.md            the exact commands, from the HLS project to the board

The package is written to a temporary sibling directory and renamed when
complete, like the HLS project.
"""

from __future__ import annotations

import io
import json
import os
import shlex
from dataclasses import dataclass
from functools import cache
from importlib import resources

import jinja2
import numpy as np
from xdsl.dialects.builtin import ModuleOp

from qnn_mlir.backends.hls.axi import DMA_MAX_BITS, AxiPort
from qnn_mlir.backends.hls.csim import PortSpec, build_library, port_specs
from qnn_mlir.backends.hls.emitter import KernelEmitter, emit_project, find_targets
from qnn_mlir.backends.hls.packing import datatype_of
from qnn_mlir.backends.hls.vivado import (
    block_design_names,
    emit_vivado_scripts,
    vivado_command,
)
from qnn_mlir.backends.pynq.host_code import emit_host_code
from qnn_mlir.cost.boards import module_target
from qnn_mlir.diagnostics import QnnError

STAMP_FILE = ".qnn-deploy-package"
"""Marks a directory written by `--to-pynq`, which a later run may replace."""

MANIFEST_FORMAT = "qnn-mlir deployment manifest"
MANIFEST_VERSION = 1
DMA_LENGTH_BITS = 26
"""The AXI DMA's buffer length register width in the block design: 64 MiB per transfer."""

FILES = {
    "host_code": "model.py",
    "host_constants": "host_constants.npz",
    "simulation_library": "sim/accelerator.so",
    "block_design": "vivado/block_design.tcl",
}


@dataclass(frozen=True)
class DeployOptions:
    """Where the package sits relative to the HLS project, and what to record."""

    hls_dir: str = "hls"
    """The Vitis HLS project, relative to the package (README commands)."""
    source: str = ""
    """The model or IR file the package comes from (README, manifest)."""
    folding: dict | None = None
    """PE/SIMD per layer, recorded in the manifest when known."""
    include_hls: bool = True
    """Write the HLS project into the package (`hls/`); qnn-compile has it beside."""
    simulation_library: bool = True
    """Build the C simulation library (g++); without it `--device sim` says so."""


def _port_entry(spec: PortSpec, axi: AxiPort) -> dict:
    return {"name": spec.name, "shape": list(spec.shape), "datatype": datatype_of(
        spec.element_type).name, "fold": spec.fold, "word_bits": spec.width,
        "beat_bits": axi.beat_bits, "word_bytes": axi.dma_word_bytes,
        "frame_words": axi.frame_words, "frame_bytes": axi.frame_bytes}


def manifest(hls_module: ModuleOp, host, options: DeployOptions) -> dict:
    """The manifest (runtime/qnn_runtime/manifest.py reads it)."""
    board = module_target(hls_module)
    (target,) = find_targets(hls_module)
    inputs, outputs = port_specs(target)
    ports = KernelEmitter(target.kernel, target.roms).ports()
    axi = {p.name: AxiPort(p.name, p.is_input, p.width, p.frame_words) for p in ports}
    names = block_design_names(hls_module)
    return {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "source": options.source,
        "kernel": target.kernel.sym_name.data,
        "board": {"name": board.name, "part": board.part, "clock_mhz": board.clock_mhz},
        "ip": {"cell": names.ip_cell, "vlnv": names.ip_vlnv, "registers": names.registers},
        "dma": {"cell": names.dma_cell, "length_bits": DMA_LENGTH_BITS,
                "max_transfer_bytes": (1 << DMA_LENGTH_BITS) - 1,
                "max_beat_bits": DMA_MAX_BITS},
        "inputs": [_port_entry(s, axi[s.name]) for s in inputs],
        "outputs": [_port_entry(s, axi[s.name]) for s in outputs],
        "host": {"inputs": host.inputs, "outputs": host.outputs},
        "folding": options.folding or {},
        "files": {**FILES, "bitstream": f"bitstream/{names.bitstream}.bit"},
    }


def runtime_files() -> dict[str, str]:
    """The runtime package's sources, by path in the package (qnn_runtime/...)."""
    root = resources.files("qnn_runtime")
    return {f"qnn_runtime/{entry.name}": entry.read_text(encoding="utf-8")
            for entry in sorted(root.iterdir(), key=lambda e: e.name)
            if entry.name.endswith(".py")}


@cache
def _environment() -> jinja2.Environment:
    """The package's templates (templates/*.jinja). IR names reach them only as C++
    identifiers (`top`) or through `| tojson`, which is also a valid Python string body."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("qnn_mlir.backends.pynq", "templates"),
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True,
        lstrip_blocks=True, autoescape=False)
    return environment


def _render(template: str, **context) -> str:
    return _environment().get_template(template).render(**context)


def vivado_commands(hls_module: ModuleOp, hls_dir: str) -> dict:
    """The README's commands from the HLS project to the bitstream in bitstream/, run in
    the package directory (`hls_dir` is the HLS project, relative to it)."""
    names = block_design_names(hls_module)
    ip_dir = f"{hls_dir}/{names.top}_prj/solution1/impl/ip"
    return {"commands": [
        f"(cd {shlex.quote(hls_dir)} && vitis_hls -f run_hls.tcl)   # C sim, synthesis, IP",
        vivado_command("vivado/block_design.tcl", shlex.quote(ip_dir), "bitstream"),
    ]}


def deployment_files(hls_module: ModuleOp, options: DeployOptions) -> dict[str, str | bytes]:
    """Every file of the package, by relative path (the simulation library is built with
    g++, or taken from the C-simulation cache)."""
    targets = find_targets(hls_module)
    if len(targets) != 1:
        raise QnnError(f"error: a deployment package holds one accelerator, the module has "
                       f"{len(targets)}")
    kernel = targets[0].kernel.sym_name.data
    vivado = emit_vivado_scripts(hls_module, kernel)  # refuses ports one DMA cannot drive
    host = emit_host_code(hls_module)  # refuses host ops without numpy semantics
    data = manifest(hls_module, host, options)
    constants = io.BytesIO()
    np.savez(constants, **host.constants)
    project = emit_project(hls_module, kernel=kernel)
    context = {"manifest": data, "top": block_design_names(hls_module).top,
               "files": data["files"],
               "vivado": vivado_commands(hls_module, options.hls_dir)}
    files: dict[str, str | bytes] = {
        "manifest.json": json.dumps(data, indent=2) + "\n",
        FILES["host_code"]: host.source,
        FILES["host_constants"]: constants.getvalue(),
        "driver.py": _render("driver.py.jinja", **context),
        "validate.py": _render("validate.py.jinja", **context),
        "README.md": _render("README.md.jinja", **context),
        "bitstream/.keep": "",
        STAMP_FILE: ("This directory was written by qnn-translate --to-pynq and is replaced "
                     "when the package is generated again.\n"),
    }
    files.update({f"vivado/{name}": text for name, text in vivado.items()})
    files.update(runtime_files())
    if options.simulation_library:
        with open(build_library(project, kernel), "rb") as f:
            files[FILES["simulation_library"]] = f.read()
    if options.include_hls:
        files.update({f"hls/{name}": text for name, text in project.items()})
    return dict(sorted(files.items()))


def write_deployment(hls_module: ModuleOp, directory: str, options: DeployOptions) -> None:
    """Write the package of the module (in HLS form) as `directory`, all or nothing."""
    write_package(deployment_files(hls_module, options), directory)


def write_package(files: dict[str, str | bytes], directory: str) -> None:
    """Write the files of `deployment_files` as `directory`, all or nothing."""
    from qnn_mlir.backends.hls import write_project

    write_project(files, directory, STAMP_FILE, "a deployment package written by "
                  "qnn-translate --to-pynq")
    for script in ("driver.py", "validate.py"):
        path = os.path.join(directory, script)
        os.chmod(path, os.stat(path).st_mode | 0o111)

