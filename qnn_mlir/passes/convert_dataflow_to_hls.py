"""convert-dataflow-to-hls: turn each `dataflow.accelerator` into an `hls.kernel` the host calls.

Every layout decision of the HLS back end is made here, so that `qnn-translate
--to-hls` only prints (docs/dialects/hls.md). The class docstring says what
the result looks like; the C++ side of each decision is documented in the
headers of qnn_mlir/backends/hls/include/qnn/, and the bit packing in
qnn_mlir/backends/hls/packing.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from math import prod

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    Float32Type,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    Signedness,
    StringAttr,
    SymbolRefAttr,
    f32,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter
from xdsl.traits import SymbolTable
from xdsl.utils.exceptions import DiagnosticException, VerifyException

from qnn_mlir.backends.hls.packing import encode, pack_words, word_bytes
from qnn_mlir.dialects import dataflow, hls
from qnn_mlir.dialects.datatypes import BipolarType, element_bits
from qnn_mlir.ir_constants import dense_to_numpy

LUTRAM_MAX_DEPTH = 128
"""ROMs up to this depth go to LUTRAM (FINN's rule of thumb), deeper ones to BRAM."""

KERNEL_ATTR = "hls.kernel"
"""Attribute of the host declaration naming the kernel that implements it."""


@dataclass
class LayerCall:
    """What one dataflow layer becomes: a template call and the ROMs it reads."""

    callee: str
    template_args: list[int | str]
    roms: list[hls.RomOp] = field(default_factory=list)
    comment: str = ""


# ---------------------------------------------------------------------------
# Datatype choices
# ---------------------------------------------------------------------------


def _signed_bits(low: int, high: int) -> int:
    return max((-low - 1).bit_length() if low < 0 else 0, high.bit_length()) + 1


def _integer_type_for(low: int, high: int) -> IntegerType:
    """The narrowest integer type holding [low, high] (unsigned when low >= 0)."""
    if low >= 0:
        return IntegerType(max(high.bit_length(), 1), Signedness.UNSIGNED)
    return IntegerType(_signed_bits(low, high), Signedness.SIGNED)


def datatype_policy(element_type: Attribute) -> str:
    """The library's datatype policy class (qnn/types.h) of an element type."""
    if isinstance(element_type, BipolarType):
        return "qnn::Bipolar"
    if isinstance(element_type, Float32Type):
        return "qnn::Float32"
    if isinstance(element_type, IntegerType):
        width = element_type.width.data
        if element_type.signedness.data == Signedness.UNSIGNED:
            return f"qnn::UInt<{width}>"
        return f"qnn::SInt<{width}>"
    raise DiagnosticException(f"no HLS datatype for stream element type {element_type}")


def accumulator_type(low: int, high: int) -> str:
    """The C++ accumulator type holding the exact range [low, high]."""
    if low >= 0:
        return f"ap_uint<{max(high.bit_length(), 1)}>"
    return f"ap_int<{_signed_bits(low, high)}>"


# ---------------------------------------------------------------------------
# ROM packing
# ---------------------------------------------------------------------------


def weight_rom(name: str, op: dataflow.MVAUOp) -> hls.RomOp:
    """The MVAU weight memory: word nf*SF + sf, lane p, element s = W[sf*SIMD+s, nf*PE+p]."""
    mw, mh, simd, pe = (op.MW.value.data, op.MH.value.data, op.SIMD.value.data,
                        op.PE.value.data)
    raw_weights = dense_to_numpy(op.weights)
    if op.bipolar_weights:
        raw, bits = (raw_weights != 0).astype(np.uint8), 1
    else:
        w_type = op.weights.get_element_type()
        raw, bits = encode(raw_weights, w_type), element_bits(w_type)
    tiles = raw.reshape(mw // simd, simd, mh // pe, pe).transpose(2, 0, 3, 1)
    words = pack_words(tiles.reshape(-1, pe * simd), bits)
    return hls.RomOp.from_words(name, pe * simd * bits, words)


def threshold_rom(name: str, thresholds: DenseIntOrFPElementsAttr, channels: int, pe: int,
                  float_input: bool) -> tuple[hls.RomOp, str, int]:
    """The threshold memory, its datatype policy and the thresholds per channel N."""
    values = dense_to_numpy(thresholds)
    steps = values.shape[1]
    values = np.broadcast_to(values, (channels, steps))
    if float_input:
        if not np.array_equal(values.astype(np.float32), values):
            raise DiagnosticException(f"thresholds of {name} are not exact in f32")
        element_type: Attribute = f32
    elif np.issubdtype(values.dtype, np.floating):
        raise DiagnosticException(
            f"{name}: float thresholds need a float (f32) input stream; thresholds on "
            "integers must be integers (streamline rounds them with ceil)")
    else:
        element_type = _integer_type_for(int(values.min()), int(values.max()))
    # One word per channel: N thresholds wide, whatever PE (qnn/activation.h).
    raw = encode(values, element_type).reshape(channels, steps)
    bits = element_bits(element_type)
    rom = hls.RomOp.from_words(name, steps * bits, pack_words(raw, bits))
    return rom, datatype_policy(element_type), steps


# ---------------------------------------------------------------------------
# One conversion per layer op
# ---------------------------------------------------------------------------


def _threshold_activation(op: dataflow.MVAUOp | dataflow.ThresholdingOp, prefix: str,
                          channels: int, pe: int) -> tuple[hls.RomOp, list[int | str], str]:
    float_input = isinstance(op.in_type.element_type, Float32Type)
    rom, policy, steps = threshold_rom(f"{prefix}_thresholds", op.thresholds, channels, pe,
                                       float_input)
    out_bits = element_bits(op.out_type.element_type)
    summary = f"{steps} threshold(s) per channel, out_bias {op.out_bias.value.data}"
    return rom, [steps, policy, out_bits, op.out_bias.value.data], summary


def convert_mvau(op: dataflow.MVAUOp, prefix: str) -> LayerCall:
    """`qnn::mvau` (thresholds) or `qnn::mvau_noact` (accumulator output)."""
    mw, mh, simd, pe = (op.MW.value.data, op.MH.value.data, op.SIMD.value.data,
                        op.PE.value.data)
    vectors = op.vectors
    weights = weight_rom(f"{prefix}_weights", op)
    if op.xnor is not None:
        product = "qnn::Xnor"
    else:
        w_policy = "qnn::Bipolar" if op.bipolar_weights else datatype_policy(
            op.weights.get_element_type())
        product = f"qnn::Multiply<{datatype_policy(op.in_type.element_type)}, {w_policy}>"
    acc = accumulator_type(*op.accumulator_range())
    args: list[int | str] = [mw, mh, simd, pe, vectors, product, acc]
    cycles = (mh // pe) * (mw // simd) * vectors
    what = f"MW {mw} MH {mh} SIMD {simd} PE {pe}{', xnor' if op.xnor is not None else ''}"
    if op.thresholds is None:
        args.append(element_bits(op.out_type.element_type))
        return LayerCall("qnn::mvau_noact", args, [weights],
                         f"{what}, accumulator output; {cycles} cycle(s) per frame")
    rom, activation, summary = _threshold_activation(op, prefix, mh, pe)
    return LayerCall("qnn::mvau", args + activation, [weights, rom],
                     f"{what}, {summary}; {cycles} cycle(s) per frame")


def convert_thresholding(op: dataflow.ThresholdingOp, prefix: str) -> LayerCall:
    """`qnn::thresholding`: the activation alone, PE channels per word."""
    channels, pe = op.in_type.get_shape()[-1], op.PE.value.data
    vectors = op.vectors
    rom, activation, summary = _threshold_activation(op, prefix, channels, pe)
    args: list[int | str] = [channels, pe, vectors, datatype_policy(op.in_type.element_type)]
    return LayerCall("qnn::thresholding", args + activation, [rom],
                     f"C {channels} PE {pe}, {summary}; {vectors * channels // pe} cycle(s) "
                     "per frame")


def convert_label_select(op: dataflow.LabelSelectOp, prefix: str) -> LayerCall:
    """`qnn::label_select`: top-K indices, one per output word."""
    labels, pe, k = op.in_type.get_shape()[-1], op.PE.value.data, op.K.value.data
    args: list[int | str] = [labels, pe, k, op.vectors,
                             datatype_policy(op.in_type.element_type),
                             element_bits(op.out_type.element_type)]
    return LayerCall("qnn::label_select", args, [],
                     f"Labels {labels} PE {pe} K {k}; {labels // pe} cycle(s) per frame")


def convert_dwc(op: dataflow.DWCOp, prefix: str) -> LayerCall:
    """`qnn::dwc`: the same elements re-packed from the input fold to the output fold."""
    elements = prod(op.in_type.get_shape())
    in_fold, out_fold = op.in_type.fold.data, op.out_type.fold.data
    args: list[int | str] = [in_fold, out_fold, element_bits(op.in_type.element_type), elements]
    return LayerCall("qnn::dwc", args, [], f"fold {in_fold} -> {out_fold}; "
                     f"{elements // min(in_fold, out_fold)} cycle(s) per frame")


_CONVERTERS: dict[type[Operation], tuple[str, Callable[..., LayerCall]]] = {
    dataflow.MVAUOp: ("mvau", convert_mvau),
    dataflow.ThresholdingOp: ("thresholding", convert_thresholding),
    dataflow.LabelSelectOp: ("label_select", convert_label_select),
    dataflow.DWCOp: ("dwc", convert_dwc),
}
"""Layer op class -> (kind, conversion); the kind names unnamed layers (mvau0, mvau1, ...)."""


# ---------------------------------------------------------------------------
# The kernel
# ---------------------------------------------------------------------------


def layer_prefixes(layers: list[dataflow.StreamLayerOp]) -> list[str]:
    """The C++ name prefix of each layer: its `name`, else kind and index (mvau0, dwc1, ...)."""
    taken = {op.layer_name.data for op in layers if op.layer_name is not None}
    counters: dict[str, int] = {}
    prefixes = []
    for op in layers:
        if op.layer_name is not None:
            prefixes.append(op.layer_name.data)
            continue
        kind = _CONVERTERS[type(op)][0]
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
        if type(op) not in _CONVERTERS and not isinstance(op, dataflow.YieldOp):
            raise DiagnosticException(
                f"convert-dataflow-to-hls: accelerator @{name}: '{op.name}' has no HLS layer "
                "template yet (supported: "
                + ", ".join(sorted(c.name for c in _CONVERTERS)) + ")")
    block, mapping = _ports(accelerator)
    streams: list[hls.StreamOp] = []
    calls: list[hls.CallOp] = []
    roms: list[hls.RomOp] = []
    for index, (op, prefix) in enumerate(zip(layers, layer_prefixes(layers), strict=True)):
        _check_single_use(accelerator, op.output, f"the output of {prefix}")
        if op.output not in mapping:
            stream = hls.StreamOp(properties={"depth": IntegerAttr(stream_depth, i64)},
                                  result_types=[hls.StreamType(op.out_type.word_bits)])
            stream.stream.name_hint = f"{prefix}_out"
            streams.append(stream)
            mapping[op.output] = stream.stream
        layer = _CONVERTERS[type(op)][1](op, prefix)
        roms += layer.roms
        calls.append(hls.CallOp(
            layer.callee, layer.template_args, [mapping[op.input]], [mapping[op.output]],
            [rom.sym_name.data for rom in layer.roms],
            f"layer {index} ({prefix}): {op.name} {layer.comment}"))

    pragmas = [f"INTERFACE axis port={arg.name_hint}" for arg in block.args]
    pragmas += ["INTERFACE ap_ctrl_none port=return", "DATAFLOW"]
    for rom in roms:
        memory = "lutram" if rom.depth.value.data <= LUTRAM_MAX_DEPTH else "bram"
        pragmas.append(f"BIND_STORAGE variable={rom.sym_name.data} type=rom_1p impl={memory}")
    block.add_ops([hls.PragmaOp(properties={"text": StringAttr(text)}) for text in pragmas])
    block.add_ops([*streams, *calls, hls.ReturnOp()])
    kernel = hls.KernelOp(name, len(accelerator.inputs), Region(block))
    boundary = [*accelerator.body.block.args, *accelerator.body.block.last_op.operands]
    kernel.attributes["frame_words"] = DenseArrayBase.from_list(
        i64, [value.type.words_per_frame for value in boundary])  # type: ignore[attr-defined]
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
    `dataflow.fifo` exists). Each layer becomes an `hls.call` of the project's
    C++ library with its datatype policies, the accumulator type of its exact
    range and its ROMs; layer `name`s name the C++ objects (`fc0_weights`),
    unnamed layers are numbered per kind (`mvau0`). ROMs of depth <= 128 are
    bound to LUTRAM, deeper ones to BRAM.

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
