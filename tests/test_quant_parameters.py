"""Quantizer parameters (docs/dialects/quant.md, "What the verifiers check").

* Every valid Quant parameter set (bit width 1-8, signed, narrow, rounding mode, scale and
  zero point per tensor or per channel) imports and runs like qonnx's execute_onnx, bit
  for bit, and survives quant-to-integer and streamline with the same outputs.
* Every invalid one (a scale that is 0, negative, NaN, inf, subnormal or too large; a
  zero point that is NaN, inf, fractional or not a level; a bit width that is NaN, inf,
  fractional or outside [1, 32]) is a diagnostic naming the node, and the same rule
  gives the same message for the same op written as IR (the qnn-opt entry point).
* The other quantizers (BipolarQuant, Trunc, MultiThreshold, QCDQ) follow the same rules.
"""

from __future__ import annotations

import math

import numpy as np
import onnx
import pytest
from conftest import qonnx_reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx_builders import QONNX_DOMAIN, qcdq_model, single_node_model
from pass_semantics import apply_passes, assert_bit_identical

from qnn_mlir.diagnostics import QnnError, parse_module_text
from qnn_mlir.dialects import make_context
from qnn_mlir.dialects.checks import level_bounds
from qnn_mlir.dialects.quant import ROUNDING_MODES
from qnn_mlir.frontend.onnx_importer import import_onnx
from qnn_mlir.interpreter import run_module

CHANNELS = 4
NODE = "node 'Quant_0' (op type 'Quant')"
SETTINGS = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def quant_parameters(draw) -> dict:
    """A valid QONNX Quant: levels of up to 8 bits, a normal float32 scale from 2^-20 to
    2^10 (per tensor or per channel) and a zero point among the levels."""
    bits = draw(st.integers(1, 8))
    signed = draw(st.booleans())
    narrow = draw(st.booleans()) if bits > 1 else False
    low, high = level_bounds(bits, signed, narrow)
    shape = draw(st.sampled_from([(), (1, CHANNELS)]))
    exponents = draw(st.lists(st.integers(-20, 10), min_size=CHANNELS, max_size=CHANNELS))
    mantissas = draw(st.lists(st.floats(1, 2, exclude_max=True), min_size=CHANNELS,
                              max_size=CHANNELS))
    scale = np.array([m * 2.0**e for m, e in zip(mantissas, exponents, strict=True)],
                     np.float32)
    zero_shape = draw(st.sampled_from([(), (1, CHANNELS)]))
    zeros = draw(st.lists(st.integers(low, high), min_size=CHANNELS, max_size=CHANNELS))
    return {
        "bits": bits, "signed": signed, "narrow": narrow,
        "mode": draw(st.sampled_from(ROUNDING_MODES)),
        "scale": scale[0].reshape(()) if shape == () else scale.reshape(shape),
        "zeropt": np.array(zeros[0] if zero_shape == () else [zeros], np.float32),
    }


def quant_model(p: dict) -> onnx.ModelProto:
    return single_node_model(
        "Quant", [1, CHANNELS],
        {"scale": p["scale"], "zeropt": p["zeropt"], "bitwidth": np.float32(p["bits"])},
        [[1, CHANNELS]],
        {"signed": int(p["signed"]), "narrow": int(p["narrow"]), "rounding_mode": p["mode"]},
        domain=QONNX_DOMAIN)


def inputs_around_levels(p: dict, seed: int) -> np.ndarray:
    """Values on, between (ties) and beyond the levels of every channel, and zeros."""
    rng = np.random.default_rng(seed)
    low, high = level_bounds(p["bits"], p["signed"], p["narrow"])
    halves = rng.integers(2 * (low - 2), 2 * (high + 2) + 1, size=(24, CHANNELS)) / 2.0
    batch = ((halves - p["zeropt"].reshape(-1)) * p["scale"].reshape(-1)).astype(np.float32)
    batch[:8] += (rng.normal(size=(8, CHANNELS)) * p["scale"].reshape(-1)).astype(np.float32)
    batch[-1] = 0.0
    return batch


def import_model(model: onnx.ModelProto, tmp_path, name: str = "m.onnx"):
    path = str(tmp_path / name)
    onnx.save(model, path)
    return import_onnx(path), path


def import_error(model: onnx.ModelProto, tmp_path) -> str:
    with pytest.raises(QnnError) as error:
        import_model(model, tmp_path)
    return str(error.value)


# ---------------------------------------------------------------------------
# Valid parameters: same results as qonnx, before and after the integer passes
# ---------------------------------------------------------------------------


@SETTINGS
@given(parameters=quant_parameters(), seed=st.integers(0, 2**16))
def test_valid_quant_matches_qonnx(parameters, seed, tmp_path):
    module, path = import_model(quant_model(parameters), tmp_path)
    batch = inputs_around_levels(parameters, seed)
    np.testing.assert_array_equal(run_module(module, [batch])[0], qonnx_reference(path, batch))


@SETTINGS
@given(parameters=quant_parameters(), seed=st.integers(0, 2**16))
def test_valid_quant_survives_the_integer_passes(parameters, seed, tmp_path):
    """quant-to-integer and streamline read the constants the verifier accepted: an
    activation quantizer becomes exact thresholds times the scale, bit for bit. (A
    per-channel zero point has no integer form: the pass says so, tested elsewhere.)"""
    parameters["zeropt"] = parameters["zeropt"].reshape(-1)[:1].reshape(())
    module, _ = import_model(quant_model(parameters), tmp_path)
    after = apply_passes(module, ["quant-to-integer", "streamline"])
    assert "quant.int_quant" not in str(after)
    assert_bit_identical(module, after, [inputs_around_levels(parameters, seed)])


def test_widest_activation_quantizer_is_a_diagnostic(tmp_path):
    """A 17-bit activation would need 131071 thresholds per channel: a diagnostic from the
    pass, not an allocation of gigabytes."""
    p = {"bits": 17, "signed": True, "narrow": False, "mode": "ROUND",
         "scale": np.float32(0.5), "zeropt": np.float32(0)}
    module, _ = import_model(quant_model(p), tmp_path)
    with pytest.raises(Exception, match="integer activations have at most 16 bits"):
        apply_passes(module, ["quant-to-integer"])


def test_infinite_thresholds_are_valid(tmp_path, rng):
    """-inf: a level every input reaches; +inf: one none reaches."""
    thresholds = np.array([[-np.inf, -0.5, 0.5, np.inf]] * CHANNELS, np.float32)
    model = single_node_model("MultiThreshold", [1, CHANNELS], {"thresholds": thresholds},
                              [[1, CHANNELS]], domain=QONNX_DOMAIN)
    module, path = import_model(model, tmp_path)
    batch = rng.normal(size=(16, CHANNELS)).astype(np.float32)
    np.testing.assert_array_equal(run_module(module, [batch])[0], qonnx_reference(path, batch))


# ---------------------------------------------------------------------------
# Invalid parameters: a diagnostic naming the node, the same from ONNX and from IR
# ---------------------------------------------------------------------------

SCALE_CORRUPTIONS = [
    (0.0, "scale must be finite and > 0, got 0"),
    (-0.25, "scale must be finite and > 0, got -0.25"),
    (math.nan, "scale must be finite and > 0, got nan"),
    (math.inf, "scale must be finite and > 0, got inf"),
    (1e-40, "is below float32's smallest normal number"),
    (1e30, "quantized magnitudes are limited to 2^32"),
]
ZERO_POINT_CORRUPTIONS = [
    (math.nan, "zero point must be finite, got nan"),
    (-math.inf, "zero point must be finite, got -inf"),
    (0.5, "zero point must be an integer, got 0.5"),
]
BIT_WIDTH_CORRUPTIONS = [
    (math.nan, "bitwidth must be a single integer, got nan"),
    (math.inf, "bitwidth must be a single integer, got inf"),
    (4.5, "bitwidth must be a single integer, got 4.5"),
    (0.0, "bitwidth 0 is outside the supported range [1, 32]"),
    (33.0, "bitwidth 33 is outside the supported range [1, 32]"),
]


def corrupted(values: np.ndarray, value: float, index: int) -> np.ndarray:
    """`values` with one element (all of a scalar) replaced by `value`."""
    changed = np.array(values, np.float32)
    changed.flat[index % changed.size] = value
    return changed


@SETTINGS
@given(parameters=quant_parameters(), data=st.data())
def test_invalid_scale_or_zero_point_is_rejected(parameters, data, tmp_path):
    role, (value, message) = data.draw(st.sampled_from(
        [("scale", c) for c in SCALE_CORRUPTIONS]
        + [("zeropt", c) for c in ZERO_POINT_CORRUPTIONS]))
    index = data.draw(st.integers(0, CHANNELS - 1))
    parameters[role] = corrupted(parameters[role], value, index)
    text = import_error(quant_model(parameters), tmp_path)
    assert f"{NODE}: error: 'quant.int_quant' " in text and message in text


@SETTINGS
@given(parameters=quant_parameters(), outside=st.sampled_from(["below", "above"]))
def test_zero_point_outside_the_levels_is_rejected(parameters, outside, tmp_path):
    low, high = level_bounds(parameters["bits"], parameters["signed"], parameters["narrow"])
    parameters["zeropt"] = np.float32(low - 1 if outside == "below" else high + 1)
    text = import_error(quant_model(parameters), tmp_path)
    assert f"'quant.int_quant' zero point {parameters['zeropt']:g} is outside [{low}, {high}]" \
        in text


@pytest.mark.parametrize("bits,message", BIT_WIDTH_CORRUPTIONS)
def test_invalid_bit_width_is_rejected(bits, message, tmp_path):
    p = {"bits": bits, "signed": True, "narrow": False, "mode": "ROUND",
         "scale": np.float32(0.5), "zeropt": np.float32(0)}
    assert f"{NODE}: error: {message}" in import_error(quant_model(p), tmp_path)


def dense(array: np.ndarray) -> str:
    """A float32 tensor as `dense<"0x...">`, the form that carries NaN and inf exactly."""
    data = np.ascontiguousarray(array, dtype="<f4")
    shape = "x".join(map(str, data.shape))
    return f'dense<"0x{data.tobytes().hex().upper()}"> : tensor<{shape}{"x" if shape else ""}f32>'


def int_quant_ir(p: dict) -> str:
    """The same quantizer written as IR, as qnn-opt reads it."""
    scale, zero = np.asarray(p["scale"], np.float32), np.asarray(p["zeropt"], np.float32)
    types = f"tensor<1x{CHANNELS}xf32>, {dense(scale).split(' : ')[1]}, " \
        f"{dense(zero).split(' : ')[1]}"
    return (
        f"func.func @main(%x: tensor<1x{CHANNELS}xf32>) -> tensor<1x{CHANNELS}xf32> {{\n"
        f"  %s = arith.constant {dense(scale)}\n"
        f"  %z = arith.constant {dense(zero)}\n"
        f"  %q = quant.int_quant %x, %s, %z {{bitwidth = {p['bits']} : i64, signed = "
        f"{str(p['signed']).lower()}, narrow = {str(p['narrow']).lower()}, rounding_mode = "
        f"\"{p['mode']}\"}} : ({types}) -> tensor<1x{CHANNELS}xf32>\n"
        f"  func.return %q : tensor<1x{CHANNELS}xf32>\n}}\n")


@SETTINGS
@given(parameters=quant_parameters(), data=st.data())
def test_ir_and_onnx_get_the_same_message(parameters, data, tmp_path):
    """The rule lives in the op's verifier: hand-written IR is rejected at the op's line
    with the message the importer gives under the node's name."""
    role, (value, _) = data.draw(st.sampled_from(
        [("scale", c) for c in SCALE_CORRUPTIONS]
        + [("zeropt", c) for c in ZERO_POINT_CORRUPTIONS]))
    parameters[role] = corrupted(parameters[role], value, data.draw(st.integers(0, 3)))
    from_onnx = import_error(quant_model(parameters), tmp_path).split(f"{NODE}: error: ")[1]
    with pytest.raises(QnnError) as error:
        parse_module_text(make_context(), int_quant_ir(parameters), "q.mlir")
    assert str(error.value).startswith(f"q.mlir:4:3: error: {from_onnx}\n")


def test_valid_ir_parameters_verify():
    p = {"bits": 4, "signed": False, "narrow": True, "mode": "HALF_UP",
         "scale": np.array([[0.5, 2.0**-126, 1e-3, 2.0**28]], np.float32),
         "zeropt": np.array([[0, 14, 3, 0]], np.float32)}
    parse_module_text(make_context(), int_quant_ir(p), "q.mlir")


# ---------------------------------------------------------------------------
# The other quantizers
# ---------------------------------------------------------------------------

def other_quantizer(op_type: str, parameters: dict, **attributes) -> onnx.ModelProto:
    return single_node_model(op_type, [1, CHANNELS], parameters, [[1, CHANNELS]], attributes,
                             domain=QONNX_DOMAIN)


TRUNC = {"scale": np.float32(0.25), "zeropt": np.float32(0), "in_bits": np.float32(8),
         "out_bits": np.float32(4)}

OTHER_CASES = {
    "bipolar-scale-zero": (other_quantizer("BipolarQuant", {"scale": np.float32(0)}),
                           "'quant.bipolar_quant' scale must be finite and > 0, got 0"),
    "bipolar-scale-too-large": (
        other_quantizer("BipolarQuant", {"scale": np.float32(1e10)}),
        "'quant.bipolar_quant' scale 1e+10 times the largest level magnitude 1 is 1e+10"),
    "trunc-scale-nan": (other_quantizer("Trunc", {**TRUNC, "scale": np.float32(np.nan)}),
                        "'quant.trunc' scale must be finite and > 0, got nan"),
    "trunc-zeropt-fraction": (other_quantizer("Trunc", {**TRUNC, "zeropt": np.float32(0.5)}),
                              "'quant.trunc' zero point must be an integer, got 0.5"),
    "trunc-out-scale-negative": (
        other_quantizer("Trunc", {"scale": np.float32(0.25), "zeropt": np.float32(0),
                                  "in_bits": np.float32(8), "out_scale": np.float32(-1),
                                  "out_bits": np.float32(4)}),
        "'quant.trunc' out_scale must be finite and > 0, got -1"),
    "trunc-bit-width-inf": (other_quantizer("Trunc", {**TRUNC, "in_bits": np.float32(np.inf)}),
                            "input bit width must be a single integer, got inf"),
    "multithreshold-layout-not-utf8": (
        other_quantizer("MultiThreshold", {"thresholds": np.zeros((1, 2), np.float32)},
                        data_layout=b"\xff"),
        "attribute 'data_layout' = b'\\xff' is not UTF-8 text"),
    "multithreshold-nan": (
        other_quantizer("MultiThreshold",
                        {"thresholds": np.array([[0, np.nan]] * CHANNELS, np.float32)}),
        "'quant.multithreshold' thresholds must not be NaN, got NaN at index [0, 1]"),
    "multithreshold-out-scale-inf": (
        other_quantizer("MultiThreshold", {"thresholds": np.zeros((1, 2), np.float32)},
                        out_scale=math.inf),
        "'quant.multithreshold' out_scale must be a finite number, got inf"),
}


@pytest.mark.parametrize("case", sorted(OTHER_CASES))
def test_other_quantizers_reject_invalid_parameters(case, tmp_path):
    model, message = OTHER_CASES[case]
    node = model.graph.node[0]
    text = import_error(model, tmp_path)
    assert f"node '{node.name}' (op type '{node.op_type}'): error: {message}" in text


def with_initializer(model: onnx.ModelProto, name: str, value: np.ndarray) -> onnx.ModelProto:
    for tensor in model.graph.initializer:
        if tensor.name == name:
            tensor.CopyFrom(onnx.numpy_helper.from_array(value, name))
    return model


@pytest.mark.parametrize("scale,message", [
    (np.nan, "scale must be finite and > 0, got nan"),
    (np.inf, "scale must be finite and > 0, got inf"),
    (0.0, "scale must be finite and > 0, got 0"),
])
def test_qcdq_scale_follows_the_same_rule(scale, message, tmp_path):
    model = with_initializer(qcdq_model(dequantize_scale=scale), "s", np.float32(scale))
    text = import_error(model, tmp_path)
    assert "(op type 'DequantizeLinear'): error: " + message in text


def test_qcdq_zero_point_must_be_a_level(tmp_path):
    """The zero point 3 is not a level of the 1-bit range the Clip [0, 1] leaves."""
    text = import_error(qcdq_model(clip=(0, 1)), tmp_path)
    assert "node 'clip' (op type 'Clip'): error: zero point 3 is outside [0, 1], the levels " \
        "of a 1-bit unsigned quantizer" in text
