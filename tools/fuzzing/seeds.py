"""The models every fuzz family starts from, built with onnx.helper in milliseconds.

They are written the way Brevitas exports look after `export_qonnx`: a Quant
node on every weight, an input quantizer, biases as Add, BatchNormalization
between a layer and its activation quantizer, Conv with padding and stride,
MaxPool, a Flatten in front of the classifier. Two trained models from
`examples/` (a Brevitas LeNet-5 with learned float scales, and TFC-w1a1) join
them so that real exports are mutated too.

Scales of the hand-built models are powers of two, so every value the model
computes is exact in float32 and the differential check can be bit for bit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

QONNX = "qonnx.custom_op.general"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass(frozen=True)
class Seed:
    """A starting model: its name and serialized ONNX bytes."""

    name: str
    model: bytes

    def proto(self) -> onnx.ModelProto:
        return onnx.load_from_string(self.model)

    @property
    def input_shape(self) -> tuple[int, ...]:
        dims = self.proto().graph.input[0].type.tensor_type.shape.dim
        return tuple(d.dim_value for d in dims)


class _Builder:
    """Accumulates nodes and initializers with Brevitas-like names."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []

    def constant(self, name: str, value) -> str:
        self.initializers.append(numpy_helper.from_array(np.asarray(value, np.float32), name))
        return name

    def node(self, op_type: str, inputs: list[str], name: str, domain: str = "",
             **attributes) -> str:
        output = f"{name}_out0"
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=name, domain=domain,
                                           **attributes))
        return output

    def quant(self, source: str, layer: str, scale, bits: int, signed: bool = True,
              narrow: bool = False, zeropt=0.0) -> str:
        """A QONNX Quant node with its own scale, zero point and bit width."""
        inputs = [source, self.constant(f"{layer}.scale", scale),
                  self.constant(f"{layer}.zero_point", zeropt),
                  self.constant(f"{layer}.bit_width", float(bits))]
        return self.node("Quant", inputs, f"/{layer}/Quant", QONNX, signed=int(signed),
                         narrow=int(narrow), rounding_mode="ROUND")

    def weight(self, layer: str, shape: tuple[int, ...], bits: int) -> str:
        """A float weight and its Quant: integer levels times a power-of-two scale."""
        levels = 2 ** (bits - 1) - 1
        values = self.rng.integers(-levels, levels + 1, size=shape) * 0.125
        return self.quant(self.constant(f"{layer}.weight", values), f"{layer}.weight_quant",
                          0.125, bits, narrow=True)

    def batchnorm(self, source: str, layer: str, channels: int) -> str:
        """BatchNormalization with power-of-two statistics, some gammas negative."""
        gamma = self.rng.choice([-1.0, -0.5, 0.5, 1.0, 2.0], size=channels)
        beta = self.rng.integers(-4, 5, size=channels) * 0.25
        mean = self.rng.integers(-4, 5, size=channels) * 0.5
        var = np.ones(channels)  # with epsilon 0 the normalisation divides by 1: exact
        inputs = [source] + [self.constant(f"{layer}.{n}", v) for n, v in
                             (("weight", gamma), ("bias", beta), ("running_mean", mean),
                              ("running_var", var))]
        return self.node("BatchNormalization", inputs, f"/{layer}/BatchNormalization",
                         epsilon=0.0)

    def model(self, input_shape: tuple[int, ...], output: str,
              output_shape: tuple[int, ...]) -> bytes:
        graph = helper.make_graph(
            self.nodes, "seed",
            [helper.make_tensor_value_info("global_in", TensorProto.FLOAT, list(input_shape))],
            [helper.make_tensor_value_info(output, TensorProto.FLOAT, list(output_shape))],
            self.initializers)
        proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                        helper.make_opsetid(QONNX, 1)])
        proto.ir_version = 8
        onnx.checker.check_model(proto)
        return proto.SerializeToString()


def _mlp(rng: np.random.Generator) -> bytes:
    """8 -> 12 -> 5: 4-bit input and weights, a bias, BatchNorm, 3-bit ReLU."""
    b = _Builder(rng)
    x = b.quant("global_in", "input_quant", 0.25, 4)
    x = b.node("MatMul", [x, b.weight("fc1", (8, 12), 4)], "/fc1/MatMul")
    x = b.node("Add", [x, b.constant("fc1.bias", rng.integers(-4, 5, 12) * 0.25)], "/fc1/Add")
    x = b.batchnorm(x, "bn1", 12)
    x = b.node("Relu", [x], "/relu1/Relu")
    x = b.quant(x, "relu1.act_quant", 0.5, 3, signed=False)
    x = b.node("MatMul", [x, b.weight("fc2", (12, 5), 3)], "/fc2/MatMul")
    return b.model((1, 8), x, (1, 5))


def _cnn(rng: np.random.Generator) -> bytes:
    """2x9x9 image: 3x3 conv (pad 1, stride 2), BatchNorm, ReLU, 2x2 max pool, classifier."""
    b = _Builder(rng)
    x = b.quant("global_in", "input_quant", 0.125, 5)
    x = b.node("Conv", [x, b.weight("conv1", (4, 2, 3, 3), 4)], "/conv1/Conv",
               kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2])
    x = b.batchnorm(x, "bn1", 4)
    x = b.node("Relu", [x], "/relu1/Relu")
    x = b.quant(x, "relu1.act_quant", 0.25, 4, signed=False)
    x = b.node("MaxPool", [x], "/pool1/MaxPool", kernel_shape=[2, 2], strides=[2, 2])
    x = b.node("Flatten", [x], "/Flatten", axis=1)
    x = b.node("MatMul", [x, b.weight("fc", (16, 3), 4)], "/fc/MatMul")
    return b.model((1, 2, 9, 9), x, (1, 3))


def _binarized(rng: np.random.Generator) -> bytes:
    """16 -> 10 -> 4, bipolar weights and activations with BatchNorm between."""
    b = _Builder(rng)
    x = b.node("BipolarQuant", ["global_in", b.constant("in.scale", 1.0)], "/in/BipolarQuant",
               QONNX)
    for index, (rows, cols) in enumerate(((16, 10), (10, 4))):
        weight = b.constant(f"fc{index}.weight", rng.choice([-0.5, 0.5], size=(rows, cols)))
        weight = b.node("BipolarQuant", [weight, b.constant(f"fc{index}.scale", 1.0)],
                        f"/fc{index}/weight_quant/BipolarQuant", QONNX)
        x = b.node("MatMul", [x, weight], f"/fc{index}/MatMul")
        if index == 0:
            x = b.batchnorm(x, "bn0", cols)
            x = b.node("BipolarQuant", [x, b.constant("act0.scale", 1.0)],
                       "/act0/BipolarQuant", QONNX)
    return b.model((1, 16), x, (1, 4))


def _example(name: str) -> bytes:
    with open(os.path.join(REPO, "examples", f"{name}.onnx"), "rb") as f:
        return f.read()


def seeds() -> list[Seed]:
    """Every seed, hand-built ones first (they are the fastest to fuzz)."""
    rng = np.random.default_rng(2026)
    return [Seed("mlp", _mlp(rng)), Seed("cnn", _cnn(rng)), Seed("binarized", _binarized(rng)),
            Seed("lenet5_float", _example("lenet5_w4a4_float")),
            Seed("tfc_w1a1", _example("tfc_w1a1"))]
