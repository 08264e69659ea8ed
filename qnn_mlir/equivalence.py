"""Where two stages of a compilation part ways: values compared by name, op by op.

Passes keep SSA names for the values they preserve: the activation `%fc1_act`
is the quantizer's output in the imported model, a multithreshold's in the
integer form and an MVAU's output stream in the dataflow form. Running the
interpreter on two stages and comparing the values that carry the same name,
in program order, finds the first op at which they part ways.

What is compared (an *anchor*), by the role of the op that computes it:

* activations (quantizers, multithresholds, thresholding and MVAU-with-threshold
  layers, and layout ops or stream copies of them): their integer levels, exactly.
  A float fake-quantized value (level - zero point) * scale is read back as its
  level, so the QONNX form and the integer form compare;
* indices (TopK, label_select): exactly;
* other float values (matmul outputs on the host, BatchNorm, biases, logits):
  exactly after an exact pass, within float rounding after an inexact one;
* accumulators (matmul, conv, xnor-popcount and MVAU outputs, float or integer) and
  other integer values are not compared: passes legitimately re-encode them (a
  scale moved behind the product, a negated weight column, a popcount instead of
  a dot product); the values computed from them are.

The rules for an inexact pass (quant-to-integer: a float32 matmul of
fake-quantized values becomes an exact integer accumulator times the scale):

* float values agree when |a - b| <= FLOAT_RTOL * max|a| over the input's tensor;
* an activation may differ only at a *threshold tie*: where the two stages'
  quantizer inputs agree within float rounding and the reference stage's own
  quantizer, applied to the other stage's input, gives the other stage's level.
  The difference then comes from the input's float32 rounding alone, not from
  the quantizer; values after a tie are not compared for that input.

Anything else is a divergence, reported with the value, the op that computes
it, and on how many inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import AnyFloat, ModuleOp, TensorType
from xdsl.interpreter import Interpreter
from xdsl.ir import Block, BlockArgument, Operation, SSAValue

from qnn_mlir.dialects import dataflow, quant
from qnn_mlir.interpreter.constant_eval import constant_value, is_constant, run_op

FLOAT_RTOL = 2.0**-12
"""Float values of an inexact pass agree within this fraction of the tensor's largest
magnitude (about 4,000 float32 ulps): rounding of a wide float32 dot product stays far
below it, while a wrong scale, bias or threshold does not."""

CHUNK = 64
"""Inputs traced at a time: every value of a stage is kept for one chunk."""

QUANTIZERS = (quant.IntQuantOp, quant.BipolarQuantOp, quant.MultiThresholdOp)
COPIES = (*quant.LAYOUT_OPS, dataflow.ToStreamOp, dataflow.FromStreamOp, dataflow.DWCOp)
"""Ops whose result holds values of its input (moved, copied, selected or re-packed)."""
PRODUCTS = (quant.MatMulOp, quant.XnorPopcountOp, quant.ConvOp)
"""Sums of products: their scale and sign move between passes, so they are not compared."""


# ---------------------------------------------------------------------------
# Anchors: which values are compared, and how
# ---------------------------------------------------------------------------


def _producer(value: SSAValue) -> SSAValue | None:
    """The value that `value` copies (through a copy op or an accelerator boundary)."""
    owner = value.owner
    if isinstance(owner, COPIES):
        return owner.operands[0]
    if isinstance(owner, dataflow.AcceleratorOp):
        return owner.body.block.last_op.operands[value.index]  # the yielded stream
    if isinstance(value, BlockArgument) and isinstance(value.owner, Block):
        parent = value.owner.parent_op()
        if isinstance(parent, dataflow.AcceleratorOp):
            return parent.operands[value.index]
    return None


def role(value: SSAValue) -> str:
    """activation, index, real, accumulator or constant."""
    source = value
    while (previous := _producer(source)) is not None:
        source = previous
    owner = source.owner
    if is_constant(source):
        return "constant"
    if isinstance(owner, (*QUANTIZERS, dataflow.ThresholdingOp)) or (
            isinstance(owner, dataflow.MVAUOp) and owner.thresholds is not None):
        return "activation"
    if isinstance(owner, PRODUCTS) or isinstance(owner, dataflow.MVAUOp):
        return "accumulator"  # float or integer: passes move scales across products
    if isinstance(owner, dataflow.LabelSelectOp) or (
            isinstance(owner, quant.TopKOp) and source.index == 1):  # type: ignore[union-attr]
        return "index"
    element = _element_type(value)
    return "real" if isinstance(element, AnyFloat) else "accumulator"


def _element_type(value: SSAValue):
    kind = value.type
    return kind.element_type if isinstance(kind, TensorType | dataflow.StreamType) else None


def quantizer_behind(value: SSAValue) -> Operation | None:
    """The quantizer whose output `value` is (through copies), if any."""
    while (previous := _producer(value)) is not None:
        value = previous
    owner = value.owner
    return owner if isinstance(owner, Operation) else None


def levels(value: SSAValue, array: np.ndarray) -> np.ndarray | None:
    """The integer levels an activation holds, as the integer form holds them: itself if
    integer; for a float fake-quantized value, level - zero point = value / scale
    (rounded), the sign of a bipolar one, or a float multithreshold's integral
    count * out_scale + out_bias; None where they cannot be read back."""
    array = np.asarray(array)
    if np.issubdtype(array.dtype, np.integer):
        return array.astype(np.int64, copy=False)
    op = quantizer_behind(value)
    copied = op is not value.owner
    with np.errstate(divide="ignore", invalid="ignore"):
        if isinstance(op, quant.BipolarQuantOp):
            return np.where(array >= 0, 1, -1)
        if isinstance(op, quant.IntQuantOp):
            scale = constant_value(op.scale)
            if scale is None or (copied and scale.size > 1):
                return None
            return np.rint(array / (scale if not copied else scale.reshape(()))).astype(np.int64)
        if isinstance(op, quant.MultiThresholdOp) and all(
                float(v).is_integer() for v in (op.out_scale.value.data, op.out_bias.value.data)):
            return np.rint(array).astype(np.int64)
    return None


def named_anchors(module: ModuleOp) -> list[tuple[str, SSAValue, str]]:
    """(name, value, role) of every named, comparable value, in program order (the
    first value of each name)."""
    seen: set[str] = set()
    found = []
    for op in module.walk():
        for value in op.results:
            name = value.name_hint
            if not name or name in seen:
                continue
            kind = role(value)
            if kind in ("activation", "index", "real"):
                seen.add(name)
                found.append((name, value, kind))
    return found


# ---------------------------------------------------------------------------
# Tracing: every value of a run
# ---------------------------------------------------------------------------


class _Recorder(Interpreter.Listener):
    def __init__(self) -> None:
        self.values: dict[SSAValue, np.ndarray] = {}

    def did_interpret_op(self, op: Operation, results) -> None:
        for result, array in zip(op.results, results, strict=False):
            self.values[result] = np.asarray(array)


def trace(module: ModuleOp, inputs: Sequence[np.ndarray]) -> dict[SSAValue, np.ndarray]:
    """Every op result (and the entry function's arguments) of one run on a batch."""
    from qnn_mlir.interpreter import entry_function, run_module

    recorder = _Recorder()
    outputs = run_module(module, inputs, listeners=(recorder,))
    values = dict(recorder.values)
    entry = entry_function(module)
    for arg, array in zip(entry.body.block.args, inputs, strict=True):
        values[arg] = np.asarray(array)
    returned = [op for op in entry.body.block.ops if isinstance(op, func.ReturnOp)]
    for value, array in zip(returned[0].operands, outputs, strict=True):
        values.setdefault(value, array)
    values[_OUTPUTS] = outputs  # type: ignore[index]
    return values


_OUTPUTS = object()  # the key of the function's results in a trace


class TraceCache:
    """Traces of stages on the chunks of one batch of inputs: comparing a pipeline pass
    by pass traces each stage twice (after one pass, before the next), so the comparisons
    share them. `forget` a stage once no comparison needs it."""

    def __init__(self) -> None:
        self._traces: dict[tuple[int, int], dict] = {}
        self._anchors: dict[int, list[tuple[str, SSAValue, str]]] = {}

    def trace(self, module: ModuleOp, chunk: Sequence[np.ndarray], start: int) -> dict:
        key = (id(module), start)
        if key not in self._traces:
            self._traces[key] = trace(module, chunk)
        return self._traces[key]

    def anchors(self, module: ModuleOp) -> list[tuple[str, SSAValue, str]]:
        if id(module) not in self._anchors:
            self._anchors[id(module)] = named_anchors(module)
        return self._anchors[id(module)]

    def forget(self, module: ModuleOp) -> None:
        self._traces = {k: v for k, v in self._traces.items() if k[0] != id(module)}
        self._anchors.pop(id(module), None)


# ---------------------------------------------------------------------------
# Comparison of two stages
# ---------------------------------------------------------------------------


@dataclass
class Divergence:
    """A value that differs between two stages beyond what the rules allow."""

    name: str
    op: str
    location: str
    inputs: list[int] = field(default_factory=list)
    detail: str = ""

    def text(self, examined: int) -> str:
        where = f" at {self.location}" if self.location else ""
        return (f"%{self.name} ('{self.op}'{where}) differs on {len(self.inputs)} of "
                f"{examined} examined input(s): {self.detail}")


@dataclass
class Comparison:
    """The outcome of comparing stage `after` with stage `before` on some inputs."""

    examined: int = 0
    ties: dict[int, str] = field(default_factory=dict)
    """input index -> the activation whose threshold tie changed it."""
    divergence: Divergence | None = None


def _op_label(value: SSAValue) -> tuple[str, str]:
    from qnn_mlir.diagnostics import location_text

    owner = value.owner
    if isinstance(owner, Operation):
        location = location_text(owner)
        return owner.name, "" if location == f"'{owner.name}'" else location
    return "block argument", ""


def float_mismatch(a: np.ndarray, b: np.ndarray, exact: bool) -> np.ndarray:
    """Per element: differs beyond the rule (exact: any bit). NaN equals NaN and an
    infinity only itself; the tolerance scales with the largest finite magnitude."""
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    if exact:
        return ~same
    finite = np.where(np.isfinite(a), np.abs(a), np.float32(0))
    magnitude = finite.reshape(len(a), -1).max(axis=1, initial=0.0)
    tolerance = FLOAT_RTOL * magnitude.reshape((-1,) + (1,) * (a.ndim - 1))
    with np.errstate(invalid="ignore"):
        close = np.isfinite(a) & np.isfinite(b) & (np.abs(a - b) <= tolerance)
    return ~(same | close)


def _is_tie(before: SSAValue, after: SSAValue, trace_a, trace_b, image: int,
            elements: np.ndarray, level_after: np.ndarray) -> bool:
    """Whether the differing elements of one input are threshold ties (module docstring)."""
    quantizer, other = before.owner, after.owner
    if not isinstance(quantizer, QUANTIZERS) or not isinstance(
            other, quant.MultiThresholdOp | dataflow.ThresholdingOp):
        return False
    x_before = trace_a.get(quantizer.operands[0])
    x_after = trace_b.get(other.operands[0])
    if x_before is None or x_after is None or x_before.shape != x_after.shape:
        return False
    if not (np.issubdtype(x_before.dtype, np.floating)
            and np.issubdtype(x_after.dtype, np.floating)):
        return False
    x_a, x_b = x_before[image:image + 1], x_after[image:image + 1]
    if float_mismatch(x_a, x_b, exact=False)[0][elements].any():
        return False
    args = [x_b] + [constant_value(v) for v in quantizer.operands[1:]]
    if any(arg is None for arg in args):
        return False
    requantized = levels(before, run_op(quantizer, args)[0])
    return requantized is not None and bool(
        np.array_equal(requantized[0][elements], level_after[elements]))


def compare(before: ModuleOp, after: ModuleOp, inputs: Sequence[np.ndarray],
            exact: bool, indices: Sequence[int] | None = None,
            cache: TraceCache | None = None) -> Comparison:
    """Compare stage `after` with stage `before` on `inputs` (batch first), in chunks.

    `exact`: the pass between them must preserve every value bit for bit;
    otherwise the float-rounding and tie rules apply. `indices` name the inputs in
    reports (default 0, 1, ...). The divergence reported is the earliest value, in
    the program order of `before`, at which any input departs. A `cache` shared by
    the comparisons of one pipeline on the same inputs traces each stage once."""
    count = len(inputs[0])
    indices = list(range(count)) if indices is None else list(indices)
    result = Comparison(examined=count)
    cache = cache or TraceCache()
    anchors_a = cache.anchors(before)
    anchors_b = {name: (value, kind) for name, value, kind in cache.anchors(after)}
    found: dict[int, Divergence] = {}
    for start in range(0, count, CHUNK):
        chunk = [np.asarray(x)[start:start + CHUNK] for x in inputs]
        names = indices[start:start + len(chunk[0])]
        trace_a, trace_b = cache.trace(before, chunk, start), cache.trace(after, chunk, start)
        settled = np.zeros(len(chunk[0]), dtype=bool)
        for position, (name, value_a, kind) in enumerate(anchors_a):
            if name not in anchors_b or anchors_b[name][1] != kind:
                continue
            divergence = _compare_anchor(name, value_a, anchors_b[name][0], kind, trace_a,
                                         trace_b, exact, settled, result, names)
            if divergence is not None:
                _merge(found, position, divergence)
        divergence = _compare_outputs(trace_a, trace_b, exact, settled, names)
        if divergence is not None:
            _merge(found, len(anchors_a), divergence)
    if found:
        result.divergence = found[min(found)]
    return result


def _merge(found: dict[int, Divergence], position: int, divergence: Divergence) -> None:
    if position in found:
        found[position].inputs += divergence.inputs
    else:
        found[position] = divergence


def _compare_anchor(name, value_a, value_b, kind, trace_a, trace_b, exact, settled,
                    result: Comparison, indices: list[int]) -> Divergence | None:
    """Compare one named value on the inputs not yet settled; ties go to `result`."""
    a, b = trace_a.get(value_a), trace_b.get(value_b)
    if a is None or b is None or a.shape != b.shape:
        return None
    if kind == "real":
        if not (np.issubdtype(a.dtype, np.floating) and np.issubdtype(b.dtype, np.floating)):
            return None
        mismatch = float_mismatch(a, b, exact)
        level_a = level_b = None
    else:
        level_a, level_b = levels(value_a, a), levels(value_b, b)
        if level_a is None or level_b is None:
            if not (np.issubdtype(a.dtype, np.floating) and np.issubdtype(b.dtype, np.floating)):
                return None
            level_a = level_b = None  # quantized floats, compared as they are: exactly
            mismatch = float_mismatch(a, b, exact=True)
        else:
            mismatch = level_a != level_b
    per_image = mismatch.reshape(len(mismatch), -1).any(axis=1) & ~settled
    diverged = []
    for image in np.nonzero(per_image)[0]:
        if (kind == "activation" and not exact and level_b is not None
                and _is_tie(value_a, value_b, trace_a, trace_b, image, mismatch[image],
                            level_b[image])):
            result.ties[indices[image]] = name
        else:
            diverged.append(image)
        settled[image] = True
    if not diverged:
        return None
    first = diverged[0]
    where = tuple(int(i) for i in np.argwhere(mismatch[first])[0])
    shown_a = (level_a if level_a is not None else a)[first][where]
    shown_b = (level_b if level_b is not None else b)[first][where]
    what = "level" if level_a is not None else "value"
    op_name, location = _op_label(value_b)
    return Divergence(name, op_name, location, [indices[i] for i in diverged],
                      f"first at input {indices[first]}, element {list(where)}: {what} "
                      f"{shown_a} before, {shown_b} after")


def _compare_outputs(trace_a, trace_b, exact, settled, indices: list[int]
                     ) -> Divergence | None:
    """The function results, by position, for the inputs no earlier value settled."""
    for position, (a, b) in enumerate(zip(trace_a[_OUTPUTS], trace_b[_OUTPUTS], strict=True)):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return Divergence(f"result{position}", "func.return", "", list(indices),
                              f"shape {list(a.shape)} before, {list(b.shape)} after")
        if np.issubdtype(a.dtype, np.floating) or np.issubdtype(b.dtype, np.floating):
            mismatch = float_mismatch(a, b, exact)
        else:
            mismatch = a != b
        per_image = mismatch.reshape(len(mismatch), -1).any(axis=1) & ~settled
        if per_image.any():
            images = np.nonzero(per_image)[0]
            where = tuple(int(i) for i in np.argwhere(mismatch[images[0]])[0])
            return Divergence(
                f"result{position}", "func.return", "", [indices[i] for i in images],
                f"first at input {indices[images[0]]}, element {list(where)}: "
                f"{a[images[0]][where]} before, {b[images[0]][where]} after")
    return None
