"""Mutations of ONNX models: quantizer parameters, and the structure of the graph.

Each mutation edits a copy of a seed in place and returns a `Mutation`: what it
did, and why the result is invalid when it knows it is. The rules for invalid
quantizer parameters are written here from the QONNX definition (FACTS.md),
not taken from the compiler, so that the fuzz test judges the compiler against
an independent statement of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper, numpy_helper

FLOAT32_TINY = float(np.finfo(np.float32).tiny)

HOSTILE_STRINGS = ("a\nb", "x*/y", "//c", 'q"uote', "it's", "back\\slash", "[exec touch PWNED]",
                   "{brace}", "$env(HOME)", "λ-ünï", "n" * 300, " ", "%0", "@sym", "a\rb")
"""Names a hostile or careless user could give a tensor or node."""

SPECIAL_STRINGS = tuple(text for text in HOSTILE_STRINGS if not text.isidentifier())
"""The hostile strings that are not identifiers: each must be escaped wherever it is
printed (a plain identifier in a callee's place is merely an unknown function)."""


@dataclass
class Mutation:
    """What one mutation did; `invalid` says why the model is now invalid, if it is."""

    what: str
    invalid: str | None = None


def initializers_by_name(model: onnx.ModelProto) -> dict[str, onnx.TensorProto]:
    return {t.name: t for t in model.graph.initializer}


def set_initializer(model: onnx.ModelProto, name: str, value: np.ndarray) -> None:
    tensor = initializers_by_name(model)[name]
    tensor.CopyFrom(numpy_helper.from_array(np.asarray(value), name))


def _attribute(node: onnx.NodeProto, name: str, default):
    for attribute in node.attribute:
        if attribute.name == name:
            value = helper.get_attribute_value(attribute)
            return value.decode() if isinstance(value, bytes) else value
    return default


def _set_attribute(node: onnx.NodeProto, name: str, value) -> None:
    for attribute in list(node.attribute):
        if attribute.name == name:
            node.attribute.remove(attribute)
    node.attribute.append(helper.make_attribute(name, value))


# ---------------------------------------------------------------------------
# Quantizer parameters
# ---------------------------------------------------------------------------


def integer_range(bits: int, signed: bool, narrow: bool) -> tuple[int, int]:
    """The levels of a QONNX integer quantizer (FACTS.md, "Quant")."""
    if signed:
        low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        return (low + 1 if narrow else low), high
    return 0, (2 ** bits - 2 if narrow else 2 ** bits - 1)


LARGEST_DEQUANTIZED = 2.0 ** 32
"""The largest magnitude a quantizer may output: the float model multiplies and sums its
outputs, and beyond 2**32 a layer's products and sums can overflow float32."""


def scale_problem(scale: np.ndarray, largest_level: float) -> str | None:
    """Why a scale tensor is invalid: not finite, not positive, subnormal, or so large that
    the largest level times it exceeds LARGEST_DEQUANTIZED."""
    values = np.asarray(scale, dtype=np.float64).ravel()
    if values.size == 0:
        return "an empty scale"
    if not np.all(np.isfinite(values)):
        return "a non-finite scale"
    if np.any(values <= 0):
        return "a scale that is not positive"
    if np.any(values < FLOAT32_TINY):
        return "a subnormal scale"
    if largest_level * float(values.max()) > LARGEST_DEQUANTIZED:
        return "a scale whose largest level exceeds 2**32"
    return None


def quant_problem(scale, zeropt, bits, signed: bool, narrow: bool) -> str | None:
    """Why the parameters of a QONNX Quant node are invalid, or None."""
    bits = np.asarray(bits, dtype=np.float64)
    if bits.size != 1 or not math.isfinite(bits.item()) or bits.item() != int(bits.item()):
        return "a bit width that is not one integer"
    width = int(bits.item())
    if not 1 <= width <= 32:
        return "a bit width outside [1, 32]"
    low, high = integer_range(width, signed, narrow)
    zeros = np.asarray(zeropt, dtype=np.float64).ravel()
    if not np.all(np.isfinite(zeros)) or np.any(zeros != np.round(zeros)):
        return "a zero point that is not an integer"
    if np.any(zeros < low) or np.any(zeros > high):
        return "a zero point outside the integer range"
    # The output is (level - zero point) * scale, at most this many scales from 0.
    largest = max(high - zeros.min(initial=0), zeros.max(initial=0) - low)
    return scale_problem(scale, float(largest))


SCALE_CHOICES: tuple[Callable[[np.random.Generator], float], ...] = (
    lambda r: 2.0 ** int(r.integers(-8, 4)), lambda r: float(r.uniform(0.01, 4)),
    lambda r: 0.0, lambda r: -0.0, lambda r: -0.5, lambda r: math.nan, lambda r: math.inf,
    lambda r: -math.inf, lambda r: 3e38, lambda r: 1e-41, lambda r: 1e-30)
ZEROPT_CHOICES: tuple[Callable[[np.random.Generator], float], ...] = (
    lambda r: 0.0, lambda r: float(r.integers(-8, 9)), lambda r: 0.5, lambda r: math.nan,
    lambda r: math.inf, lambda r: 1e9, lambda r: -1.0, lambda r: 255.0)
BITS_CHOICES = (1.0, 2.0, 3.0, 4.0, 8.0, 16.0, 32.0, 0.0, 33.0, 40.0, 4.5, -2.0, math.nan,
                math.inf, 1e10)


def _quantizers(model: onnx.ModelProto) -> list[onnx.NodeProto]:
    initializers = initializers_by_name(model)
    inputs = {"Quant": 4, "BipolarQuant": 2}  # a node with others is a structural defect
    return [n for n in model.graph.node
            if inputs.get(n.op_type) == len(n.input)
            and all(name in initializers for name in n.input[1:])]


def _new_values(old: np.ndarray, choose: Callable[[np.random.Generator], float],
                rng: np.random.Generator) -> np.ndarray:
    """`old`'s shape, every element drawn (per-channel), or one element replaced."""
    shape = old.shape
    if old.size > 1 and rng.random() < 0.5:
        values = np.array(old, dtype=np.float32)
        values.flat[int(rng.integers(old.size))] = choose(rng)
        return values
    return np.full(shape, choose(rng), dtype=np.float32)


def quantizer_problem(model: onnx.ModelProto, shapes: dict[str, tuple[int, ...]]) -> str | None:
    """Why any quantizer of `model` has invalid parameters (initializers may be shared by
    several quantizers, so every one is judged), or None. `shapes` are the seed's tensor
    shapes, to check that a scale broadcasts to its input."""
    initializers = initializers_by_name(model)
    for node in _quantizers(model):
        values = [numpy_helper.to_array(initializers[name]) for name in node.input[1:]]
        source = shapes.get(node.input[0])
        if source is not None:
            for value in values[:2]:
                try:
                    if np.broadcast_shapes(value.shape, source) != tuple(source):
                        raise ValueError
                except ValueError:
                    return f"a parameter of '{node.name}' that does not broadcast to its input"
        if node.op_type == "BipolarQuant":
            problem = scale_problem(values[0], 1.0)
        else:
            problem = quant_problem(*values[:3], bool(_attribute(node, "signed", 1)),
                                    bool(_attribute(node, "narrow", 0)))
        if problem is not None:
            return f"{problem} in '{node.name}'"
    return None


def mutate_quantizer(model: onnx.ModelProto, rng: np.random.Generator) -> Mutation:
    """Change one parameter or attribute of one Quant/BipolarQuant node (the caller judges
    the result with `quantizer_problem`)."""
    candidates = _quantizers(model)
    node = candidates[int(rng.integers(len(candidates)))]
    bipolar = node.op_type == "BipolarQuant"
    roles = ["scale"] if bipolar else ["scale", "scale", "zeropt", "zeropt", "bits", "signed",
                                        "narrow", "rounding_mode", "scale-shape"]
    role = roles[int(rng.integers(len(roles)))]
    where = f"{role} of '{node.name}'"
    if role in ("signed", "narrow"):
        value = 1 - int(_attribute(node, role, 1 if role == "signed" else 0))
        _set_attribute(node, role, value)
        return Mutation(f"{where} = {value}")
    if role == "rounding_mode":
        mode = str(rng.choice(["ROUND", "CEIL", "FLOOR", "HALF_UP", "BANANA", "round"]))
        _set_attribute(node, role, mode)
        known = mode.upper() in ("ROUND", "CEIL", "FLOOR", "UP", "DOWN", "HALF_UP", "HALF_DOWN")
        return Mutation(f"{where} = {mode!r}", None if known else "an unknown rounding mode")
    if role == "scale-shape":
        channels = int(rng.integers(2, 8))
        shape = [(1, channels), (channels,), (channels, 1), (1, 1, 1, 1, 1)][int(rng.integers(4))]
        set_initializer(model, node.input[1], np.full(shape, 0.5, dtype=np.float32))
        return Mutation(f"{where}: scale of shape {list(shape)}")
    name = node.input[{"scale": 1, "zeropt": 2, "bits": 3}[role]]
    if role == "bits":
        new = np.asarray(BITS_CHOICES[int(rng.integers(len(BITS_CHOICES)))], np.float32)
    else:
        choices = SCALE_CHOICES if role == "scale" else ZEROPT_CHOICES
        old = numpy_helper.to_array(initializers_by_name(model)[name])
        new = _new_values(old, choices[int(rng.integers(len(choices)))], rng)
    set_initializer(model, name, new)
    return Mutation(f"{where} = {np.asarray(new).ravel()[:4].tolist()}")
