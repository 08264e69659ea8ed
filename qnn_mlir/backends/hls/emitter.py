"""The HLS emitter: a module in HLS form -> the files of a Vitis HLS project.

It only prints (docs/dialects/hls.md): every stream, call, pragma and ROM word
is in the IR that `convert-dataflow-to-hls` produced. Sections, as in
ScaleHLS' EmitHLSCpp: utilities, emitter state (C++ names), one `emit_*`
method per hls op, project emission (Jinja2 templates in templates/) and the
entry point `emit_project`. The output is deterministic: the same module
gives byte-identical files. Every IR string it prints (names, comments, header
paths) goes through ir_strings.py, which says how each is made safe where it lands.

Project layout (`qnn-translate --to-hls in.mlir -o DIR`):

    top.h  top.cpp  params.h    the kernel (one frame per call), the synthesis top
                                `<kernel>_axi` around it (AXI-stream + AXI-Lite, a batch
                                per call), the ROMs
    testbench.cpp               C ABI for csim.py (qnn_run_batch: the kernel, host layout;
                                qnn_run_axi: the synthesis top, DMA layout) and main()
    run_hls.tcl                 vitis_hls -f run_hls.tcl: csim, csynth, IP export
    include/qnn/*.h             the project's HLS layer library (qnn/axi.h: the adapters)
    csim/hls_stream.h           the project's hls::stream and ap_axiu (ap_axi_sdata.h),
    csim/ap_axi_sdata.h         for g++ C simulation only

How a port travels over AXI (beat widths, DMA layout) is axi.py's; the Vivado block
design around the IP is vivado.py's.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import jinja2
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    SymbolRefAttr,
)
from xdsl.ir import Operation
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.backends.hls.axi import AxiPort, axi_ports
from qnn_mlir.backends.hls.ir_strings import (
    HEADERS_ATTR,
    TEMPLATE_FILTERS,
    Escaped,
    checked_template_value,
    cxx_comment,
    cxx_comment_symbol,
    cxx_identifier,
    include_guard,
    mlir_literal,
    mlir_symbol,
)
from qnn_mlir.backends.hls.packing import word_bytes
from qnn_mlir.cost.boards import Board, module_target
from qnn_mlir.diagnostics import QnnError, innermost_message
from qnn_mlir.dialects import hls
from qnn_mlir.ir_constants import dense_to_numpy

STAMP_FILE = ".qnn-hls-project"
"""Marks a directory written by `--to-hls`, which a later run may replace."""

AP_INT_DEFAULT_MAX_W = 1024

IP_VENDOR, IP_LIBRARY, IP_VERSION = "xilinx.com", "hls", "1.0"
"""Vendor, library and version of the exported IP (its name is the synthesis top's):
run_hls.tcl's export_design sets them, the block design instantiates `ip_vlnv(name)`."""


# ---------------------------------------------------------------------------
# Utilities
# ---------------------------------------------------------------------------

sanitize = cxx_identifier  # under the emitter's older name, which tests import


def word_type(width: int) -> str:
    """The C++ type of a `width`-bit word."""
    return f"ap_uint<{width}>"


def ip_vlnv(name: str) -> Escaped:
    """`xilinx.com:hls:<name>:1.0`, the IP catalog's name of the exported top `name` (a C++
    identifier, so the VLNV is one plain Tcl word)."""
    return Escaped(f"{IP_VENDOR}:{IP_LIBRARY}:{name}:{IP_VERSION}")


ROM_LIMB_TYPES = ((8, "unsigned char"), (16, "unsigned short"), (32, "unsigned int"),
                  (64, "unsigned long long"))
"""(bits, C++ type) of ROM limbs: the narrowest that holds a word, else 64-bit limbs."""


def rom_limbs(width: int) -> tuple[str, int, int]:
    """How a `width`-bit ROM word is stored: C++ limb type, bits per limb, limbs per word.

    Plain integers, not ap_uint: an ap_uint array initializer is a dynamic
    constructor call per word, which costs g++ minutes on large ROMs. The
    layer templates rebuild each word with qnn::rom_word (include/qnn/types.h).
    """
    bits, ctype = next((bits, ctype) for bits, ctype in ROM_LIMB_TYPES if width <= bits
                       or bits == 64)
    return ctype, bits, -(-width // bits)


def rom_literals(op: hls.RomOp) -> list[tuple[str, ...]]:
    """Each ROM word as hex limb literals, limb 0 (the low bits) first, each padded to its
    bits. The IR stores words as 64-bit limbs, which are the printed limbs of a word wider
    than 64 bits and hold the whole word otherwise; columns are formatted at once (a
    ROM of PE = SIMD = 1 has tens of thousands of words)."""
    width = op.width.value.data
    _, bits, limbs = rom_limbs(width)
    stored = dense_to_numpy(op.words)
    columns = [[f"0x{value:0{-(-min(bits, width - bits * k) // 4)}x}"
                for value in stored[:, k].tolist()] for k in range(limbs)]
    return list(zip(*columns, strict=True))


# ---------------------------------------------------------------------------
# Emitter state: the C++ name of every port, stream and ROM
# ---------------------------------------------------------------------------


class NameTable:
    """Unique C++ identifiers, assigned in IR order (so deterministic)."""

    def __init__(self) -> None:
        self._taken: set[str] = set()
        self._names: dict[object, str] = {}
        self.renames: dict[str, str] = {}

    def add(self, key: object, ir_name: str) -> str:
        """Name `key` after `ir_name`, sanitized and made unique with a numeric suffix."""
        base = cxx_identifier(ir_name)
        name, suffix = base, 1
        while name in self._taken:
            name, suffix = f"{base}_{suffix}", suffix + 1
        self._taken.add(name)
        self._names[key] = name
        self.renames.setdefault(ir_name, name)
        return name

    def __getitem__(self, key: object) -> str:
        return self._names[key]


@dataclass(frozen=True)
class Port:
    """An AXI-stream port of the top function, as the testbench needs it."""

    name: str
    width: int
    frame_words: int
    is_input: bool

    @property
    def word_bytes(self) -> int:
        """Bytes per word in host memory (padded to whole bytes)."""
        return word_bytes(self.width)

    @property
    def frame_bytes(self) -> int:
        """Bytes per frame (image) in host memory."""
        return self.word_bytes * self.frame_words


@dataclass(frozen=True)
class AxiTop:
    """The synthesis top `<kernel>_axi` of top.cpp: the kernel between AXI-stream
    adapters (include/qnn/axi.h), and the C++ names of its parts."""

    name: str
    frames_loop: str
    """The static function that calls the one-frame kernel once per frame."""
    frames: str
    """The batch-size argument (AXI-Lite register 0x10)."""
    frame: str
    """The frame loop's index."""
    ports: list[AxiPort]
    words: dict[str, str]
    """AXI port name -> the stream of kernel words between its adapter and the kernel."""
    signature: Escaped
    frames_loop_signature: Escaped


# ---------------------------------------------------------------------------
# One emit method per hls op
# ---------------------------------------------------------------------------


class KernelEmitter:
    """Prints one hls.kernel and the ROMs next to it."""

    INDENT = "  "

    def __init__(self, kernel: hls.KernelOp, roms: list[hls.RomOp]):
        self.kernel = kernel
        self.roms = roms
        self.names = NameTable()
        for rom in roms:
            self.names.add(rom.sym_name.data, rom.sym_name.data)
        self.top_name = self.names.add(kernel, kernel.sym_name.data)
        for index, arg in enumerate(kernel.body.block.args):
            fallback = f"in{index}" if index < kernel.num_inputs.value.data else "out"
            self.names.add(arg, arg.name_hint or fallback)
        for op in kernel.body.block.ops:
            if isinstance(op, hls.StreamOp):
                self.names.add(op.stream, op.stream.name_hint or "stream")
        # The synthesis top around the kernel shares the table: none of its names
        # shadows the kernel, a ROM or a port (the AXI ports keep the kernel's names).
        self.axi_names = {part: self.names.add(("axi", part), name) for part, name in (
            ("top", f"{self.top_name}_axi"), ("frames loop", f"{self.top_name}_frames"),
            ("frames", "frames"), ("frame", "frame"))}
        self.word_streams = {self.names[arg]: self.names.add(("axi words", arg),
                                                              f"{self.names[arg]}_words")
                             for arg in kernel.body.block.args}

    def ports(self) -> list[Port]:
        """The ports in signature order, with their words per frame."""
        frame_words = self.kernel.attributes.get("frame_words")
        args = self.kernel.body.block.args
        if not isinstance(frame_words, DenseArrayBase) or len(frame_words) != len(args):
            raise QnnError(
                f"error: hls.kernel {mlir_symbol(self.kernel.sym_name.data)} needs `frame_words = "
                f"array<i64: ...>` with one entry per port ({len(args)}); "
                "convert-dataflow-to-hls sets it")
        return [Port(self.names[arg], arg.type.width.data, words,  # type: ignore[attr-defined]
                     index < self.kernel.num_inputs.value.data)
                for index, (arg, words) in enumerate(
                    zip(args, frame_words.get_values(), strict=True))]

    def signature(self) -> str:
        """`void tfc(hls::stream<ap_uint<8>> &in0, ...)`."""
        params = ", ".join(f"hls::stream<{word_type(arg.type.width.data)}> &{self.names[arg]}"
                           for arg in self.kernel.body.block.args)
        return f"void {self.top_name}({params})"

    def axi_top(self) -> AxiTop:
        """The synthesis top: its ports (beats per axi.py) and names."""
        ports = axi_ports(self.ports())
        words = self.word_streams
        frames = self.axi_names["frames"]
        axi_params = [f"hls::stream<ap_axiu<{p.beat_bits}, 0, 0, 0>> &{p.name}" for p in ports]
        word_params = [f"hls::stream<{word_type(p.width)}> &{words[p.name]}" for p in ports]
        return AxiTop(
            self.axi_names["top"], self.axi_names["frames loop"], frames,
            self.axi_names["frame"], ports, words,
            Escaped(f"void {self.axi_names['top']}({', '.join(axi_params)}, "
                    f"unsigned int {frames})"),
            Escaped(f"static void {self.axi_names['frames loop']}({', '.join(word_params)}, "
                    f"unsigned int {frames})"))

    def emit_kernel(self) -> str:
        """The top function: signature, then each body op in order."""
        lines = [self.signature() + " {"]
        previous = None
        for op in self.kernel.body.block.ops:
            # A blank line between groups of ops, and before each commented call.
            if previous is not None and (type(op) is not type(previous)
                                         or isinstance(op, hls.CallOp)):
                lines.append("")
            lines += self.emit_op(op)
            previous = op
        while lines[-1] == "":
            lines.pop()
        return "\n".join(lines) + "\n}\n"

    def emit_op(self, op: Operation) -> list[str]:
        """Dispatch to the emit method of the op."""
        emitters = {
            hls.PragmaOp: self.emit_pragma,
            hls.StreamOp: self.emit_stream,
            hls.CallOp: self.emit_call,
            hls.ReturnOp: self.emit_return,
        }
        emit = emitters.get(type(op))
        if emit is None:
            raise QnnError(f"error: '{op.name}' cannot appear in an hls.kernel body")
        return emit(op)

    def emit_pragma(self, op: hls.PragmaOp) -> list[str]:
        """`#pragma HLS <text>`, with port/variable names mapped to their C++ names."""
        text = re.sub(r"\b(port|variable)=(\S+)",
                      lambda m: f"{m[1]}={self.names.renames.get(m[2], m[2])}", op.text.data)
        return [f"#pragma HLS {text}"]

    def emit_stream(self, op: hls.StreamOp) -> list[str]:
        """The declaration and its STREAM depth pragma."""
        name = self.names[op.stream]
        width = op.stream.type.width.data  # type: ignore[attr-defined]
        return [f'{self.INDENT}hls::stream<{word_type(width)}> {name}("{name}");',
                f"#pragma HLS STREAM variable={name} depth={op.depth.value.data}"]

    def emit_call(self, op: hls.CallOp) -> list[str]:
        """`// comment` then `callee<args>(inputs, outputs, roms);`."""
        args = ", ".join(str(a.value.data) if isinstance(a, IntegerAttr) else str(a.data)
                         for a in op.template_args.data)  # type: ignore[attr-defined]
        operands = [self.names[v] for v in (*op.inputs, *op.outputs)]
        operands += [self.names[ref.root_reference.data] for ref in
                     (op.roms.data if op.roms is not None else ())]
        lines = []
        if op.comment is not None:
            lines.append(f"{self.INDENT}// {cxx_comment(op.comment.data)}")
        template = f"<{args}>" if args else ""
        return lines + [f"{self.INDENT}{op.callee.data}{template}({', '.join(operands)});"]

    def emit_return(self, op: hls.ReturnOp) -> list[str]:
        """Nothing: the top function returns void at its closing brace."""
        return []

    ROM_LINE = 92
    """Characters of ROM literals per line of params.h (after the indentation)."""

    def emit_rom(self, op: hls.RomOp) -> str:
        """`static const <limb type> name[depth][limbs] = {{...}, ...};`, a comment above.

        A word is a row of limbs (`rom_limbs`). One-limb words go several to a line;
        a word of several limbs starts a line and wraps after a few limbs.
        """
        width, depth = op.width.value.data, op.depth.value.data
        ctype, bits, limbs = rom_limbs(width)
        rows = rom_literals(op)
        if limbs == 1:
            items = [f"{{{row[0]}}}" for row in rows]
            per_line = max(1, self.ROM_LINE // (len(items[0]) + 2))
            lines = [", ".join(items[i:i + per_line]) for i in range(0, depth, per_line)]
        else:
            per_line = max(1, self.ROM_LINE // (len(rows[0][0]) + 2))
            lines = []
            for row in rows:
                chunks = [", ".join(row[i:i + per_line]) for i in range(0, limbs, per_line)]
                lines.append("{" + f",\n{self.INDENT * 2} ".join(chunks) + "}")
        body = ",\n".join(f"{self.INDENT * 2}{line}" for line in lines)
        layout = f", as {limbs} {bits}-bit limbs, low limb first" if limbs > 1 else ""
        return (f"// {cxx_comment_symbol(op.sym_name.data)}: {depth} word(s) of {width} bits"
                f"{layout}\n"
                f"static const {ctype} {self.names[op.sym_name.data]}[{depth}][{limbs}] = {{\n"
                f"{body}\n}};\n")

    def widest_word(self) -> int:
        """The widest ap_uint the code builds: ports, streams and ROM words (the layer
        templates rebuild each ROM word as an ap_uint of the ROM's width), and the AXI
        adapters' registers of a word's beats (include/qnn/axi.h)."""
        widths = [rom.width.value.data for rom in self.roms]
        widths += [p.beats_per_word * p.beat_bits for p in axi_ports(self.ports())]
        widths += [arg.type.width.data for arg in self.kernel.body.block.args]  # type: ignore
        widths += [op.stream.type.width.data for op in self.kernel.body.block.ops  # type: ignore
                   if isinstance(op, hls.StreamOp)]
        return max(widths)


# ---------------------------------------------------------------------------
# Project emission
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HlsTarget:
    """The pieces of a module in HLS form: the host declaration (if any) and the kernel."""

    declaration: func.FuncOp | None
    kernel: hls.KernelOp
    roms: list[hls.RomOp]


def find_targets(module: ModuleOp) -> list[HlsTarget]:
    """Every kernel of the module, with its ROMs and its host declaration, in IR order."""
    declarations = {}
    for op in module.ops:
        attr = op.attributes.get("hls.kernel") if isinstance(op, func.FuncOp) else None
        if isinstance(attr, SymbolRefAttr):
            path = (attr.root_reference.data, *(r.data for r in attr.nested_references.data))
            declarations[path] = op
    targets = []
    for device in [module, *(op for op in module.ops if isinstance(op, ModuleOp))]:
        roms = [op for op in device.ops if isinstance(op, hls.RomOp)]
        for kernel in (op for op in device.ops if isinstance(op, hls.KernelOp)):
            name = kernel.sym_name.data
            path = (name,) if device is module else (_module_name(device), name)
            targets.append(HlsTarget(declarations.get(path), kernel, roms))
    return targets


def _module_name(module: ModuleOp) -> str:
    return module.sym_name.data if isinstance(module.sym_name, StringAttr) else ""


@cache
def _environment() -> jinja2.Environment:
    """One environment per process: it compiles each template once."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("qnn_mlir.backends.hls", "templates"),
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True,
        lstrip_blocks=True, autoescape=False, finalize=checked_template_value)
    # An IR string is printed through the filter of the place it lands (ir_strings.py).
    environment.filters.update(TEMPLATE_FILTERS)
    return environment


def library_files() -> dict[str, str]:
    """The layer library and the C-simulation hls_stream.h, by project-relative path."""
    root = resources.files("qnn_mlir.backends.hls") / "include"
    files = {}
    for folder in ("qnn", "csim"):
        for entry in sorted((root / folder).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".h"):
                files[f"{'include/' if folder == 'qnn' else ''}{folder}/{entry.name}"] = (
                    entry.read_text(encoding="utf-8"))
    return files


def kernel_headers(kernel: hls.KernelOp) -> list[str]:
    """The layer headers the kernel's calls need (its `headers` attribute)."""
    attr = kernel.attributes.get(HEADERS_ATTR)
    if not isinstance(attr, ArrayAttr):
        raise QnnError(f"error: hls.kernel {mlir_symbol(kernel.sym_name.data)} needs `headers = "
                       "[...]`, the layer headers its calls need; convert-dataflow-to-hls sets it")
    return [entry.data for entry in attr.data]  # type: ignore[attr-defined]


def layer_header_files(headers: list[str], library: dict[str, str]) -> dict[str, str]:
    """The headers not in the project's library, read from the layer op that declares
    them (`LayerOp.HLS_HEADER_DIR`): a layer defined outside the project ships its own."""
    from qnn_mlir.dialects.dataflow import layer_classes

    files = {}
    for header in headers:
        if f"include/{header}" in library:
            continue
        owners = [cls for cls in layer_classes()
                  if cls.HLS_HEADER == header and cls.HLS_HEADER_DIR is not None]
        if not owners or ".." in header.split("/") or header.startswith("/"):
            raise QnnError(f"error: no layer op provides the header {mlir_literal(header)}: a "
                           "layer outside the library sets HLS_HEADER_DIR to the folder holding it")
        path = os.path.join(owners[0].HLS_HEADER_DIR, header)  # type: ignore[arg-type]
        try:
            with open(path, encoding="utf-8") as f:
                files[f"include/{header}"] = f.read()
        except OSError as error:
            raise QnnError(f"error: cannot read the layer header {path}: "
                           f"{error.strerror}") from error
    return files


def verify_target(target: HlsTarget) -> None:
    """Verify the kernel and its ROMs: the verifier rejects the IR strings printing cannot
    make safe (callee, template argument and pragma text, headers). Parsed IR is verified
    already; this covers modules built in Python."""
    for op in (target.kernel, *target.roms):
        try:
            op.verify()
        except VerifyException as error:
            raise QnnError(f"error: {innermost_message(error)}") from error


def select_target(module: ModuleOp, kernel: str | None = None) -> tuple[HlsTarget, Board]:
    """The module's one kernel (or the one named `kernel`), verified, and the module's
    target board (`dataflow.target`)."""
    try:
        board = module_target(module)
    except ValueError as error:
        raise QnnError(f"error: {error}") from error
    targets = find_targets(module)
    if kernel is not None:
        targets = [t for t in targets if t.kernel.sym_name.data == kernel]
    if len(targets) != 1:
        raise QnnError(f"error: an HLS project holds one accelerator, the module has "
                       f"{len(targets)} hls.kernel op(s)"
                       f"{f' named {mlir_symbol(kernel)}' if kernel else ''}")
    verify_target(targets[0])
    return targets[0], board


def emit_project(module: ModuleOp, kernel: str | None = None) -> dict[str, str]:
    """All files of the HLS project of the module's kernel (or of `kernel`), by relative path,
    for the module's target board (`dataflow.target`)."""
    target, board = select_target(module, kernel)
    emitter = KernelEmitter(target.kernel, target.roms)
    widest = emitter.widest_word()
    # No library template declares a word wider than its streams and ROMs.
    max_w = widest if widest > AP_INT_DEFAULT_MAX_W else None
    context = {
        "kernel": target.kernel.sym_name.data,
        "top": emitter.top_name,
        "guard": include_guard(emitter.top_name),
        "signature": Escaped(emitter.signature()),
        "ports": emitter.ports(),
        "axi": emitter.axi_top(),
        "ip": {"vendor": IP_VENDOR, "library": IP_LIBRARY, "version": IP_VERSION},
        "ap_int_max_w": max_w,
        "kernel_text": Escaped(emitter.emit_kernel()),
        "roms": [Escaped(emitter.emit_rom(rom)) for rom in target.roms],
        "board": board,
        "headers": kernel_headers(target.kernel),
    }
    environment = _environment()
    files = {name: environment.get_template(f"{name}.jinja").render(context)
             for name in ("top.h", "top.cpp", "params.h", "testbench.cpp", "run_hls.tcl")}
    library = library_files()
    files.update(library)
    files.update(layer_header_files(context["headers"], library))
    files[STAMP_FILE] = ("This directory was written by qnn-translate --to-hls and is replaced "
                         "when the project is generated again.\n")
    return dict(sorted(files.items()))
