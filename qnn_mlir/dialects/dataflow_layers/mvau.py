"""`dataflow.mvau`: the matrix-vector-activation unit, FINN's workhorse layer."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    I64,
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    IntegerType,
    UnitAttr,
    i64,
)
from xdsl.irdl import irdl_op_definition, opt_prop_def, prop_def
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.dialects.dataflow_layers.interface import (
    Folding,
    FoldingParameter,
    HLSCall,
    StreamLayerOp,
    int_prop,
)
from qnn_mlir.dialects.dataflow_layers.thresholding import (
    check_activation_output,
    check_thresholds,
)
from qnn_mlir.dialects.datatypes import (
    BipolarType,
    element_bits,
    element_range,
    integer_range,
    smallest_type_for,
)
from qnn_mlir.ir_constants import dense_to_numpy

if TYPE_CHECKING:
    from qnn_mlir.cost.boards import Board
    from qnn_mlir.cost.resources import Resources

_RANGES: OrderedDict[int, tuple[object, object, tuple[int, int]]] = OrderedDict()
"""Accumulator ranges by weights attribute: the folding search asks for them many times."""


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

    KIND: ClassVar[str] = "mvau"
    READ_FOLD_PARAMETER: ClassVar[str | None] = "SIMD"
    WRITE_FOLD_PARAMETER: ClassVar[str | None] = "PE"
    HLS_HEADER: ClassVar[str] = "qnn/mvau.h"

    # -- folding --------------------------------------------------------------------

    def folding_parameters(self) -> list[FoldingParameter]:
        return [FoldingParameter("SIMD", "MW", int_prop(self.MW)),
                FoldingParameter("PE", "MH", int_prop(self.MH))]

    def folding_caps(self, max_weight_width: int) -> dict[str, int]:
        """SIMD keeps a lane's weight word within `max_weight_width` bits (FINN: 36)."""
        return {"SIMD": max(1, max_weight_width // self.weight_bits)}

    # -- the weights --------------------------------------------------------------

    @property
    def bipolar_weights(self) -> bool:
        """True when the weights are i1 bits standing for -1/+1."""
        return self.weights.get_element_type() == IntegerType(1)

    @property
    def weight_bits(self) -> int:
        """Bits per weight in memory (1 for bipolar)."""
        return element_bits(self.weights.get_element_type())

    def weight_values(self) -> np.ndarray:
        """The MW x MH weight values as int64 (bipolar bits become -1/+1)."""
        raw = dense_to_numpy(self.weights)
        if self.bipolar_weights:
            return np.where(raw != 0, 1, -1).astype(np.int64)
        return raw.astype(np.int64)

    def accumulator_range(self) -> tuple[int, int]:
        """The exact [min, max] of the accumulator over all inputs of the input type."""
        if self.xnor is not None:
            return 0, int_prop(self.MW)
        key = id(self.weights)
        cached = _RANGES.get(key)
        if cached and cached[0] is self.weights and cached[1] == self.in_type.element_type:
            return cached[2]
        x_low, x_high = element_range(self.in_type.element_type)  # type: ignore[misc]
        weights = self.weight_values()
        positive = np.clip(weights, 0, None).sum(axis=0).astype(object)
        negative = np.clip(weights, None, 0).sum(axis=0).astype(object)
        highs = positive * x_high + negative * x_low
        lows = positive * x_low + negative * x_high
        result = int(min(lows)), int(max(highs))
        _RANGES[key] = (self.weights, self.in_type.element_type, result)
        if len(_RANGES) > 256:
            _RANGES.popitem(last=False)
        return result

    # -- cost -----------------------------------------------------------------

    def cycles(self, folding: Folding | None = None) -> int:
        """NF = MH / PE neuron folds times SF = MW / SIMD synapse folds per input vector."""
        return (int_prop(self.MH) // self.param("PE", folding)
                * (int_prop(self.MW) // self.param("SIMD", folding)) * self.vectors)

    def resources(self, board: Board, folding: Folding | None = None) -> Resources:
        """FINN-R's LUT model for the compute (thresholds in LUTs), the weight memory
        (WMEM = MW*MH/(PE*SIMD) words of PE*SIMD*W bits) and the input buffer (MW/SIMD
        words of SIMD inputs) in LUTRAM or BRAM, and one DSP per multiplier when the
        operands are too wide for LUT multipliers (cost/resources.py)."""
        from qnn_mlir.cost.resources import (
            Resources,
            memory,
            multipliers_on_dsps,
            mvau_compute_luts,
            signed_bits,
        )

        pe, simd = self.param("PE", folding), self.param("SIMD", folding)
        mw, mh = int_prop(self.MW), int_prop(self.MH)
        input_bits = element_bits(self.in_type.element_type)
        on_dsps = multipliers_on_dsps(self.weight_bits, input_bits, self.xnor is not None)
        out_bits = (element_bits(self.out_type.element_type) if self.thresholds is not None
                    else None)
        luts = mvau_compute_luts(pe, simd, self.weight_bits, input_bits,
                                 signed_bits(*self.accumulator_range()), out_bits, on_dsps)
        weights = memory(mw * mh // (pe * simd), pe * simd * self.weight_bits)
        buffer = memory(mw // simd, simd * input_bits)
        return (Resources(lut=luts, dsp=pe * simd if on_dsps else 0) + weights + buffer)

    # -- semantics and lowering ---------------------------------------------------

    def interpret(self, inputs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """`qnn_runtime.host_ops.mvau`, with this op's arguments (interpreter/host_calls.py),
        so the deployed host code computes an MVAU left on the host the same way."""
        from qnn_mlir.interpreter.host_calls import run_layer

        return run_layer(self, inputs)

    def lower_to_hls(self, prefix: str) -> HLSCall:
        """`qnn::mvau` (thresholds) or `qnn::mvau_noact` (accumulator output)."""
        from qnn_mlir.backends.hls.lowering import (
            accumulator_type,
            datatype_policy,
            threshold_activation,
            weight_rom,
        )

        mw, mh, simd, pe = (int_prop(self.MW), int_prop(self.MH), int_prop(self.SIMD),
                            int_prop(self.PE))
        weights = weight_rom(f"{prefix}_weights", dense_to_numpy(self.weights),
                             self.weights.get_element_type(), self.bipolar_weights, simd, pe)
        if self.xnor is not None:
            product = "qnn::Xnor"
        else:
            w_policy = "qnn::Bipolar" if self.bipolar_weights else datatype_policy(
                self.weights.get_element_type())
            product = f"qnn::Multiply<{datatype_policy(self.in_type.element_type)}, {w_policy}>"
        args: list[int | str] = [mw, mh, simd, pe, self.vectors, product,
                                 accumulator_type(*self.accumulator_range())]
        what = (f"MW {mw} MH {mh} SIMD {simd} PE {pe}"
                f"{', xnor' if self.xnor is not None else ''}")
        cycles = f"{self.cycles()} cycle(s) per frame"
        if self.thresholds is None:
            args.append(element_bits(self.out_type.element_type))
            return HLSCall("qnn::mvau_noact", args, [weights],
                           f"{what}, accumulator output; {cycles}")
        rom, activation, summary = threshold_activation(
            prefix, self.thresholds, mh, self.in_type.element_type,
            self.out_type.element_type, int_prop(self.out_bias))
        return HLSCall("qnn::mvau", args + activation, [weights, rom],
                       f"{what}, {summary}; {cycles}")

    # -- reports and verification -------------------------------------------------

    def report_kind(self) -> str:
        return "mvau (xnor)" if self.xnor is not None else "mvau"

    def report_shape(self) -> str:
        vectors = f"{self.vectors}x" if self.vectors > 1 else ""
        return f"{vectors}{int_prop(self.MW)}x{int_prop(self.MH)}"

    def verify_layer(self) -> None:
        mw, mh, simd, pe = (int_prop(self.MW), int_prop(self.MH), int_prop(self.SIMD),
                            int_prop(self.PE))
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
        if self.channels != mw:
            raise VerifyException(
                f"'{self.name}' input stream innermost dimension ({self.channels}) does not "
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
        out_bias, out_element = int_prop(self.out_bias), self.out_type.element_type
        if self.thresholds is not None:
            steps = check_thresholds(self, self.thresholds, int_prop(self.MH), "output neuron")
            check_activation_output(self, out_element, steps, out_bias)
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
