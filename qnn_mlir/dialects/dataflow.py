"""The `dataflow` dialect: FINN-style streaming hardware (see docs/dialects/dataflow.md).

A `dataflow.accelerator` holds one block of layer ops connected by
`!dataflow.stream<...>` values. The stream type carries the element datatype,
the normal (unfolded) shape and the folding, so every layer verifier checks its
parameters against the streams it reads and writes: a folding mismatch between
two layers is a verifier error naming both numbers, not a hang in hardware.

Value conventions shared with the interpreter: a stream holds the mathematical
values of its normal shape (folding changes the wire format, never the values);
`!quant.bipolar` elements are -1/+1; i1 weights are bits where 1 means +1.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

import numpy as np
from xdsl.dialects.builtin import (
    I64,
    ArrayAttr,
    DenseIntOrFPElementsAttr,
    IntAttr,
    IntegerAttr,
    IntegerType,
    SymbolNameConstraint,
    TensorType,
    UnitAttr,
    i64,
)
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.traits import HasParent, IsolatedFromAbove, IsTerminator, Pure
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.dialects.datatypes import (
    BipolarType,
    element_bits,
    element_range,
    integer_range,
    is_quant_element_type,
    smallest_type_for,
)
from qnn_mlir.ir_constants import dense_to_numpy


def _divisors_hint(n: int) -> str:
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    shown = ", ".join(map(str, divisors[:16]))
    return shown + (", ..." if len(divisors) > 16 else "")


# ---------------------------------------------------------------------------
# Types
# ---------------------------------------------------------------------------


def _stream_type_problem(shape: Sequence[int], element_type: Attribute, fold: int) -> str | None:
    if not shape or min(shape) < 1:
        return (
            f"'!dataflow.stream' shape {'x'.join(str(d) if d >= 0 else '?' for d in shape)} "
            "must be static, non-empty and have "
            "every dim >= 1"
        )
    if not is_quant_element_type(element_type):
        return (
            f"'!dataflow.stream' element type {element_type} is not supported: expected an "
            "integer (si4, ui2, i32, ...), !quant.bipolar or a float"
        )
    if fold < 1 or shape[-1] % fold:
        return (
            f"'!dataflow.stream' fold ({fold}) must be >= 1 and divide the innermost dimension "
            f"({shape[-1]}): choose among {_divisors_hint(shape[-1])}"
        )
    return None


@irdl_attr_definition
class StreamType(ParametrizedAttribute, TypeAttribute):
    """A FINN-style stream: `!dataflow.stream<1x784x!quant.bipolar, 49>`.

    The shape is the normal (unfolded) tensor shape including the batch dim 1,
    the element type the datatype of each value, and `fold` the number of
    elements of the innermost dimension carried by one stream word (SIMD or PE
    of the endpoints). One frame is `prod(shape) / fold` words of
    `fold * element_bits` bits each.
    """

    name = "dataflow.stream"

    shape: ArrayAttr[IntAttr]
    element_type: Attribute
    fold: IntAttr

    def __init__(self, element_type: Attribute, shape: Sequence[int], fold: int):
        super().__init__(ArrayAttr([IntAttr(d) for d in shape]), element_type, IntAttr(fold))

    def get_shape(self) -> tuple[int, ...]:
        """The normal shape, batch dim included."""
        return tuple(d.data for d in self.shape.data)

    @property
    def word_bits(self) -> int:
        """Bits of one stream word (before any padding to whole bytes)."""
        return self.fold.data * element_bits(self.element_type)

    @property
    def words_per_frame(self) -> int:
        """Stream words per frame (one image): the transfer cycles of the stream."""
        return prod(self.get_shape()) // self.fold.data

    def verify(self) -> None:
        if problem := _stream_type_problem(self.get_shape(), self.element_type, self.fold.data):
            raise VerifyException(problem)

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        start = parser.pos
        with parser.in_angle_brackets():
            shape, element_type = parser.parse_ranked_shape()
            parser.parse_punctuation(",", " between the stream shape and its fold")
            fold = parser.parse_integer(allow_boolean=False, allow_negative=False)
        if problem := _stream_type_problem(shape, element_type, fold):
            parser.raise_error(problem, start, parser.pos)
        return (ArrayAttr([IntAttr(d) for d in shape]), element_type, IntAttr(fold))

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_dimension_list(self.get_shape())
            printer.print_string("x")
            printer.print_attribute(self.element_type)
            printer.print_string(f", {self.fold.data}")


# ---------------------------------------------------------------------------
# The accelerator
# ---------------------------------------------------------------------------


def _same_data(stream: Attribute, tensor: Attribute) -> bool:
    return (
        isinstance(stream, StreamType)
        and isinstance(tensor, TensorType)
        and stream.get_shape() == tuple(tensor.get_shape())
        and stream.element_type == tensor.element_type
    )


@irdl_op_definition
class AcceleratorOp(IRDLOperation):
    """One streaming accelerator: the hardware boundary between host and FPGA.

    Operands and results are tensors (what the host sends and receives); the
    body's block arguments are the corresponding input streams, one per
    operand with the same shape and element type, and `dataflow.yield` gives
    one output stream per result. The body is isolated from above: all
    parameters live in the layer ops' properties, nothing comes from the host
    except the streamed data.
    """

    name = "dataflow.accelerator"
    sym_name = prop_def(SymbolNameConstraint())
    inputs = var_operand_def(TensorType)
    outputs = var_result_def(TensorType)
    body = region_def("single_block")
    traits = traits_def(IsolatedFromAbove())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$sym_name `(` $inputs `)` attr-dict `:` functional-type($inputs, $outputs) $body"
    )

    def verify_(self) -> None:
        where = f"'{self.name}' @{self.sym_name.data}"
        if not self.inputs or not self.outputs:
            raise VerifyException(
                f"{where} needs at least one input and one output tensor, got "
                f"{len(self.inputs)} and {len(self.outputs)}"
            )
        args = self.body.block.args
        if len(args) != len(self.inputs):
            raise VerifyException(
                f"{where} has {len(self.inputs)} operand(s) but its body has {len(args)} "
                "block argument(s): one input stream per operand"
            )
        for index, (arg, operand) in enumerate(zip(args, self.inputs, strict=True)):
            if not _same_data(arg.type, operand.type):
                raise VerifyException(
                    f"{where} block argument {index} has type {arg.type} but operand {index} "
                    f"is {operand.type}: the stream must have the tensor's shape and element "
                    "type"
                )
        if not isinstance(self.body.block.last_op, YieldOp):
            raise VerifyException(f"{where} body must end with 'dataflow.yield'")


@irdl_op_definition
class YieldOp(IRDLOperation):
    """Ends a `dataflow.accelerator`: one output stream per accelerator result."""

    name = "dataflow.yield"
    values = var_operand_def(StreamType)
    traits = traits_def(IsTerminator(), HasParent(AcceleratorOp))
    assembly_format = "attr-dict ($values^ `:` type($values))?"

    def verify_(self) -> None:
        accelerator = self.parent_op()
        if not isinstance(accelerator, AcceleratorOp):
            return
        results = accelerator.outputs
        if len(self.values) != len(results):
            raise VerifyException(
                f"'{self.name}' yields {len(self.values)} stream(s) but the enclosing "
                f"'dataflow.accelerator' has {len(results)} result(s)"
            )
        for index, (value, result) in enumerate(zip(self.values, results, strict=True)):
            if not _same_data(value.type, result.type):
                raise VerifyException(
                    f"'{self.name}' operand {index} has type {value.type} but accelerator "
                    f"result {index} is {result.type}: shapes and element types must match"
                )


# ---------------------------------------------------------------------------
# Layer ops
# ---------------------------------------------------------------------------


def _int(attr: IntegerAttr) -> int:
    return attr.value.data


def _check_thresholds(op: IRDLOperation, thresholds: DenseIntOrFPElementsAttr, channels: int,
                      per: str) -> int:
    """Shape (channels, N) or (1, N), integer, ascending rows; returns N."""
    shape = tuple(thresholds.get_shape())
    if len(shape) != 2 or shape[0] not in (1, channels) or shape[1] < 1:
        raise VerifyException(
            f"'{op.name}' thresholds must have shape [{channels}, N] or [1, N] "
            f"(one row per {per} or one shared row), got {list(shape)}"
        )
    if not isinstance(thresholds.get_element_type(), IntegerType):
        raise VerifyException(
            f"'{op.name}' thresholds must have an integer element type, got "
            f"{thresholds.get_element_type()}: round them with ceil in the input's domain"
        )
    values = dense_to_numpy(thresholds)
    bad = np.argwhere(np.diff(values.astype(np.int64), axis=1) < 0)
    if bad.size:
        row, col = (int(v) for v in bad[0])
        raise VerifyException(
            f"'{op.name}' thresholds row {row} is not ascending (T[{row}, {col}] = "
            f"{values[row, col]} > T[{row}, {col + 1}] = {values[row, col + 1]}): sort each row"
        )
    return shape[1]


def _check_activation_output(op: IRDLOperation, element_type: Attribute, steps: int,
                             out_bias: int) -> None:
    """The output datatype of a threshold count with `steps` thresholds and `out_bias`."""
    if isinstance(element_type, BipolarType):
        if steps != 1 or out_bias != 0:
            raise VerifyException(
                f"'{op.name}' a !quant.bipolar output is 2 * count - 1 and needs exactly one "
                f"threshold per channel and out_bias 0, got N = {steps}, out_bias = {out_bias}"
            )
        return
    if not isinstance(element_type, IntegerType):
        raise VerifyException(
            f"'{op.name}' output element type must be an integer or !quant.bipolar, "
            f"got {element_type}"
        )
    low, high = integer_range(element_type)
    if out_bias < low or out_bias + steps > high:
        raise VerifyException(
            f"'{op.name}' activation range [out_bias, out_bias + N] = [{out_bias}, "
            f"{out_bias + steps}] does not fit the output element type {element_type} "
            f"[{low}, {high}]: use {smallest_type_for(out_bias, out_bias + steps)} or change "
            "out_bias"
        )


class StreamLayerOp(IRDLOperation):
    """A layer: one input stream, one output stream, parameters as properties.

    The shared verifier checks that the input holds integers or bipolar
    values, then calls `verify_layer`; the `_check_*` helpers word the
    messages the same way for every layer.
    """

    input = operand_def(StreamType)
    output = result_def(StreamType)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)

    @property
    def in_type(self) -> StreamType:
        """The input stream type."""
        return self.input.type  # type: ignore[return-value]

    @property
    def out_type(self) -> StreamType:
        """The output stream type."""
        return self.output.type  # type: ignore[return-value]

    def verify_(self) -> None:
        if element_range(self.in_type.element_type) is None:
            raise VerifyException(
                f"'{self.name}' input element type must be an integer or !quant.bipolar, "
                f"got {self.in_type.element_type}"
            )
        self.verify_layer()

    def verify_layer(self) -> None:
        """The op's own parameter and stream checks."""

    def _check_positive(self, **values: int) -> None:
        for key, value in values.items():
            if value < 1:
                raise VerifyException(f"'{self.name}' {key} must be >= 1, got {value}")

    def _check_multiple(self, dim_name: str, dim: int, param: str, value: int) -> None:
        if dim % value:
            raise VerifyException(
                f"'{self.name}' {dim_name} ({dim}) is not a multiple of {param} ({value}): "
                f"choose {param} among the divisors of {dim}: {_divisors_hint(dim)}"
            )

    def _check_input_fold(self, param: str, value: int) -> None:
        fold = self.in_type.fold.data
        if fold != value:
            raise VerifyException(
                f"'{self.name}' input stream fold ({fold}) does not match {param} ({value}): "
                f"set {param} to {fold} or insert a data width converter (dataflow.dwc) "
                "before this layer"
            )

    def _check_output(self, innermost: int, what: str, fold: int, fold_name: str,
                      why: str) -> None:
        in_shape, out_shape = self.in_type.get_shape(), self.out_type.get_shape()
        if out_shape[-1] != innermost:
            raise VerifyException(
                f"'{self.name}' output stream innermost dimension ({out_shape[-1]}) does not "
                f"match {what} ({innermost})"
            )
        if out_shape[:-1] != in_shape[:-1]:
            raise VerifyException(
                f"'{self.name}' output stream shape {list(out_shape)} must keep the outer "
                f"dimensions of the input shape {list(in_shape)}"
            )
        if self.out_type.fold.data != fold:
            raise VerifyException(
                f"'{self.name}' output stream fold ({self.out_type.fold.data}) must equal "
                f"{fold_name}: {why}"
            )


@irdl_op_definition
class MVAUOp(StreamLayerOp):
    """Matrix-vector-activation unit: y = act(x . W) for every input vector.

    W has shape MW x MH (column j holds output neuron j); i1 weights are
    bipolar bits (1 means +1, 0 means -1), any other integer type holds its
    values. SIMD inputs and PE outputs are processed per cycle; a frame takes
    (MH / PE) * (MW / SIMD) cycles per input vector. With `xnor` (bipolar x
    bipolar) the accumulator is the popcount P = (x . W + MW) / 2. With
    thresholds (MH x N or 1 x N, in the accumulator's domain) the output is
    count + out_bias for integer outputs and 2 * count - 1 for bipolar ones
    (count = #{i : acc >= T[j, i]}); without, the output is the accumulator.
    """

    name = "dataflow.mvau"
    MW = prop_def(IntegerAttr[I64])
    MH = prop_def(IntegerAttr[I64])
    SIMD = prop_def(IntegerAttr[I64])
    PE = prop_def(IntegerAttr[I64])
    weights = prop_def(DenseIntOrFPElementsAttr)
    thresholds = opt_prop_def(DenseIntOrFPElementsAttr)
    xnor = opt_prop_def(UnitAttr)
    out_bias = prop_def(IntegerAttr[I64], default_value=IntegerAttr(0, i64))
    assembly_format = (
        "$input `MW` $MW `MH` $MH `SIMD` $SIMD `PE` $PE attr-dict `:` "
        "type($input) `->` type($output)"
    )

    @property
    def bipolar_weights(self) -> bool:
        """True when the weights are i1 bits standing for -1/+1."""
        return self.weights.get_element_type() == IntegerType(1)

    def weight_values(self) -> np.ndarray:
        """The MW x MH weight values as int64 (bipolar bits become -1/+1)."""
        raw = dense_to_numpy(self.weights)
        if self.bipolar_weights:
            return np.where(raw != 0, 1, -1).astype(np.int64)
        return raw.astype(np.int64)

    def accumulator_range(self) -> tuple[int, int]:
        """The exact [min, max] of the accumulator over all inputs of the input type."""
        if self.xnor is not None:
            return 0, _int(self.MW)
        x_low, x_high = element_range(self.in_type.element_type)  # type: ignore[misc]
        weights = self.weight_values()
        positive = np.clip(weights, 0, None).sum(axis=0).astype(object)
        negative = np.clip(weights, None, 0).sum(axis=0).astype(object)
        highs = positive * x_high + negative * x_low
        lows = positive * x_low + negative * x_high
        return int(min(lows)), int(max(highs))

    def verify_layer(self) -> None:
        mw, mh, simd, pe = _int(self.MW), _int(self.MH), _int(self.SIMD), _int(self.PE)
        self._check_positive(MW=mw, MH=mh, SIMD=simd, PE=pe)
        self._check_multiple("MW", mw, "SIMD", simd)
        self._check_multiple("MH", mh, "PE", pe)
        w_shape, w_type = tuple(self.weights.get_shape()), self.weights.get_element_type()
        if w_shape != (mw, mh):
            raise VerifyException(
                f"'{self.name}' weights shape {list(w_shape)} does not match MW x MH = "
                f"[{mw}, {mh}]: one row per input, one column per output neuron"
            )
        if not isinstance(w_type, IntegerType):
            raise VerifyException(
                f"'{self.name}' weights must have an integer element type (i1 for bipolar), "
                f"got {w_type}"
            )
        in_elements = self.in_type.get_shape()[-1]
        if in_elements != mw:
            raise VerifyException(
                f"'{self.name}' input stream innermost dimension ({in_elements}) does not "
                f"match MW ({mw})"
            )
        self._check_input_fold("SIMD", simd)
        self._check_output(mh, "MH", pe, f"PE ({pe})", "an MVAU writes PE outputs per word")
        in_element = self.in_type.element_type
        if self.xnor is not None and not (
            isinstance(in_element, BipolarType) and self.bipolar_weights
        ):
            raise VerifyException(
                f"'{self.name}' xnor mode needs !quant.bipolar inputs and i1 (bipolar) "
                f"weights, got input {in_element} and weights {w_type}"
            )
        self._verify_activation()

    def _verify_activation(self) -> None:
        out_bias, out_element = _int(self.out_bias), self.out_type.element_type
        if self.thresholds is not None:
            steps = _check_thresholds(self, self.thresholds, _int(self.MH), "output neuron")
            _check_activation_output(self, out_element, steps, out_bias)
            return
        if out_bias != 0:
            raise VerifyException(
                f"'{self.name}' out_bias ({out_bias}) is added to the threshold count; "
                "without thresholds it must be 0"
            )
        if not isinstance(out_element, IntegerType):
            raise VerifyException(
                f"'{self.name}' without thresholds outputs the accumulator: the output "
                f"element type must be an integer, got {out_element}"
            )
        low, high = self.accumulator_range()
        out_low, out_high = integer_range(out_element)
        if low < out_low or high > out_high:
            raise VerifyException(
                f"'{self.name}' accumulator range [{low}, {high}] does not fit the output "
                f"element type {out_element} [{out_low}, {out_high}]: use "
                f"{smallest_type_for(low, high)} or wider"
            )


@irdl_op_definition
class ThresholdingOp(StreamLayerOp):
    """Multi-threshold activation on a stream of C channels (innermost dim), PE per cycle.

    y[c] = count + out_bias (integer output) or 2 * count - 1 (bipolar output),
    count = #{i : x[c] >= T[c, i]}; thresholds are C x N or 1 x N. A frame
    takes vectors * C / PE cycles.
    """

    name = "dataflow.thresholding"
    PE = prop_def(IntegerAttr[I64])
    thresholds = prop_def(DenseIntOrFPElementsAttr)
    out_bias = prop_def(IntegerAttr[I64], default_value=IntegerAttr(0, i64))
    assembly_format = "$input `PE` $PE attr-dict `:` type($input) `->` type($output)"

    def verify_layer(self) -> None:
        pe = _int(self.PE)
        self._check_positive(PE=pe)
        channels = self.in_type.get_shape()[-1]
        self._check_multiple("channels", channels, "PE", pe)
        self._check_input_fold("PE", pe)
        self._check_output(channels, "the input channels", pe, f"PE ({pe})",
                           "thresholding writes PE channels per word")
        steps = _check_thresholds(self, self.thresholds, channels, "channel")
        _check_activation_output(self, self.out_type.element_type, steps, _int(self.out_bias))


@irdl_op_definition
class LabelSelectOp(StreamLayerOp):
    """Top-K: the indices of the K largest of `Labels` scores, largest first.

    Ties go to the lower index first. The input is read PE scores per word
    (Labels / PE cycles per frame); the output is K indices, one per word.
    """

    name = "dataflow.label_select"
    K = prop_def(IntegerAttr[I64])
    PE = prop_def(IntegerAttr[I64])
    assembly_format = "$input `K` $K `PE` $PE attr-dict `:` type($input) `->` type($output)"

    def verify_layer(self) -> None:
        k, pe = _int(self.K), _int(self.PE)
        self._check_positive(K=k, PE=pe)
        labels = self.in_type.get_shape()[-1]
        self._check_multiple("Labels", labels, "PE", pe)
        if k > labels:
            raise VerifyException(f"'{self.name}' K ({k}) exceeds the number of labels ({labels})")
        self._check_input_fold("PE", pe)
        self._check_output(k, "K", 1, "1", "label_select writes one index per word")
        out_element = self.out_type.element_type
        if not isinstance(out_element, IntegerType) or integer_range(out_element)[1] < labels - 1:
            raise VerifyException(
                f"'{self.name}' output element type {out_element} cannot hold label indices "
                f"0..{labels - 1}: use an integer type such as i32 or "
                f"{smallest_type_for(0, labels - 1)}"
            )


Dataflow = Dialect(
    "dataflow",
    [AcceleratorOp, YieldOp, MVAUOp, ThresholdingOp, LabelSelectOp],
    [StreamType],
)
