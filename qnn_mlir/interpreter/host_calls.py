"""The ops the host may run, as calls of their numpy semantics in `qnn_runtime.host_ops`.

`host_call(op)` is `(function name, static keyword arguments)`: the op's
attributes as Python scalars, strings, tuples and arrays, read here once. Two
clients evaluate the same call:

* the interpreter (`QuantFunctions`, the boundary ops of `DataflowFunctions`)
  runs `getattr(host_ops, name)(*operands, **kwargs)`;
* the PYNQ back end (`qnn_mlir/backends/pynq/host_code.py`) prints
  `ops.name(operands, key=value, ...)` into the generated host code,

so the deployed host code computes bit for bit what `qnn-run --csim` computes.
An op class without an entry has no host semantics: the code generator rejects
it. Dataflow layers that may stay on the host (a thresholding that reads a
float stream, a chain cut off from the accelerator) have entries next to their
own `interpret`, which the interpreter keeps calling; the generated-code tests
check that both agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from qnn_runtime import host_ops
from xdsl.dialects.builtin import AnyFloat
from xdsl.interpreter import Interpreter, InterpreterFunctions, PythonValues, impl
from xdsl.ir import Operation

from qnn_mlir.dialects import dataflow, quant
from qnn_mlir.dialects.datatypes import BipolarType, integer_bounds
from qnn_mlir.ir_constants import dense_to_numpy

HostCall = tuple[str, dict[str, Any]]
"""The name of a function of `qnn_runtime.host_ops` and its keyword arguments."""


def is_float_result(op: Operation, index: int = 0) -> bool:
    """True if the op's result `index` holds floats (otherwise integers or bipolar)."""
    return quant.is_float_tensor(op.results[index])


# Attribute access, not `op.properties`: it gives a property's default when it is unset.
def _array(op: Operation, name: str) -> tuple[int, ...]:
    return tuple(getattr(op, name).get_values())


def _int(op: Operation, name: str) -> int:
    return getattr(op, name).value.data


def _flag(op: Operation, name: str) -> bool:
    return bool(_int(op, name))


# -- quant ops --------------------------------------------------------------------


def _int_quant(op: quant.IntQuantOp) -> HostCall:
    bitwidth, signed = _int(op, "bitwidth"), _flag(op, "signed")
    low, high = integer_bounds(bitwidth, signed, _flag(op, "narrow"))
    return "int_quant", {"low": low, "high": high, "rounding": op.rounding_mode.data,
                         "sign_only": bitwidth == 1 and signed,
                         "zeropt_after_rounding": op.zeropt_after_rounding is not None}


def _trunc(op: quant.TruncOp) -> HostCall:
    out_bitwidth = _int(op, "out_bitwidth")
    low, high = integer_bounds(out_bitwidth, _flag(op, "signed"), _flag(op, "narrow"))
    return "trunc", {"in_bitwidth": _int(op, "in_bitwidth"), "out_bitwidth": out_bitwidth,
                     "rounding": op.rounding_mode.data, "low": low, "high": high}


def _multithreshold(op: quant.MultiThresholdOp) -> HostCall:
    rank = len(quant.shape_of(op.input))
    return "multithreshold", {
        "out_scale": op.out_scale.value.data, "out_bias": op.out_bias.value.data,
        "channel_axis": quant.channel_axis(op.data_layout.data, rank),
        "integer_result": not is_float_result(op)}


def _with_float_result(name: str) -> Callable[[Operation], HostCall]:
    """The entry of an op whose arithmetic depends only on its result being float."""
    return lambda op: (name, {"float_result": is_float_result(op)})


def _batchnorm(op: quant.BatchNormOp) -> HostCall:
    return "batchnorm", {"epsilon": op.epsilon.value.data, "float_result": is_float_result(op)}


def _conv(op: quant.ConvOp) -> HostCall:
    return "conv2d", {"strides": _array(op, "strides"), "pads": _array(op, "pads"),
                      "dilations": _array(op, "dilations"), "group": _int(op, "group"),
                      "output_size": quant.shape_of(op.output)[2:4]}


def _maxpool(op: quant.MaxPoolOp) -> HostCall:
    out_shape = quant.shape_of(op.output)
    return "maxpool2d", {
        "kernel": _array(op, "kernel_shape"), "strides": _array(op, "strides"),
        "pads": _array(op, "pads"),
        "output_size": out_shape[1:3] if op.channels_last else out_shape[2:4],
        "channels_last": op.channels_last}


def _reshape(op: quant.ReshapeOp | dataflow.ReshapeOp) -> HostCall:
    return "reshape", {"input_shape": tuple(op.input.type.get_shape()),  # type: ignore
                       "output_shape": tuple(op.output.type.get_shape())}  # type: ignore


def _transpose(op: quant.TransposeOp) -> HostCall:
    return "transpose", {"perm": _array(op, "perm"), "input_shape": quant.shape_of(op.input)}


def _topk(op: quant.TopKOp) -> HostCall:
    return "topk", {"k": _int(op, "k"), "axis": _int(op, "axis"),
                    "largest": _flag(op, "largest")}


# -- dataflow ops -----------------------------------------------------------------


def _to_stream(op: dataflow.ToStreamOp) -> HostCall:
    element_type = op.output.type.element_type  # type: ignore[attr-defined]
    return "to_stream", {"float_stream": isinstance(element_type, AnyFloat)}


def _thresholding(op: dataflow.ThresholdingOp) -> HostCall:
    return "thresholding", {
        "thresholds": dense_to_numpy(op.thresholds),
        "bipolar": isinstance(op.out_type.element_type, BipolarType),
        "out_bias": _int(op, "out_bias")}


def _mvau(op: dataflow.MVAUOp) -> HostCall:
    return "mvau", {
        "weights": op.weight_values(), "xnor": op.xnor is not None,
        "thresholds": None if op.thresholds is None else dense_to_numpy(op.thresholds),
        "bipolar": isinstance(op.out_type.element_type, BipolarType),
        "out_bias": _int(op, "out_bias")}


def _window(name: str) -> Callable[[Operation], HostCall]:
    def entry(op: dataflow.SlidingWindowOp | dataflow.MaxPoolOp) -> HostCall:
        kernel, strides = op.window()
        return name, {"kernel": kernel, "strides": strides}

    return entry


def _pad(op: dataflow.PadOp) -> HostCall:
    return "pad_nhwc", {"pads": op.padding, "value": _int(op, "value")}


def _no_attributes(name: str) -> Callable[[Operation], HostCall]:
    return lambda op: (name, {})


HOST_CALLS: dict[type[Operation], Callable[[Any], HostCall]] = {
    quant.IntQuantOp: _int_quant,
    quant.BipolarQuantOp: _no_attributes("bipolar_quant"),
    quant.TruncOp: _trunc,
    quant.MultiThresholdOp: _multithreshold,
    quant.AddOp: _with_float_result("add"),
    quant.SubOp: _with_float_result("sub"),
    quant.MulOp: _with_float_result("mul"),
    quant.DivOp: _with_float_result("div"),
    quant.PowOp: _with_float_result("pow"),
    quant.ReluOp: _with_float_result("relu"),
    quant.MatMulOp: _with_float_result("matmul"),
    quant.XnorPopcountOp: _no_attributes("xnor_popcount"),
    quant.ConvOp: _conv,
    quant.BatchNormOp: _batchnorm,
    quant.MaxPoolOp: _maxpool,
    quant.PadOp: lambda op: ("pad_nhwc", {"pads": _array(op, "pads"), "value": op.pad_value}),
    quant.SlidingWindowOp: lambda op: ("sliding_windows_nhwc", {
        "kernel": _array(op, "kernel"), "strides": _array(op, "strides")}),
    quant.ReshapeOp: _reshape,
    quant.TransposeOp: _transpose,
    quant.TopKOp: _topk,
    dataflow.ToStreamOp: _to_stream,
    dataflow.FromStreamOp: _no_attributes("from_stream"),
    dataflow.ThresholdingOp: _thresholding,
    dataflow.MVAUOp: _mvau,
    dataflow.LabelSelectOp: lambda op: ("label_select", {"k": _int(op, "K")}),
    dataflow.DWCOp: _no_attributes("identity"),
    dataflow.PadOp: _pad,
    dataflow.SlidingWindowOp: _window("sliding_windows_nhwc"),
    dataflow.MaxPoolOp: _window("maxpool_nhwc"),
    dataflow.ReshapeOp: _reshape,
}
"""Every op class the host can run -> how to read its call from an op."""


def host_call(op: Operation) -> HostCall | None:
    """The runtime function that computes `op` and its static keyword arguments; None
    when the op has no host semantics."""
    entry = HOST_CALLS.get(type(op))
    return None if entry is None else entry(op)


def run_host_call(functions: InterpreterFunctions, interpreter: Interpreter, op: Operation,
                  args: tuple[Any, ...]) -> PythonValues:
    """The interpreter implementation of an op of the table: its runtime function."""
    name, kwargs = HOST_CALLS[type(op)](op)
    result = getattr(host_ops, name)(*args, **kwargs)
    return result if len(op.results) > 1 else (result,)


def run_layer(op: Operation, inputs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """A layer op's `interpret` through its table entry: one implementation for the
    interpreter and the deployed host code."""
    name, kwargs = HOST_CALLS[type(op)](op)
    return (getattr(host_ops, name)(*inputs, **kwargs),)


def host_call_functions(op_classes: Iterable[type[Operation]]) -> type[InterpreterFunctions]:
    """A base class of interpreter functions running `op_classes` (each must have an entry)
    by `run_host_call`; subclass it and apply `register_impls`."""
    op_classes = tuple(op_classes)
    missing = [cls.name for cls in op_classes if cls not in HOST_CALLS]
    if missing:
        raise TypeError(f"no host semantics in HOST_CALLS for {', '.join(missing)}")
    namespace = {f"run_{cls.name.replace('.', '_')}": impl(cls)(run_host_call)
                 for cls in op_classes}
    return type("HostCallFunctions", (InterpreterFunctions,), namespace)
