"""Property test of streamline: random chains of the ops users' models put in front of an
activation quantizer fold into thresholds that compute exactly what the chain computes.

Each example is a function: a source (a float input, an integer input, or the
accumulator of a small integer matmul), a chain of scalar or per-channel
multiplications, divisions, additions and subtractions of both signs, BatchNorm
with negative gammas, ReLU and reshapes, and a quantizer: a QONNX `int_quant`
(any bit width, sign, narrowness, rounding mode, zero point, per-tensor or
per-channel scale), a `bipolar_quant`, or a multithreshold (bipolar, signed or
unsigned levels, thresholds shared or per channel). The streamline pipeline
(quant-to-integer, streamline, binarize-xnor) runs on it; the interpreter before
it is the oracle: integer sources are checked on every value they can
take, float sources on the thresholds streamline found, the float32 neighbours
on both sides of each, and random values (thresholds are exact for every finite input
whose chain stays finite; infinities and NaN follow the policy for non-finite values).
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pass_semantics import apply_passes, assert_bit_identical

from qnn_mlir.diagnostics import parse_module_text
from qnn_mlir.dialects import make_context, quant
from qnn_mlir.dialects.datatypes import integer_bounds
from qnn_mlir.ir_constants import constant_array

FLOATS = st.floats(-4.0, 4.0, width=32, allow_subnormal=False)
NONZERO = st.one_of(st.floats(2.0**-10, 4.0, width=32), st.floats(-4.0, -(2.0**-10), width=32))


def _dense(values: np.ndarray) -> str:
    """A dense literal that parses back to exactly these float32 values."""
    return "dense<" + np.array2string(
        np.asarray(values, dtype=np.float64), separator=", ", threshold=10**6,
        floatmode="unique", formatter={"float_kind": lambda v: repr(float(v))}) + ">"


class ChainWriter:
    """Writes one function's body, one SSA value at a time."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.count = 0

    def constant(self, values: np.ndarray, element: str = "f32") -> str:
        name = f"%c{self.count}"
        self.count += 1
        shape = "x".join(str(d) for d in values.shape)
        text = (_dense(values) if element == "f32"
                else "dense<" + str(np.asarray(values).tolist()) + ">")
        kind = f"tensor<{shape}x{element}>" if shape else f"tensor<{element}>"
        self.lines.append(f"  {name} = arith.constant {text} : {kind}")
        return f"{name}:{kind}"

    def op(self, text: str, operands: list[str], result: str) -> str:
        name = f"%v{self.count}"
        self.count += 1
        values = ", ".join(o.split(":")[0] for o in operands)
        types = ", ".join(o.split(":")[1] for o in operands)
        self.lines.append(f"  {name} = {text.replace('@', values, 1)} : ({types}) -> {result}")
        return f"{name}:{result}"


def _tensor(shape: tuple[int, ...], element: str) -> str:
    return f"tensor<{'x'.join(str(d) for d in shape)}x{element}>"


@st.composite
def chains(draw):
    """(IR text, source kind, channels) of one random function."""
    channels = draw(st.integers(1, 4))
    source = draw(st.sampled_from(["float", "integer", "matmul"]))
    writer = ChainWriter()
    if source == "float":
        args, value, shape = f"%x: {_tensor((1, channels), 'f32')}", None, (1, channels)
        value = f"%x:{_tensor(shape, 'f32')}"
    elif source == "integer":
        args = f"%x: {_tensor((1, channels), 'si5')}"
        shape, value = (1, channels), f"%x:{_tensor((1, channels), 'si5')}"
    else:  # an accumulator, whose falling channels negate a weight column
        weights = np.array(draw(st.lists(st.integers(-3, 3), min_size=3 * channels,
                                         max_size=3 * channels))).reshape(3, channels)
        args = f"%x: {_tensor((1, 3), 'ui2')}"
        w = writer.constant(weights, "si3")
        shape = (1, channels)
        value = writer.op("quant.matmul @", [f"%x:{_tensor((1, 3), 'ui2')}", w],
                          _tensor(shape, "si8"))
    per_channel_seen = False
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["mul", "div", "add", "sub", "rsub", "batchnorm", "relu",
                                     "reshape"]))
        float_shape = _tensor(shape, "f32")
        if kind == "reshape":
            shape = (1, channels, 1, 1) if len(shape) == 2 else (1, channels)
            element = value.split("x")[-1].rstrip(">")
            value = writer.op("quant.reshape @", [value], _tensor(shape, element))
            continue
        if kind == "relu":
            value = writer.op("quant.relu @", [value], value.split(":")[1])
            continue
        if kind == "batchnorm":
            params = [np.array(draw(st.lists(strategy, min_size=channels, max_size=channels)),
                               dtype=np.float32)
                      for strategy in (FLOATS, FLOATS, FLOATS, st.floats(0.125, 3.0, width=32))]
            value = writer.op("quant.batchnorm @ {epsilon = 1.0e-05 : f32}",
                              [value] + [writer.constant(p) for p in params], float_shape)
            per_channel_seen = True
            continue
        per_channel = draw(st.booleans())
        per_channel_seen |= per_channel
        size = channels if per_channel else 1
        operand = np.array(draw(st.lists(NONZERO if kind in ("mul", "div") else FLOATS,
                                         min_size=size, max_size=size)), dtype=np.float32)
        operand = operand.reshape((1, size) + (1,) * (len(shape) - 2))
        constant = writer.constant(operand)
        operands = [constant, value] if kind == "rsub" else [value, constant]
        name = "sub" if kind == "rsub" else kind
        value = writer.op(f"quant.{name} @", operands, float_shape)
    if value.split(":")[1].endswith("si5>") or value.split(":")[1].endswith("si8>"):
        value = writer.op("quant.mul @", [value, writer.constant(np.float32(1.5))],
                          _tensor(shape, "f32"))
    kind = draw(st.sampled_from(["multithreshold", "int_quant", "bipolar_quant"]))
    result, output = (_int_quant(draw, writer, value, shape, channels) if kind == "int_quant"
                      else _bipolar_quant(draw, writer, value, shape) if kind == "bipolar_quant"
                      else _multithreshold(draw, writer, value, shape, channels))
    body = "\n".join(writer.lines)
    text = (f"func.func @chain({args}) -> {result} {{\n{body}\n"
            f"  func.return {output.split(':')[0]} : {result}\n}}\n")
    return text, source, channels, per_channel_seen


def _multithreshold(draw, writer: ChainWriter, value: str, shape, channels: int):
    """A multithreshold with random ascending thresholds, shared or per channel."""
    bits = draw(st.sampled_from([1, 2, 3]))
    levels = 1 if bits == 1 else 2**bits - 1
    rows = channels if draw(st.booleans()) else 1
    table = np.sort(np.array(draw(st.lists(FLOATS, min_size=rows * levels,
                                           max_size=rows * levels)),
                             dtype=np.float32).reshape(rows, levels), axis=1)
    if bits == 1:
        element, attrs = "!quant.bipolar", "{out_scale = 2.0 : f64, out_bias = -1.0 : f64}"
    elif draw(st.booleans()):
        element, attrs = f"si{bits}", f"{{out_bias = {-(2 ** (bits - 1))}.0 : f64}}"
    else:
        element, attrs = f"ui{bits}", "{}"
    result = _tensor(shape, element)
    output = writer.op(f"quant.multithreshold @ {attrs}", [value, writer.constant(table)],
                       result)
    return result, output


def _int_quant(draw, writer: ChainWriter, value: str, shape, channels: int):
    """A QONNX quantizer (as imported): any bit width, sign, narrowness, rounding mode,
    zero point, and a scale per tensor or per channel."""
    bits = draw(st.integers(2, 5))
    signed, narrow = draw(st.booleans()), draw(st.booleans())
    size = channels if draw(st.booleans()) else 1
    scale = np.array(draw(st.lists(st.floats(2.0**-4, 2.0, width=32), min_size=size,
                                   max_size=size)), dtype=np.float32)
    scale = scale.reshape((1, size) + (1,) * (len(shape) - 2))
    # the zero point is one of the levels (the quantizer's verifier requires it)
    low, high = integer_bounds(bits, signed, narrow)
    zero = np.float32(draw(st.integers(max(low, -2), min(high, 2))))
    mode = draw(st.sampled_from(quant.ROUNDING_MODES))
    result = _tensor(shape, "f32")
    output = writer.op(
        f"quant.int_quant @ {{bitwidth = {bits} : i64, signed = {str(signed).lower()}, "
        f"narrow = {str(narrow).lower()}, rounding_mode = \"{mode}\"}}",
        [value, writer.constant(scale), writer.constant(zero)], result)
    return result, output


def _bipolar_quant(draw, writer: ChainWriter, value: str, shape):
    scale = np.float32(draw(st.floats(2.0**-4, 2.0, width=32)))
    result = _tensor(shape, "f32")
    return result, writer.op("quant.bipolar_quant @", [value, writer.constant(scale)], result)


def _inputs(source: str, channels: int, after, rng: np.random.Generator) -> np.ndarray:
    """Every value an integer source takes; for a float source the folded thresholds, the
    two float32 neighbours on each side, and random values."""
    if source == "integer":
        column = np.arange(-16, 16)
        return np.repeat(column[:, None], channels, axis=1).astype(np.int64)
    if source == "matmul":
        combos = np.array(list(itertools.product(range(4), repeat=3)), dtype=np.int64)
        return combos
    thresholds = [constant_array(op.thresholds) for op in after.walk()
                  if isinstance(op, quant.MultiThresholdOp)][0].astype(np.float32)
    rows = np.broadcast_to(thresholds, (channels, thresholds.shape[1]))
    finite = np.where(np.isfinite(rows), rows, np.float32(0))
    probes = [finite]
    for direction in (np.inf, -np.inf):
        step = finite
        for _ in range(2):
            with np.errstate(over="ignore"):
                step = np.nextafter(step, np.float32(direction)).astype(np.float32)
            probes.append(step)
    near = np.concatenate(probes, axis=1).T  # (probes, channels)
    # exact for finite inputs whose chain stays finite: x * 2 overflows near float max
    near = np.where(np.abs(near) < 2.0**100, near, np.float32(0))
    noise = rng.normal(scale=3.0, size=(64, channels)).astype(np.float32)
    return np.concatenate([near, noise]).astype(np.float32)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chains(), st.integers(0, 2**32 - 1))
def test_the_streamline_pipeline_keeps_every_chain_bit_for_bit(example, seed):
    text, source, channels, per_channel = example
    before = parse_module_text(make_context(), text, "chain.mlir")
    after = apply_passes(before, ["quant-to-integer", "streamline", "binarize-xnor"])
    folded = [op for op in after.walk() if isinstance(op, quant.MultiThresholdOp)]
    assert len(folded) == 1, str(after)
    left = [op.name for op in after.walk()
            if isinstance(op, quant.AddOp | quant.SubOp | quant.DivOp | quant.BatchNormOp
                          | quant.ReluOp)]
    assert not left, f"unfolded {left} in\n{after}"
    rows = quant.shape_of(folded[0].thresholds)[0]
    if per_channel and source != "float":
        assert rows == channels
    inputs = _inputs(source, channels, after, np.random.default_rng(seed))
    assert_bit_identical(before, after, [inputs])
