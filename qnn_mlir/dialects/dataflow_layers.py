"""The layer ops of the `dataflow` dialect: one input stream, one output stream each.

`mvau`, `thresholding`, `label_select` and `dwc` (see docs/dialects/dataflow.md).
Every layer says which fold it reads (`read_fold`: SIMD or PE) and which it
writes (`write_fold`), which parameters fold it and which dimension each must
divide (`folding_bounds`): the cost model and the folding passes work from
these without knowing the op.

The verifier checks each layer on its own. Whether the stream a layer reads
has the fold it reads is a property of the pair producer/consumer, checked
by `check_stream_widths` (dataflow.py) once `dataflow-insert-dwc` has run.
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    I64,
    AnyFloat,
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    UnitAttr,
    i64,
)
from xdsl.ir import Attribute
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.dialects.dataflow_stream import StreamType, divisors_hint
from qnn_mlir.dialects.datatypes import (
    BipolarType,
    element_range,
    integer_range,
    smallest_type_for,
)
from qnn_mlir.ir_constants import dense_to_numpy

LAYER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
"""Layer names become C++ identifiers and folding-config keys."""


def _int(attr: IntegerAttr) -> int:
    return attr.value.data


def _check_thresholds(op: IRDLOperation, thresholds: DenseIntOrFPElementsAttr, channels: int,
                      per: str, float_type: Attribute | None = None) -> int:
    """Shape (channels, N) or (1, N), ascending rows; returns N.

    Thresholds are integers, or of `float_type` when the input is float (the
    input quantizer), then without NaN.
    """
    shape = tuple(thresholds.get_shape())
    if len(shape) != 2 or shape[0] not in (1, channels) or shape[1] < 1:
        raise VerifyException(
            f"'{op.name}' thresholds must have shape [{channels}, N] or [1, N] "
            f"(one row per {per} or one shared row), got {list(shape)}"
        )
    element = thresholds.get_element_type()
    if float_type is not None and element != float_type:
        raise VerifyException(
            f"'{op.name}' thresholds of a {float_type} input must be {float_type}, got "
            f"{element}: x >= T compares in the input's float type"
        )
    if float_type is None and not isinstance(element, IntegerType):
        raise VerifyException(
            f"'{op.name}' thresholds must have an integer element type, got "
            f"{element}: round them with ceil in the input's domain"
        )
    values = dense_to_numpy(thresholds)
    if float_type is not None and np.isnan(values).any():
        raise VerifyException(f"'{op.name}' thresholds must not be NaN")
    steps = np.diff(values.astype(np.float64 if float_type else np.int64), axis=1)
    bad = np.argwhere(steps < 0)
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

    The optional `name` (a C identifier) names the layer in folding configs,
    reports and the generated C++. The shared verifier checks the name and
    that the input holds integers or bipolar values (unless the op accepts
    floats), then calls `verify_layer`; the `_check_*` helpers word the
    messages the same way for every layer.
    """

    input = operand_def(StreamType)
    output = result_def(StreamType)
    layer_name = opt_prop_def(StringAttr, prop_name="name")
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)

    ACCEPTS_FLOAT_INPUT: ClassVar[bool] = False

    @property
    def in_type(self) -> StreamType:
        """The input stream type."""
        return self.input.type  # type: ignore[return-value]

    @property
    def out_type(self) -> StreamType:
        """The output stream type."""
        return self.output.type  # type: ignore[return-value]

    @property
    def vectors(self) -> int:
        """Input vectors per frame: the product of the outer dimensions of the input stream."""
        return int(np.prod(self.in_type.get_shape()[:-1]))

    @property
    def read_fold(self) -> int:
        """Elements of the input stream that the layer reads per word."""
        return self.in_type.fold.data

    @property
    def write_fold(self) -> int:
        """Elements of the output stream that the layer writes per word."""
        return self.out_type.fold.data

    def folding_bounds(self) -> dict[str, tuple[str, int]]:
        """Folding parameter (PE, SIMD) -> (name, size) of the dimension it must divide."""
        return {}

    def verify_(self) -> None:
        if self.layer_name is not None and not LAYER_NAME.match(self.layer_name.data):
            raise VerifyException(
                f"'{self.name}' name \"{self.layer_name.data}\" must be an identifier "
                "([A-Za-z_][A-Za-z0-9_]*): it names the layer in C++ and in folding configs"
            )
        in_element = self.in_type.element_type
        if element_range(in_element) is None and not self.ACCEPTS_FLOAT_INPUT:
            raise VerifyException(
                f"'{self.name}' input element type must be an integer or !quant.bipolar, "
                f"got {in_element}"
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
                f"choose {param} among the divisors of {dim}: {divisors_hint(dim)}"
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
    def read_fold(self) -> int:
        return _int(self.SIMD)

    @property
    def write_fold(self) -> int:
        return _int(self.PE)

    def folding_bounds(self) -> dict[str, tuple[str, int]]:
        return {"PE": ("MH", _int(self.MH)), "SIMD": ("MW", _int(self.MW))}

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
    takes vectors * C / PE cycles. An integer or bipolar input has integer
    thresholds; an f32 input (the input quantizer: float in, integer out) has
    f32 thresholds, compared in f32 exactly as `quant.multithreshold` does.
    """

    name = "dataflow.thresholding"
    PE = prop_def(IntegerAttr[I64])
    thresholds = prop_def(DenseIntOrFPElementsAttr)
    out_bias = prop_def(IntegerAttr[I64], default_value=IntegerAttr(0, i64))
    assembly_format = "$input `PE` $PE attr-dict `:` type($input) `->` type($output)"
    ACCEPTS_FLOAT_INPUT: ClassVar[bool] = True

    @property
    def read_fold(self) -> int:
        return _int(self.PE)

    @property
    def write_fold(self) -> int:
        return _int(self.PE)

    def folding_bounds(self) -> dict[str, tuple[str, int]]:
        return {"PE": ("channels", self.in_type.get_shape()[-1])}

    def verify_layer(self) -> None:
        pe = _int(self.PE)
        self._check_positive(PE=pe)
        channels = self.in_type.get_shape()[-1]
        self._check_multiple("channels", channels, "PE", pe)
        self._check_output(channels, "the input channels", pe, f"PE ({pe})",
                           "thresholding writes PE channels per word")
        in_element = self.in_type.element_type
        float_type = in_element if isinstance(in_element, AnyFloat) else None
        steps = _check_thresholds(self, self.thresholds, channels, "channel", float_type)
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

    @property
    def read_fold(self) -> int:
        return _int(self.PE)

    @property
    def write_fold(self) -> int:
        return 1

    def folding_bounds(self) -> dict[str, tuple[str, int]]:
        return {"PE": ("Labels", self.in_type.get_shape()[-1])}

    def verify_layer(self) -> None:
        k, pe = _int(self.K), _int(self.PE)
        self._check_positive(K=k, PE=pe)
        labels = self.in_type.get_shape()[-1]
        self._check_multiple("Labels", labels, "PE", pe)
        if k > labels:
            raise VerifyException(f"'{self.name}' K ({k}) exceeds the number of labels ({labels})")
        self._check_output(k, "K", 1, "1", "label_select writes one index per word")
        out_element = self.out_type.element_type
        if not isinstance(out_element, IntegerType) or integer_range(out_element)[1] < labels - 1:
            raise VerifyException(
                f"'{self.name}' output element type {out_element} cannot hold label indices "
                f"0..{labels - 1}: use an integer type such as i32 or "
                f"{smallest_type_for(0, labels - 1)}"
            )


@irdl_op_definition
class DWCOp(StreamLayerOp):
    """Data width converter: the same values, re-packed from one fold to another.

    Input and output have the same shape and element type; the folds differ
    and one is a multiple of the other, so each output word is a slice or a
    concatenation of input words (two converters through the least common
    multiple handle any other pair). A frame takes max(words in, words out)
    cycles. Inserted by `dataflow-insert-dwc`, never folded.
    """

    name = "dataflow.dwc"
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"
    ACCEPTS_FLOAT_INPUT: ClassVar[bool] = True

    def verify_layer(self) -> None:
        in_type, out_type = self.in_type, self.out_type
        if in_type.get_shape() != out_type.get_shape():
            raise VerifyException(
                f"'{self.name}' output shape {list(out_type.get_shape())} must equal the input "
                f"shape {list(in_type.get_shape())}: a converter only re-packs words"
            )
        if in_type.element_type != out_type.element_type:
            raise VerifyException(
                f"'{self.name}' output element type {out_type.element_type} must equal the "
                f"input element type {in_type.element_type}: a converter only re-packs words"
            )
        fold_in, fold_out = in_type.fold.data, out_type.fold.data
        if fold_in == fold_out:
            raise VerifyException(
                f"'{self.name}' input and output fold are both {fold_in}: the converter does "
                "nothing, remove it"
            )
        if max(fold_in, fold_out) % min(fold_in, fold_out):
            raise VerifyException(
                f"'{self.name}' folds {fold_in} and {fold_out} are not multiples of each other: "
                f"convert through their least common multiple with two converters"
            )
