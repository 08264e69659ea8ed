"""The `hls` dialect: the Vitis HLS C++ of an accelerator, one op per printed construct.

See docs/dialects/hls.md. `convert-dataflow-to-hls` makes every decision
(stream depths, word widths, ROM packing, template arguments, pragmas); the
emitter (`qnn-translate --to-hls`) then only prints. A module holds the packed
ROMs (`hls.rom`, printed in the params header) and one `hls.kernel` (the top
function) whose body declares `hls.stream`s and calls the project's layer
templates with `hls.call`.

xDSL ships a dialect named `hls` too: this one is registered only by the
project's tools (qnn_mlir.dialects.get_all_dialects), never as an xDSL plugin.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import (
    I64,
    ArrayAttr,
    BytesAttr,
    DenseIntOrFPElementsAttr,
    IntAttr,
    IntegerAttr,
    IntegerType,
    Signedness,
    StringAttr,
    SymbolNameConstraint,
    SymbolRefAttr,
    i64,
)
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute, SSAValue, TypeAttribute
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_attr_definition,
    irdl_op_definition,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import AttrParser, Parser
from xdsl.printer import Printer
from xdsl.traits import (
    HasParent,
    IsolatedFromAbove,
    IsTerminator,
    SymbolOpInterface,
    SymbolTable,
)
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.backends.hls.ir_strings import (
    HEADERS_ATTR,
    callee_problem,
    diagnostic_quote,
    known_headers,
    mlir_symbol,
    pragma_text_problem,
    template_argument_problem,
)
from qnn_mlir.ir_constants import dense_attr, dense_to_numpy

MAX_WORD_BITS = 32768
"""Widest ap_uint word: ap_int's hard limit (1 << 15); the emitter raises AP_INT_MAX_W
above its default of 1024 when a word needs it."""

LIMB_BITS = 64
"""ROM words are stored as little-endian 64-bit limbs."""

ROM_LIMB_TYPE = IntegerType(64, Signedness.UNSIGNED)

PRAGMA_DIRECTIVES = frozenset({
    "ALLOCATION", "ARRAY_PARTITION", "ARRAY_RESHAPE", "BIND_OP", "BIND_STORAGE",
    "DATAFLOW", "DEPENDENCE", "INLINE", "INTERFACE", "LATENCY", "LOOP_FLATTEN",
    "LOOP_MERGE", "LOOP_TRIPCOUNT", "PIPELINE", "RESOURCE", "STABLE", "STREAM", "UNROLL",
})
"""Vitis HLS pragma directives; HLS silently ignores a misspelt one, the verifier does not."""

def _check_width(op_or_type: str, width: int) -> None:
    if not 1 <= width <= MAX_WORD_BITS:
        raise VerifyException(
            f"{op_or_type} word width must be in [1, {MAX_WORD_BITS}] bits (ap_uint's limit), "
            f"got {width}; fold the layer further (a smaller PE or SIMD) to narrow its words"
        )


# ---------------------------------------------------------------------------
# Types
# ---------------------------------------------------------------------------


@irdl_attr_definition
class StreamType(ParametrizedAttribute, TypeAttribute):
    """`!hls.stream<N>`: an `hls::stream<ap_uint<N>>`, one N-bit word per transfer."""

    name = "hls.stream"

    width: IntAttr

    def __init__(self, width: int):
        super().__init__(IntAttr(width))

    def verify(self) -> None:
        _check_width("'!hls.stream'", self.width.data)

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        start = parser.pos
        with parser.in_angle_brackets():
            width = parser.parse_integer(allow_boolean=False)
        if not 1 <= width <= MAX_WORD_BITS:
            parser.raise_error(
                f"'!hls.stream' word width must be in [1, {MAX_WORD_BITS}] bits, got {width}",
                start, parser.pos,
            )
        return (IntAttr(width),)

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<{self.width.data}>")


# ---------------------------------------------------------------------------
# The top function
# ---------------------------------------------------------------------------


def _value_name(value: SSAValue) -> str:
    return f"%{value.name_hint}" if value.name_hint else f"{value.type} value"


@irdl_op_definition
class KernelOp(IRDLOperation):
    """The top function: `hls.kernel @tfc(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>)`.

    The block arguments are the AXI-stream ports, the first `num_inputs` of
    them inputs and the rest outputs; their SSA names become the C++ port
    names. The body declares streams, calls layers, states pragmas and ends
    with `hls.return`. Every stream has exactly one writer and one reader, as
    a `#pragma HLS DATAFLOW` region requires.
    """

    name = "hls.kernel"
    sym_name = prop_def(SymbolNameConstraint())
    num_inputs = prop_def(IntegerAttr[I64])
    body = region_def("single_block")
    traits = traits_def(SymbolOpInterface(), IsolatedFromAbove())

    def __init__(self, sym_name: str, num_inputs: int, body):
        super().__init__(
            properties={"sym_name": StringAttr(sym_name),
                        "num_inputs": IntegerAttr(num_inputs, i64)},
            regions=[body],
        )

    @property
    def input_ports(self) -> tuple[SSAValue, ...]:
        """The input AXI-stream ports."""
        return tuple(self.body.block.args[: self.num_inputs.value.data])

    @property
    def output_ports(self) -> tuple[SSAValue, ...]:
        """The output AXI-stream ports."""
        return tuple(self.body.block.args[self.num_inputs.value.data:])

    @classmethod
    def parse(cls, parser: Parser) -> KernelOp:
        sym_name = parser.parse_symbol_name()
        inputs = parser.parse_comma_separated_list(parser.Delimiter.PAREN, parser.parse_argument)
        parser.parse_punctuation("->")
        outputs = parser.parse_comma_separated_list(parser.Delimiter.PAREN, parser.parse_argument)
        attributes = parser.parse_optional_attr_dict_with_keyword()
        body = parser.parse_region((*inputs, *outputs))
        op = cls(sym_name.data, len(inputs), body)
        if attributes is not None:
            op.attributes.update(attributes.data)
        return op

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_symbol_name(self.sym_name.data)
        with printer.in_parens():
            printer.print_list(self.input_ports, printer.print_block_argument)
        printer.print_string(" -> ")
        with printer.in_parens():
            printer.print_list(self.output_ports, printer.print_block_argument)
        printer.print_op_attributes(self.attributes, print_keyword=True)
        printer.print_string(" ")
        printer.print_region(self.body, print_entry_block_args=False)

    def verify_(self) -> None:
        where = f"'{self.name}' {mlir_symbol(self.sym_name.data)}"
        args = self.body.block.args
        num_inputs = self.num_inputs.value.data
        if not 1 <= num_inputs < len(args):
            raise VerifyException(
                f"{where} needs at least one input and one output port, got "
                f"{min(max(num_inputs, 0), len(args))} and {len(args) - num_inputs}"
            )
        for arg in args:
            if not isinstance(arg.type, StreamType):
                raise VerifyException(
                    f"{where} port {_value_name(arg)} must be an !hls.stream, got {arg.type}"
                )
        if not isinstance(self.body.block.last_op, ReturnOp):
            raise VerifyException(f"{where} body must end with 'hls.return'")
        self._verify_headers(where)
        self._verify_endpoints()

    def _verify_headers(self, where: str) -> None:
        # Printed as `#include "..."` and copied into the project: only known headers.
        headers = self.attributes.get(HEADERS_ATTR, ArrayAttr([]))
        names = [h.data for h in headers.data if isinstance(h, StringAttr)] if isinstance(
            headers, ArrayAttr) else []
        if not isinstance(headers, ArrayAttr) or len(names) != len(headers.data):
            raise VerifyException(f"{where} {HEADERS_ATTR} must be an array of strings "
                                  f"(include paths), got {headers}")
        known = known_headers()
        unknown = [name for name in names if name not in known]
        if unknown:
            raise VerifyException(
                f"{where} header {diagnostic_quote(unknown[0])} is not a header of the "
                "project's layer library or of a layer op: expected one of "
                f"{', '.join(sorted(known))}")

    def _verify_endpoints(self) -> None:
        writers: Counter[SSAValue] = Counter()
        readers: Counter[SSAValue] = Counter()
        for op in self.body.block.ops:
            if isinstance(op, CallOp):
                readers.update(op.inputs)
                writers.update(op.outputs)
        expected = [(arg, "input port", 0, 1) for arg in self.input_ports]
        expected += [(arg, "output port", 1, 0) for arg in self.output_ports]
        expected += [(op.stream, "stream", 1, 1) for op in self.body.block.ops
                     if isinstance(op, StreamOp)]
        for value, kind, want_writers, want_readers in expected:
            if (writers[value], readers[value]) != (want_writers, want_readers):
                raise VerifyException(
                    f"'{self.name}' {mlir_symbol(self.sym_name.data)} {kind} "
                    f"{_value_name(value)} has {writers[value]} writer(s) and "
                    f"{readers[value]} reader(s) among the "
                    f"hls.call ops, expected {want_writers} and {want_readers}: a stream in a "
                    "DATAFLOW region has one producer and one consumer"
                )


@irdl_op_definition
class ReturnOp(IRDLOperation):
    """Ends an `hls.kernel` (the top function returns void)."""

    name = "hls.return"
    traits = traits_def(IsTerminator(), HasParent(KernelOp))
    assembly_format = "attr-dict"


# ---------------------------------------------------------------------------
# Kernel body
# ---------------------------------------------------------------------------


@irdl_op_definition
class StreamOp(IRDLOperation):
    """`%s = hls.stream depth 2 : !hls.stream<64>`: an hls::stream between two layers.

    Printed as the declaration plus `#pragma HLS STREAM variable=s depth=2`;
    the SSA name becomes the C++ variable name.
    """

    name = "hls.stream"
    stream = result_def(StreamType)
    depth = prop_def(IntegerAttr[I64])
    traits = traits_def(HasParent(KernelOp))
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "`depth` $depth attr-dict `:` type($stream)"

    def verify_(self) -> None:
        depth = self.depth.value.data
        if depth < 1:
            raise VerifyException(f"'{self.name}' depth must be >= 1, got {depth}")


def _print_template_arg(printer: Printer, arg: Attribute) -> None:
    if isinstance(arg, IntegerAttr):
        printer.print_string(str(arg.value.data))
    else:
        printer.print_attribute(arg)


@irdl_op_definition
class CallOp(IRDLOperation):
    """A call of a layer template of the project's HLS library.

    `hls.call "mvau"<784, 64, 49, 16>(%in : !hls.stream<49>) -> (%out : !hls.stream<16>)
    roms [@w0, @t0]` prints `mvau<784, 64, 49, 16>(in, out, w0, t0);`: template
    arguments in order (integers or C++ text), then the input streams, the
    output streams and the ROMs. `comment` is printed above the call (the
    dataflow op it came from), escaped unless plain; the callee and the text
    arguments are C++, so the verifier restricts them (backends/hls/ir_strings.py).
    """

    name = "hls.call"
    callee = prop_def(StringAttr)
    template_args = prop_def(ArrayAttr)
    inputs = var_operand_def(StreamType)
    outputs = var_operand_def(StreamType)
    roms = opt_prop_def(ArrayAttr[SymbolRefAttr])
    comment = opt_prop_def(StringAttr)
    traits = traits_def(HasParent(KernelOp))
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(self, callee: str, template_args: Sequence[int | str],
                 inputs: Sequence[SSAValue], outputs: Sequence[SSAValue],
                 roms: Sequence[str] = (), comment: str | None = None):
        properties: dict[str, Attribute] = {
            "callee": StringAttr(callee),
            "template_args": ArrayAttr([
                IntegerAttr(a, i64) if isinstance(a, int) else StringAttr(a)
                for a in template_args
            ]),
        }
        if roms:
            properties["roms"] = ArrayAttr([SymbolRefAttr(r) for r in roms])
        if comment is not None:
            properties["comment"] = StringAttr(comment)
        super().__init__(operands=[inputs, outputs], properties=properties)

    @classmethod
    def parse(cls, parser: Parser) -> CallOp:
        callee = parser.parse_str_literal(" for the callee name")
        template_args: list[int | str] = []
        if parser.parse_optional_punctuation("<") is not None:
            while True:
                value = parser.parse_optional_integer(allow_boolean=False)
                template_args.append(value if value is not None else parser.parse_str_literal())
                if parser.parse_optional_punctuation(">") is not None:
                    break
                parser.parse_punctuation(",")

        def typed_operand() -> SSAValue:
            unresolved = parser.parse_unresolved_operand()
            parser.parse_punctuation(":")
            return parser.resolve_operand(unresolved, parser.parse_type())

        inputs = parser.parse_comma_separated_list(parser.Delimiter.PAREN, typed_operand)
        parser.parse_punctuation("->")
        outputs = parser.parse_comma_separated_list(parser.Delimiter.PAREN, typed_operand)
        roms: list[str] = []
        if parser.parse_optional_keyword("roms") is not None:
            roms = [name.data for name in parser.parse_comma_separated_list(
                parser.Delimiter.SQUARE, parser.parse_symbol_name)]
        attributes = parser.parse_optional_attr_dict()
        comment = attributes.pop("comment", None)
        if isinstance(comment, BytesAttr):  # xDSL reads a string with \XX escapes as bytes
            try:
                comment = StringAttr(comment.data.decode("utf-8"))
            except UnicodeDecodeError:
                parser.raise_error("'hls.call' comment must be UTF-8 text")
        if comment is not None and not isinstance(comment, StringAttr):
            parser.raise_error(f"'hls.call' comment must be a string, got {comment}")
        op = cls(callee, template_args, inputs, outputs, roms,
                 comment.data if comment is not None else None)
        op.attributes.update(attributes)
        return op

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_string_literal(self.callee.data)
        if self.template_args.data:
            with printer.in_angle_brackets():
                printer.print_list(self.template_args.data,
                                   lambda a: _print_template_arg(printer, a))

        def typed_operand(value: SSAValue) -> None:
            printer.print_operand(value)
            printer.print_string(" : ")
            printer.print_attribute(value.type)

        with printer.in_parens():
            printer.print_list(self.inputs, typed_operand)
        printer.print_string(" -> ")
        with printer.in_parens():
            printer.print_list(self.outputs, typed_operand)
        if self.roms is not None:
            printer.print_string(" roms ")
            printer.print_attribute(self.roms)
        extra = dict(self.attributes)
        if self.comment is not None:
            extra = {"comment": self.comment, **extra}
        printer.print_op_attributes(extra)

    def verify_(self) -> None:
        callee = self.callee.data
        problem = callee_problem(callee)
        if problem is not None:
            raise VerifyException(
                f"'{self.name}' callee {diagnostic_quote(callee)} is not a C++ name ({problem})"
            )
        for index, arg in enumerate(self.template_args.data):
            if not isinstance(arg, IntegerAttr | StringAttr) or arg == StringAttr(""):
                raise VerifyException(
                    f"'{self.name}' {callee}: template argument {index} must be an integer "
                    f"or a non-empty string, got {arg}"
                )
            problem = template_argument_problem(arg.data) if isinstance(arg, StringAttr) else None
            if problem is not None:
                raise VerifyException(
                    f"'{self.name}' {callee}: template argument {index} must be one C++ type "
                    f"or constant ({problem}), got {diagnostic_quote(arg.data)}"
                )
        if not self.inputs or not self.outputs:
            raise VerifyException(
                f"'{self.name}' {callee}: a layer needs at least one input and one output "
                f"stream, got {len(self.inputs)} and {len(self.outputs)}"
            )
        if set(self.inputs) & set(self.outputs):
            raise VerifyException(
                f"'{self.name}' {callee}: a stream cannot be both an input and an output"
            )
        for ref in self.roms.data if self.roms is not None else ():
            try:
                target = SymbolTable.lookup_symbol(self, ref)
            except ValueError:  # detached: nothing to look up yet
                return
            if not isinstance(target, RomOp):
                raise VerifyException(
                    f"'{self.name}' {callee}: {ref} does not name an 'hls.rom' next to the "
                    "kernel"
                )


@irdl_op_definition
class PragmaOp(IRDLOperation):
    """`hls.pragma "DATAFLOW"`: printed as `#pragma HLS DATAFLOW` at its place in the body."""

    name = "hls.pragma"
    text = prop_def(StringAttr)
    traits = traits_def(HasParent(KernelOp))
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$text attr-dict"

    def verify_(self) -> None:
        text = self.text.data
        directive = text.split()[0] if text.split() else ""
        if "\n" in text or directive.upper() in ("#PRAGMA", "HLS"):
            raise VerifyException(
                f"'{self.name}' text must be one line without '#pragma HLS' (it is "
                f"printed as a prefix), got {diagnostic_quote(text)}"
            )
        problem = pragma_text_problem(text)
        if problem is not None:
            raise VerifyException(
                f"'{self.name}' text must be {problem} (it is printed as a line of C++), "
                f"got {diagnostic_quote(text)}"
            )
        if directive.upper() not in PRAGMA_DIRECTIVES:
            raise VerifyException(
                f"'{self.name}' unknown HLS pragma '{directive}': expected one of "
                f"{', '.join(sorted(PRAGMA_DIRECTIVES))}"
            )


# ---------------------------------------------------------------------------
# Module level
# ---------------------------------------------------------------------------


def pack_rom_words(words: Sequence[int], width: int) -> DenseIntOrFPElementsAttr:
    """The `words` (non-negative ints < 2**width) as a depth x limbs ui64 dense attribute."""
    limbs = -(-width // LIMB_BITS)
    mask = (1 << LIMB_BITS) - 1
    array = np.array(
        [[(word >> (LIMB_BITS * k)) & mask for k in range(limbs)] for word in words],
        dtype=np.uint64,
    ).reshape(len(words), limbs)
    return dense_attr(array, ROM_LIMB_TYPE)


@irdl_op_definition
class RomOp(IRDLOperation):
    """A packed weight or threshold memory: `depth` words of `width` bits.

    `hls.rom @w0 width 784 depth 64 = dense<...> : tensor<64x13xui64>`: word
    d is row d, stored as little-endian 64-bit limbs (limb k holds bits
    [64k, 64k + 64)). The packing of values into words is decided by the pass
    that builds the ROM; the emitter prints each word as a row of hex limbs.
    """

    name = "hls.rom"
    sym_name = prop_def(SymbolNameConstraint())
    width = prop_def(IntegerAttr[I64])
    depth = prop_def(IntegerAttr[I64])
    words = prop_def(DenseIntOrFPElementsAttr)
    traits = traits_def(SymbolOpInterface())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$sym_name `width` $width `depth` $depth `=` $words attr-dict"

    @classmethod
    def from_words(cls, sym_name: str, width: int, words: Sequence[int]) -> RomOp:
        """A ROM holding `words` (Python ints) of `width` bits."""
        return cls(properties={
            "sym_name": StringAttr(sym_name),
            "width": IntegerAttr(width, i64),
            "depth": IntegerAttr(len(words), i64),
            "words": pack_rom_words(words, width),
        })

    def word_values(self) -> list[int]:
        """The words as Python ints (limbs joined)."""
        limbs = dense_to_numpy(self.words)
        return [sum(int(limb) << (LIMB_BITS * k) for k, limb in enumerate(row)) for row in limbs]

    def verify_(self) -> None:
        where = f"'{self.name}' {mlir_symbol(self.sym_name.data)}"
        width, depth = self.width.value.data, self.depth.value.data
        _check_width(where, width)
        if depth < 1:
            raise VerifyException(f"{where} depth must be >= 1, got {depth}")
        limbs = -(-width // LIMB_BITS)
        shape = tuple(self.words.get_shape())
        if self.words.get_element_type() != ROM_LIMB_TYPE or len(shape) != 2:
            raise VerifyException(
                f"{where} words must be a tensor<{depth}x{limbs}xui64> of 64-bit limbs, got "
                f"{self.words.type}"
            )
        if shape[0] != depth:
            raise VerifyException(f"{where} holds {shape[0]} words but its depth is {depth}")
        if shape[1] != limbs:
            raise VerifyException(
                f"{where} words have {shape[1]} limbs but a {width}-bit word needs {limbs}"
            )
        top_bits = width - LIMB_BITS * (limbs - 1)
        if top_bits < LIMB_BITS:
            top = dense_to_numpy(self.words)[:, -1]
            too_wide = np.flatnonzero(top >> np.uint64(top_bits))
            if too_wide.size:
                raise VerifyException(
                    f"{where} word {int(too_wide[0])} does not fit in {width} bits"
                )


HLS = Dialect(
    "hls",
    [KernelOp, ReturnOp, StreamOp, CallOp, PragmaOp, RomOp],
    [StreamType],
)
