"""convert-dataflow-to-hls: turn each `dataflow.accelerator` into an `hls.kernel` the host calls.

Every layout decision of the HLS back end is made here or in the layers' own
lowerings (`LayerOp.lower_to_hls`, next to each op), so that `qnn-translate
--to-hls` only prints (docs/dialects/hls.md). This pass knows no layer kind:
it wires ports and streams, asks each layer for its template call and ROMs,
and adds the pragmas. The C++ side of each layout is documented in the headers
of qnn_mlir/backends/hls/include/qnn/, and the bit packing in
qnn_mlir/backends/hls/packing.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    SymbolRefAttr,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter
from xdsl.traits import SymbolTable
from xdsl.utils.exceptions import DiagnosticException, VerifyException

from qnn_mlir.backends.hls.ir_strings import HEADERS_ATTR
from qnn_mlir.backends.hls.packing import word_bytes
from qnn_mlir.cost.resources import LUTRAM_MAX_DEPTH
from qnn_mlir.dialects import dataflow, hls

KERNEL_ATTR = "hls.kernel"
"""Attribute of the host declaration naming the kernel that implements it."""


def layer_prefixes(layers: list[dataflow.LayerOp]) -> list[str]:
    """The C++ name prefix of each layer: its `name` as an identifier, else kind and index
    (mvau0, dwc1, ...)."""
    taken = {dataflow.cxx_prefix(op.layer_name.data) for op in layers
             if op.layer_name is not None}
    counters: dict[str, int] = {}
    prefixes = []
    for op in layers:
        if op.layer_name is not None:
            prefixes.append(dataflow.cxx_prefix(op.layer_name.data))
            continue
        kind = op.KIND
        while (prefix := f"{kind}{counters.get(kind, 0)}") in taken:
            counters[kind] = counters.get(kind, 0) + 1
        counters[kind] = counters.get(kind, 0) + 1
        taken.add(prefix)
        prefixes.append(prefix)
    return prefixes


def _port_type(stream: Attribute) -> hls.StreamType:
    assert isinstance(stream, dataflow.StreamType)
    return hls.StreamType(8 * word_bytes(stream.word_bits))


def _check_single_use(accelerator: dataflow.AcceleratorOp, value: SSAValue, what: str) -> None:
    uses = value.uses.get_length()
    if uses != 1:
        raise DiagnosticException(
            f"convert-dataflow-to-hls: in accelerator @{accelerator.sym_name.data}, {what} has "
            f"{uses} consumers; an HLS stream has exactly one (fan-out needs a "
            "duplicate_streams layer, not supported yet)")


def _ports(accelerator: dataflow.AcceleratorOp) -> tuple[Block, dict[SSAValue, SSAValue]]:
    """The kernel's entry block (ports in0.., out0..) and the map from boundary streams to it."""
    body = accelerator.body.block
    yield_op = body.last_op
    assert isinstance(yield_op, dataflow.YieldOp)
    boundary = [*body.args, *yield_op.values]
    block = Block(arg_types=[_port_type(value.type) for value in boundary])
    for index, arg in enumerate(block.args):
        inputs = len(body.args)
        arg.name_hint = f"in{index}" if index < inputs else f"out{index - inputs}"
    mapping: dict[SSAValue, SSAValue] = {}
    for index, arg in enumerate(body.args):
        _check_single_use(accelerator, arg, f"input stream {index}")
        mapping[arg] = block.args[index]
    for index, value in enumerate(yield_op.values):
        if value in mapping or not isinstance(value.owner, Operation):
            raise DiagnosticException(
                f"convert-dataflow-to-hls: accelerator @{accelerator.sym_name.data} yields "
                f"stream {index} without a layer producing it; every output port needs its "
                "own producer")
        mapping[value] = block.args[len(body.args) + index]
    return block, mapping


def _connect_view(accelerator: dataflow.AcceleratorOp, op: dataflow.LayerOp,
                  mapping: dict[SSAValue, SSAValue]) -> None:
    """A stream view has no hardware: its reader reads the view's input stream."""
    (source,), (output,) = op.in_streams, op.out_streams
    if output in mapping:
        raise DiagnosticException(
            f"convert-dataflow-to-hls: accelerator @{accelerator.sym_name.data} ends with "
            f"the view '{op.name}': an output port needs a layer producing it")
    _check_single_use(accelerator, output, f"the output of '{op.name}'")
    mapping[output] = mapping[source]


def _lower(op: dataflow.LayerOp, prefix: str, accelerator: str) -> dataflow.HLSCall:
    """The layer's own lowering; a layer kind without one is a diagnostic."""
    try:
        return op.lower_to_hls(prefix)
    except NotImplementedError as error:
        raise DiagnosticException(
            f"convert-dataflow-to-hls: accelerator @{accelerator}: layer '{prefix}' "
            f"('{op.name}') has no HLS lowering: {error}") from error


def build_kernel(accelerator: dataflow.AcceleratorOp, stream_depth: int
                 ) -> tuple[hls.KernelOp, list[hls.RomOp]]:
    """The hls.kernel of an accelerator and the ROMs its calls read."""
    name = accelerator.sym_name.data
    try:
        dataflow.check_stream_widths(accelerator)
    except VerifyException as error:
        raise DiagnosticException(
            f"convert-dataflow-to-hls: accelerator @{name} is not ready for hardware: "
            f"{error}") from error
    layers = accelerator.layers()
    for op in accelerator.body.block.ops:
        if not isinstance(op, dataflow.LayerOp | dataflow.YieldOp):
            raise DiagnosticException(
                f"convert-dataflow-to-hls: accelerator @{name}: '{op.name}' is not a "
                "streaming layer (an op on the dataflow layer interface)")
    block, mapping = _ports(accelerator)
    streams: list[hls.StreamOp] = []
    calls: list[hls.CallOp] = []
    roms: list[hls.RomOp] = []
    headers: list[str] = []
    for index, (op, prefix) in enumerate(zip(layers, layer_prefixes(layers), strict=True)):
        if op.STREAM_VIEW:
            _connect_view(accelerator, op, mapping)
            continue
        for number, output in enumerate(op.out_streams):
            suffix = "_out" if len(op.out_streams) == 1 else f"_out{number}"
            _check_single_use(accelerator, output, f"the output of {prefix}")
            if output in mapping:
                continue
            stream = hls.StreamOp(properties={"depth": IntegerAttr(stream_depth, i64)},
                                  result_types=[hls.StreamType(output.type.word_bits)])  # type: ignore
            stream.stream.name_hint = f"{prefix}{suffix}"
            streams.append(stream)
            mapping[output] = stream.stream
        layer = _lower(op, prefix, name)
        if op.HLS_HEADER and op.HLS_HEADER not in headers:
            headers.append(op.HLS_HEADER)
        roms += layer.roms  # type: ignore[arg-type]
        calls.append(hls.CallOp(
            layer.callee, layer.template_args, [mapping[v] for v in op.in_streams],
            [mapping[v] for v in op.out_streams],
            [rom.sym_name.data for rom in layer.roms],  # type: ignore[attr-defined]
            f"layer {index} ({prefix}): {op.name} {layer.comment}"))

    # No INTERFACE pragmas: the kernel is a sub-function of the synthesis top `<kernel>_axi`
    # (top.cpp), which owns the AXI ports; Vitis takes interfaces from the top only.
    pragmas = ["DATAFLOW"]
    for rom in roms:
        memory = "lutram" if rom.depth.value.data <= LUTRAM_MAX_DEPTH else "bram"
        pragmas.append(f"BIND_STORAGE variable={rom.sym_name.data} type=rom_1p impl={memory}")
        # params.h holds a ROM as DEPTH rows of native limbs; one wide word per row.
        pragmas.append(f"ARRAY_RESHAPE variable={rom.sym_name.data} complete dim=2")
    block.add_ops([hls.PragmaOp(properties={"text": StringAttr(text)}) for text in pragmas])
    block.add_ops([*streams, *calls, hls.ReturnOp()])
    kernel = hls.KernelOp(name, len(accelerator.inputs), Region(block))
    boundary = [*accelerator.body.block.args, *accelerator.body.block.last_op.operands]
    kernel.attributes["frame_words"] = DenseArrayBase.from_list(
        i64, [value.type.words_per_frame for value in boundary])  # type: ignore[attr-defined]
    kernel.attributes[HEADERS_ATTR] = ArrayAttr([StringAttr(h) for h in sorted(headers)])
    return kernel, roms


@dataclass(frozen=True)
class ConvertDataflowToHLS(ModulePass):
    """Rewrite each dataflow.accelerator into an hls.kernel and a host call of it.

    Host side: the accelerator op becomes `func.call @acc(...)` with the same
    tensor operands and results, and the module gets a declaration
    `func.func private @acc(tensors) -> tensors attributes {hls.kernel =
    @acc_hls::@acc}`. The host part stays ordinary tensor IR: the interpreter
    runs it and treats `@acc` as an external function, which the C simulation
    implements (`qnn_mlir.backends.hls.csim.run_module_csim`).

    Device side: a nested `builtin.module @acc_hls` (as `gpu.module` holds
    device code in MLIR) holds the packed `hls.rom`s and `hls.kernel @acc`.
    Kernel ports are AXI streams of words padded to whole bytes (what the DMA
    moves); `frame_words` on the kernel gives each port's words per frame,
    inputs first. Internal streams carry unpadded words with depth
    `stream-depth` (default 2, Vitis' default FIFO depth, until a sized
    `dataflow.fifo` exists). Each layer becomes the `hls.call` its
    `lower_to_hls` gives (for the project's layers: a template of its C++
    library with datatype policies, the accumulator type of the exact range
    and the ROMs); the kernel's `headers` attribute lists the headers those
    templates live in. Layer `name`s name the C++ objects (`features.2` ->
    `features_2_weights`), unnamed layers are numbered per kind (`mvau0`).
    ROMs of depth <= 128 are bound to LUTRAM, deeper ones to BRAM.

    ROM layouts: MVAU weights are WMEM = MW*MH/(PE*SIMD) words of PE*SIMD*WBITS
    bits, word nf*SF + sf holding W[sf*SIMD + s][nf*PE + p] as element
    p*SIMD + s (output channel r on PE r % PE). Thresholds are C words of
    N*TBITS bits, threshold i of channel c being element i of word c (a shared
    1 x N row is repeated per channel); the layer partitions them cyclically by
    PE, so a word never grows with the folding. Element k of a word occupies
    bits [k*b, (k+1)*b).

    Requires every layer to read the fold its input stream carries
    (`dataflow-insert-dwc`); the accelerator name and `<name>_hls` must be
    free module-level symbols.
    """

    name = "convert-dataflow-to-hls"

    stream_depth: int = 2

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.stream_depth < 1:
            raise DiagnosticException(
                f"convert-dataflow-to-hls: stream-depth must be >= 1, got {self.stream_depth}")
        accelerators = [a for a in op.walk() if isinstance(a, dataflow.AcceleratorOp)]
        for accelerator in accelerators:
            self._convert(op, accelerator)

    def _convert(self, module: ModuleOp, accelerator: dataflow.AcceleratorOp) -> None:
        name = accelerator.sym_name.data
        device_name = f"{name}_hls"
        for symbol in (name, device_name):
            if SymbolTable.lookup_symbol(module, symbol) is not None:
                raise DiagnosticException(
                    f"convert-dataflow-to-hls: accelerator @{name} needs the module-level "
                    f"symbol @{symbol}, which is already taken; rename the accelerator")
        kernel, roms = build_kernel(accelerator, self.stream_depth)
        device = ModuleOp([*roms, kernel], sym_name=StringAttr(device_name))
        declaration = func.FuncOp.external(
            name, [v.type for v in accelerator.inputs], [r.type for r in accelerator.outputs])
        declaration.attributes[KERNEL_ATTR] = SymbolRefAttr(device_name, [name])
        call = func.CallOp(name, list(accelerator.inputs),
                           [r.type for r in accelerator.outputs])
        for old, new in zip(accelerator.outputs, call.results, strict=True):
            new.name_hint = old.name_hint
        Rewriter.replace_op(accelerator, call)
        module.body.block.add_ops([declaration, device])
