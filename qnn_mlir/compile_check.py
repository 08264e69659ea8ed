"""The check behind `qnn-compile`: the compiled model computes what the imported one does.

The rule (docs/checking.md):

1. The C simulation of the emitted C++ equals the interpreter of the last
   dataflow stage bit for bit: the back end (convert-dataflow-to-hls, the
   emitter, the HLS layer library) adds no difference at all.
2. Every pass is compared with the stage before it, value by value
   (equivalence.py), on every input whose output departs from the imported
   model's and on a fixed sample. A pass marked exact must keep every value
   bit for bit. The one inexact pass, quant-to-integer, may change float values
   within float rounding, and an activation only at a threshold tie: where its
   quantizer's input is within float32 rounding of a threshold.
3. An output that differs from the imported model's beyond float rounding must
   come from such a tie; anything else is a compiler bug, reported as the first
   pass and the first value at which the stages part ways.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from qnn_mlir.diagnostics import QnnError
from qnn_mlir.equivalence import TraceCache, compare, float_mismatch

SAMPLE = 64
"""Inputs compared pass by pass besides those whose outputs differ."""


@dataclass
class Stage:
    """The IR after one pass (or the import), and whether that pass is exact."""

    name: str
    module: ModuleOp
    exact: bool = True
    spec: str = ""
    """The pass with its options, as `qnn-opt -p` takes it."""


@dataclass
class CheckResult:
    """How the C simulation compares with the imported model, input by input."""

    inputs: int
    bit_for_bit: int
    max_difference: float
    ties: dict[int, tuple[str, str]] = field(default_factory=dict)
    """input index -> (pass, activation) of the threshold tie that changed its output."""

    @property
    def tie_inputs(self) -> list[int]:
        """Inputs whose outputs differ because of a threshold tie."""
        return sorted(self.ties)

    def text(self) -> str:
        """One line for the compile summary."""
        if self.bit_for_bit == self.inputs:
            return f"C simulation == imported model, bit for bit, on {self.inputs} inputs"
        rounding = self.inputs - self.bit_for_bit - len(self.ties)
        parts = [f"{self.bit_for_bit} bit for bit"]
        if rounding:
            parts.append(f"{rounding} within float rounding")
        if self.ties:
            where = Counter(f"%{value} in {name}" for name, value in self.ties.values())
            shown = ", ".join(f"{key} ({count})" for key, count in where.most_common(3))
            parts.append(f"{len(self.ties)} threshold tie(s): {shown}")
        return (f"C simulation == imported model on {self.inputs} inputs: "
                f"{', '.join(parts)}; max |diff| {self.max_difference:.2e}")


def _first_difference(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> str:
    image = int(np.nonzero(mask)[0][0])
    element = tuple(int(i) for i in np.argwhere(a[image] != b[image])[0])
    return f"first at input {image}, element {list(element)}: {a[image][element]} vs " \
           f"{b[image][element]}"


def reference_outputs(stages: list[Stage], inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The interpreter's outputs of the imported model and of the last stage on `inputs`:
    what the C simulation is checked against (they need no C simulation, so a caller can
    compute them while g++ builds it)."""
    from qnn_mlir.interpreter import run_module

    return run_module(stages[0].module, [inputs])[0], run_module(stages[-1].module, [inputs])[0]


def check_compiled(stages: list[Stage], simulated: np.ndarray, inputs: np.ndarray,
                   reproduce: str = "",
                   references: tuple[np.ndarray, np.ndarray] | None = None) -> CheckResult:
    """Check the C simulation's outputs on `inputs` against the stages (the import
    first, the last dataflow stage last); raise a QnnError that names the pass and the
    value when the compiled model departs from the imported one. `reproduce` is a
    command that repeats the pass-by-pass comparison, for the message; `references` are
    `reference_outputs(stages, inputs)` when the caller has them already."""
    count = len(inputs)
    imported, dataflow_form = references or reference_outputs(stages, inputs)
    backend = np.any((simulated != dataflow_form).reshape(count, -1), axis=1)
    if backend.any():
        raise QnnError(
            f"qnn-compile: error: the C simulation of the emitted C++ differs from the "
            f"interpreter of the dataflow form on {int(backend.sum())} of {count} inputs "
            f"({_first_difference(simulated, dataflow_form, backend)}): the fault is in "
            "convert-dataflow-to-hls, the C++ emitter or the HLS layer library")
    equal = ~np.any((simulated != imported).reshape(count, -1), axis=1)
    if np.issubdtype(imported.dtype, np.floating):
        differing = np.any(float_mismatch(imported, simulated, exact=False).reshape(count, -1),
                           axis=1)
        largest = float(np.abs(simulated.astype(np.float64) - imported).max(initial=0.0))
    else:
        differing, largest = ~equal, float(np.sum(~equal))
    examined = sorted(set(range(min(SAMPLE, count))) | set(np.nonzero(differing)[0].tolist()))
    result = CheckResult(count, int(equal.sum()), largest)
    cache = TraceCache()
    for before, after in zip(stages, stages[1:], strict=False):
        comparison = compare(before.module, after.module, [inputs[examined]], after.exact,
                             examined, cache)
        cache.forget(before.module)
        if comparison.divergence is not None:
            raise QnnError(
                f"qnn-compile: error: the compiled model departs from the imported model: "
                f"{int(differing.sum())} of {count} outputs differ beyond float rounding\n"
                f"  the first pass that changes a value is '{after.name}'\n"
                f"  first value: {comparison.divergence.text(comparison.examined)}\n"
                "  this is a compiler bug" + (f"; to repeat the comparison pass by pass:\n"
                                               f"    {reproduce}" if reproduce else ""))
        for index, value in comparison.ties.items():
            result.ties.setdefault(index, (after.name, value))
    unexplained = [i for i in np.nonzero(differing)[0].tolist() if i not in result.ties]
    if unexplained:
        raise QnnError(
            f"qnn-compile: error: {len(unexplained)} of {count} outputs differ from the "
            f"imported model's beyond float rounding (inputs {unexplained[:8]}), although "
            "every pass kept its values within the rules; this is a compiler bug")
    result.ties = {i: where for i, where in result.ties.items() if differing[i]}
    return result
