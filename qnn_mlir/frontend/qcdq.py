"""QCDQ to QONNX: QuantizeLinear -> [Clip] -> DequantizeLinear becomes one `Quant` node.

`brevitas.export.export_onnx_qcdq` (and PyTorch's own quantization export)
writes quantizers in standard ONNX ops:

* an activation: `QuantizeLinear(x, s, z)` -> `Clip(lo, hi)` -> `DequantizeLinear(., s, z)`;
  the Clip narrows an int8/uint8 to fewer bits and is absent at full width;
* a weight: the same on a float initializer (dynamo exporter), or `Clip` ->
  `DequantizeLinear` on an integer initializer (legacy exporter);
* a bias: `DequantizeLinear` of an int32 initializer.

This module rewrites the ONNX graph before qonnx's cleanup (whose constant
folding would otherwise turn the weight quantizers into plain floats), so
that the rest of the compiler sees the QONNX `Quant` it already handles. The
rewrite is exact with respect to onnxruntime: QuantizeLinear rounds x / s half
to even and then adds z, so a nonzero zero point sets `zeropt_after_rounding`
(QONNX would round x / s + z); a dequantized constant is computed as
onnxruntime does, float32(q - z) * s.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from qnn_mlir.diagnostics import QnnError
from qnn_mlir.dialects.checks import describe_levels, scale_problem, zero_point_problem

QCDQ_OPS = ("QuantizeLinear", "DequantizeLinear")

QONNX_DOMAIN = "qonnx.custom_op.general"

_INTEGER_RANGES = {
    np.dtype(np.int8): (-(2**7), 2**7 - 1), np.dtype(np.uint8): (0, 2**8 - 1),
    np.dtype(np.int16): (-(2**15), 2**15 - 1), np.dtype(np.uint16): (0, 2**16 - 1),
    np.dtype(np.int32): (-(2**31), 2**31 - 1),
}
"""The integer types QuantizeLinear/DequantizeLinear carry, with their ranges."""

_ELEMENT_DTYPES = {
    onnx.TensorProto.INT8: np.dtype(np.int8), onnx.TensorProto.UINT8: np.dtype(np.uint8),
    onnx.TensorProto.INT16: np.dtype(np.int16), onnx.TensorProto.UINT16: np.dtype(np.uint16),
    onnx.TensorProto.INT32: np.dtype(np.int32),
}


class _Graph:
    """Producers, consumers and initializers of one ONNX graph."""

    def __init__(self, model: onnx.ModelProto, path: str):
        self.model, self.path = model, path
        self.graph = model.graph
        self.initializers = {t.name: t for t in self.graph.initializer}
        self.producer = {o: n for n in self.graph.node for o in n.output}
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        for node in self.graph.node:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)
        self.outputs = {o.name for o in self.graph.output}

    def constant(self, name: str) -> np.ndarray | None:
        tensor = self.initializers.get(name)
        return None if tensor is None else numpy_helper.to_array(tensor)

    def fail(self, node: onnx.NodeProto, message: str) -> QnnError:
        return QnnError(f"{self.path}: node '{node.name}' (op type '{node.op_type}'): "
                        f"error: {message}")

    def only_user(self, tensor: str, user: onnx.NodeProto) -> bool:
        return tensor not in self.outputs and self.consumers.get(tensor, []) == [user]

    def add_initializer(self, array: np.ndarray, name: str) -> str:
        base, index = name, 0
        while name in self.initializers:
            index += 1
            name = f"{base}_{index}"
        tensor = numpy_helper.from_array(array, name)
        self.graph.initializer.append(tensor)
        self.initializers[name] = tensor
        return name


def _attribute(node: onnx.NodeProto, name: str, default=None):
    for attribute in node.attribute:
        if attribute.name == name:
            return helper.get_attribute_value(attribute)
    return default


def _quantizer_params(g: _Graph, node: onnx.NodeProto) -> tuple[np.ndarray, np.ndarray, int]:
    """(scale, zero point, axis) of a QuantizeLinear/DequantizeLinear, checked."""
    known = {"axis"}
    for attribute in node.attribute:
        if attribute.name not in known:
            raise g.fail(node, f"attribute '{attribute.name}' is not supported (only 'axis'): "
                         "blocked and float8 quantization have no integer form")
    if len(node.input) < 2:
        raise g.fail(node, "the scale input is missing")
    scale = g.constant(node.input[1])
    if scale is None:
        raise g.fail(node, f"the scale '{node.input[1]}' must be a constant initializer")
    if len(node.input) > 2 and node.input[2]:
        zero = g.constant(node.input[2])
        if zero is None:
            raise g.fail(node, f"the zero point '{node.input[2]}' must be a constant initializer")
    else:
        zero = np.zeros((), dtype=np.uint8)  # ONNX's default: uint8, 0
    if scale.ndim > 1 or (scale.ndim == 1 and zero.size not in (1, scale.size)):
        raise g.fail(node, f"scale of shape {list(scale.shape)} and zero point of shape "
                     f"{list(zero.shape)}: only per-tensor or per-axis (1-D) parameters exist")
    # quant.int_quant's rules; the largest level, known once a Clip is seen, is checked by
    # the verifier of the Quant the chain becomes.
    problem = scale_problem(scale.astype(np.float32))
    if problem is not None:
        raise g.fail(node, problem)
    return scale.astype(np.float32), zero, int(_attribute(node, "axis", 1))


def _clip_bounds(g: _Graph, clip: onnx.NodeProto, dtype: np.dtype) -> tuple[int, int]:
    low, high = _INTEGER_RANGES[dtype]
    if len(clip.attribute):
        raise g.fail(clip, "Clip with attributes (opset < 11) is not supported between "
                     "QuantizeLinear and DequantizeLinear; export with opset >= 13")
    bounds = []
    for index, default in ((1, low), (2, high)):
        if len(clip.input) <= index or not clip.input[index]:
            bounds.append(default)
            continue
        value = g.constant(clip.input[index])
        if value is None or value.size != 1:
            raise g.fail(clip, f"bound '{clip.input[index]}' must be a constant scalar")
        bounds.append(int(value.reshape(())))
    return bounds[0], bounds[1]


def _bit_width(g: _Graph, node: onnx.NodeProto, low: int, high: int) -> tuple[int, bool, bool]:
    """(bits, signed, narrow) of an integer range [low, high]."""
    for bits in range(1, 33):
        signed_full = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        if (low, high) == signed_full:
            return bits, True, False
        if bits > 1 and (low, high) == (-(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1):
            return bits, True, True
        if (low, high) == (0, 2**bits - 1):
            return bits, False, False
        if bits > 1 and (low, high) == (0, 2**bits - 2):
            return bits, False, True
    raise g.fail(node, f"the integer range [{low}, {high}] is not the range of a signed or "
                 "unsigned (narrow) integer of 1 to 32 bits")


def _check_axis(g: _Graph, node: onnx.NodeProto, scale: np.ndarray, axis: int,
                rank: int) -> None:
    """A per-axis scale needs an axis of the tensor (ONNX: -rank <= axis < rank)."""
    if scale.size > 1 and not -rank <= axis < rank:
        raise g.fail(node, f"axis {axis} of a per-axis scale is outside [{-rank}, {rank - 1}] "
                     f"for a tensor of rank {rank}")


def _broadcastable(array: np.ndarray, axis: int, rank: int) -> np.ndarray:
    """A 1-D per-axis parameter reshaped to broadcast along `axis` of a rank-`rank` tensor."""
    if array.ndim == 0 or array.size == 1:
        return array.reshape(())
    axis = axis % rank
    return array.reshape((array.size,) + (1,) * (rank - axis - 1))


def _layer_name(node: onnx.NodeProto) -> str:
    """The fused node's name: the quantizer's, as a QONNX export would name it."""
    return node.name.replace("QuantizeLinear", "Quant").replace("DequantizeLinear", "Quant")


def _tensor_rank(model: onnx.ModelProto, name: str) -> int | None:
    for info in (*model.graph.value_info, *model.graph.input, *model.graph.output):
        if info.name == name and info.type.tensor_type.HasField("shape"):
            return len(info.type.tensor_type.shape.dim)
    return None


def _fuse(g: _Graph, dequantize: onnx.NodeProto) -> tuple[list[onnx.NodeProto], onnx.NodeProto]:
    """The nodes a DequantizeLinear ends (to remove) and the Quant node that replaces them."""
    scale, zero, axis = _quantizer_params(g, dequantize)
    source = dequantize.input[0]
    removed = [dequantize]
    clip = g.producer.get(source)
    bounds = None
    if clip is not None and clip.op_type == "Clip":
        if not g.only_user(source, dequantize):
            raise g.fail(clip, "its integer output is used besides the DequantizeLinear")
        removed.insert(0, clip)
        source = clip.input[0]
        bounds = clip
    quantize = g.producer.get(source)
    if quantize is not None and quantize.op_type == "QuantizeLinear":
        if not g.only_user(source, removed[0]):
            raise g.fail(quantize, "its integer output is used besides the DequantizeLinear; "
                         "only QuantizeLinear -> [Clip] -> DequantizeLinear chains are supported")
        q_scale, q_zero, q_axis = _quantizer_params(g, quantize)
        if (not np.array_equal(q_scale, scale) or not np.array_equal(q_zero, zero)
                or (scale.size > 1 and q_axis != axis)):
            raise g.fail(dequantize, "its scale, zero point or axis differ from those of "
                         f"QuantizeLinear '{quantize.name}': the pair is not one quantizer")
        removed.insert(0, quantize)
        data = quantize.input[0]
        constant = g.constant(data)
        rank = constant.ndim if constant is not None else _tensor_rank(g.model, data)
        integer_dtype = zero.dtype
        after_rounding = bool(np.any(zero != 0))
    else:
        levels = g.constant(source)
        if levels is None:
            producer = quantize.op_type if quantize is not None else "a graph input"
            raise g.fail(dequantize, f"its input comes from {producer}, not from a "
                         "QuantizeLinear or an integer constant")
        integer_dtype, rank = levels.dtype, levels.ndim
        _check_axis(g, dequantize, scale, axis, rank)
        offsets = levels.astype(np.int64) - _broadcastable(zero, axis, rank)
        if bounds is None and integer_dtype == np.int32:  # a bias: a plain float constant
            largest = float(np.max(np.abs(offsets), initial=0))
            problem = scale_problem(scale, largest)
            if problem is not None:
                raise g.fail(dequantize, problem)
        dequantized = offsets.astype(np.float32) * _broadcastable(scale, axis, rank)
        if bounds is None and integer_dtype == np.int32:
            name = g.add_initializer(dequantized, dequantize.output[0] + "_value")
            return removed, helper.make_node("Identity", [name], [dequantize.output[0]],
                                             name=_layer_name(dequantize))
        data = g.add_initializer(dequantized, f"{_layer_name(dequantize)}_dequantized")
        after_rounding = False
    if integer_dtype not in _INTEGER_RANGES:
        raise g.fail(dequantize, f"integer type {integer_dtype} is not supported")
    if rank is None:
        raise g.fail(dequantize, f"the rank of '{data}' is unknown; export with static shapes")
    _check_axis(g, dequantize, scale, axis, rank)
    low, high = (_clip_bounds(g, bounds, integer_dtype) if bounds is not None
                 else _INTEGER_RANGES[integer_dtype])
    bits, signed, narrow = _bit_width(g, bounds or dequantize, low, high)
    problem = zero_point_problem(zero, low, high, describe_levels(bits, signed, narrow))
    if problem is not None:
        raise g.fail(bounds or dequantize, problem)
    name = _layer_name(removed[0])
    inputs = [data,
              g.add_initializer(_broadcastable(scale, axis, rank), f"{name}_scale"),
              g.add_initializer(_broadcastable(zero, axis, rank).astype(np.float32),
                                f"{name}_zeropt"),
              g.add_initializer(np.array(bits, dtype=np.float32), f"{name}_bitwidth")]
    quant = helper.make_node("Quant", inputs, [dequantize.output[0]], name=name,
                             domain=QONNX_DOMAIN, signed=int(signed), narrow=int(narrow),
                             rounding_mode="ROUND")
    if after_rounding:
        quant.attribute.append(helper.make_attribute("zeropt_after_rounding", 1))
    return removed, quant


def convert_qcdq(model: onnx.ModelProto, path: str) -> onnx.ModelProto:
    """The model with every QCDQ quantizer fused into a QONNX `Quant` (in place)."""
    if not any(n.op_type in QCDQ_OPS for n in model.graph.node):
        return model
    try:
        model = onnx.shape_inference.infer_shapes(model)
    except Exception:  # ranks are then looked up where known; a missing one is diagnosed
        pass
    g = _Graph(model, path)
    replaced: dict[int, onnx.NodeProto] = {}
    removed: set[int] = set()
    for node in list(g.graph.node):
        if node.op_type == "DequantizeLinear":
            nodes, fused = _fuse(g, node)
            removed.update(id(n) for n in nodes)
            replaced[id(node)] = fused
    for node in g.graph.node:
        if node.op_type == "QuantizeLinear" and id(node) not in removed:
            raise g.fail(node, "its output is not dequantized by a DequantizeLinear; only "
                         "QuantizeLinear -> [Clip] -> DequantizeLinear chains are supported")
    nodes = [replaced.get(id(n), n) for n in g.graph.node
             if id(n) not in removed or id(n) in replaced]
    del g.graph.node[:]
    g.graph.node.extend(nodes)
    if not any(o.domain == QONNX_DOMAIN for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid(QONNX_DOMAIN, 1))
    return model
