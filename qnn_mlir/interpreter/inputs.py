"""Checking the arrays a run is given against what the function it runs takes.

The interpreter (`run_module`) and the C simulation (`run_module_csim`,
`CSimModel.run`) take numpy arrays from users: qnn-run's `--input` files, the
compile check's inputs, the Python API. Both check them here, before anything
runs, so that a bad input is the same diagnostic on either path:

- one array per argument;
- each array has the argument's rank and, past dimension 0 (the batch), its
  shape; every array has the same batch size, at least 1;
- bool, integer or float values (not complex, strings, objects or dates);
- no NaN and no infinity in a float input: the policy is to reject them
  (docs/checking.md, "Non-finite inputs"), since the C simulation and the
  interpreter would quietly disagree on them;
- an integer or `!quant.bipolar` argument gets integral values inside its range
  (-1 and +1 for bipolar).

The arrays come back as the runs compute on them: float32 for a float argument,
int64 otherwise, C-contiguous.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import AnyFloat, TensorType
from xdsl.ir import Attribute

from qnn_mlir.diagnostics import QnnError, excerpt, format_diagnostic
from qnn_mlir.dialects.datatypes import BipolarType, element_range

NON_FINITE_POLICY = 'NaN and infinite inputs are rejected (docs/checking.md, "Non-finite inputs")'
FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class Argument:
    """What one argument of a function or kernel port takes."""

    label: str
    """How messages name it: `%x`, `port in0`."""
    type_text: str
    """Its type as the IR spells it: `tensor<1x784xf32>`."""
    element_type: Attribute
    shape: tuple[int, ...]

    @property
    def integral(self) -> bool:
        """True when it takes integers (or -1/+1), not floats."""
        return not isinstance(self.element_type, AnyFloat)

    def wanted_shape(self) -> str:
        """The input it wants, in words: `an array of shape [N, 784] with N >= 1 images
        (dimension 0 is the batch)`."""
        if not self.shape:
            return "a 0-d array (one value, no batch)"
        dims = ", ".join(["N", *(str(d) if d >= 0 else "?" for d in self.shape[1:])])
        return f"an array of shape [{dims}] with N >= 1 images (dimension 0 is the batch)"


def function_arguments(function: func.FuncOp) -> list[Argument]:
    """The arguments of a function, named after its block arguments where it has a body."""
    names = ([arg.name_hint for arg in function.body.blocks.first.args]
             if function.body.blocks else [])
    arguments = []
    for index, arg_type in enumerate(function.function_type.inputs.data):
        name = names[index] if index < len(names) and names[index] else None
        label = f"%{name}" if name else f"argument {index}"
        if not hasattr(arg_type, "get_shape") or not hasattr(arg_type, "element_type"):
            raise QnnError(f"error: {label} of @{function.sym_name.data} has type {arg_type}: "
                           "only tensor and stream arguments can be fed from arrays")
        arguments.append(Argument(label, str(arg_type), arg_type.element_type,
                                  tuple(arg_type.get_shape())))
    return arguments


def port_argument(name: str, element_type: Attribute, shape: Sequence[int]) -> Argument:
    """The argument of a kernel port (C simulation), typed as its host tensor."""
    return Argument(f"port {name}", str(TensorType(element_type, shape)), element_type,
                    tuple(shape))


def _index_text(array: np.ndarray, mask: np.ndarray) -> tuple[str, Any]:
    """The index of the first True in `mask`, and the value of `array` there."""
    index = np.unravel_index(int(np.argmax(mask)), mask.shape)
    return str([int(i) for i in index]), array[index].item()


class _InputChecker:
    """The checks of one input; every message names the input and the argument."""

    def __init__(self, callee: str, index: int, argument: Argument, source: str | None):
        self.callee, self.index, self.argument, self.source = callee, index, argument, source

    def fail(self, message: str) -> QnnError:
        subject = f"input {self.index} ({self.argument.label} of {self.callee}, " \
                  f"{self.argument.type_text})"
        text = f"{subject} {message}"
        return QnnError(format_diagnostic(self.source, text) if self.source
                        else f"error: {text}")

    def as_array(self, value: Any) -> np.ndarray:
        try:
            array = np.asarray(value)
        except (ValueError, TypeError) as error:  # ragged nested lists
            raise self.fail(f"is not an array of numbers: {excerpt(error)}") from error
        if array.dtype.kind not in "biuf":
            raise self.fail(f"has dtype {array.dtype}: give bool, integer or float values")
        return array

    def check_shape(self, array: np.ndarray) -> None:
        shape = self.argument.shape
        fits = array.ndim == len(shape) and all(
            want < 0 or got == want for got, want in zip(array.shape[1:], shape[1:], strict=True))
        if not fits:
            scalar = " (a 0-d scalar)" if array.ndim == 0 else ""
            raise self.fail(f"has shape {list(array.shape)}{scalar}: give "
                            f"{self.argument.wanted_shape()}")
        if shape and array.shape[0] < 1:  # a 0-d argument has no batch
            raise self.fail(f"has shape {list(array.shape)}: an empty batch; give "
                            f"{self.argument.wanted_shape()}")

    def check_finite(self, array: np.ndarray) -> None:
        if array.dtype.kind != "f":
            return
        bad = ~np.isfinite(array)
        if bad.any():
            where, value = _index_text(array, bad)
            raise self.fail(f"holds {int(bad.sum()):,} non-finite value(s), the first ({value}) "
                            f"at index {where}: {NON_FINITE_POLICY}; replace them or drop "
                            "those images")

    def check_float32_range(self, array: np.ndarray) -> None:
        if array.dtype.kind != "f" or array.dtype.itemsize <= 4:
            return
        beyond = np.abs(array) > FLOAT32_MAX
        if beyond.any():
            where, value = _index_text(array, beyond)
            raise self.fail(f"holds {int(beyond.sum()):,} value(s) beyond the float32 range "
                            f"(|x| <= {FLOAT32_MAX:.4g}), the first ({value}) at index {where}: "
                            "the model computes in float32")

    def check_levels(self, array: np.ndarray) -> None:
        """Integral values inside the element type's range (-1/+1 for bipolar)."""
        element = self.argument.element_type
        low, high = element_range(element) or (None, None)
        if array.dtype.kind == "f":
            fractional = array != np.round(array)
            if fractional.any():
                where, value = _index_text(array, fractional)
                raise self.fail(f"holds {value} at index {where}, not an integer: the element "
                                f"type {element} takes {self._levels()}")
        if low is None:
            return
        if isinstance(element, BipolarType):
            outside = (array != -1) & (array != 1)
        elif array.dtype.kind == "u" or array.dtype.kind == "b":
            outside = array > high
        else:
            outside = (array < low) | (array > high)
        if outside.any():
            where, value = _index_text(array, outside)
            raise self.fail(f"holds {int(outside.sum()):,} value(s) that do not fit the "
                            f"element type {element} ({self._levels()}), the first ({value}) "
                            f"at index {where}")

    def _levels(self) -> str:
        element = self.argument.element_type
        if isinstance(element, BipolarType):
            return "-1 and +1 only"
        bounds = element_range(element)
        return f"integers in [{bounds[0]}, {bounds[1]}]" if bounds else "integers"

    def converted(self, array: np.ndarray) -> np.ndarray:
        if self.argument.integral:
            return np.ascontiguousarray(array, dtype=np.int64)
        return np.ascontiguousarray(array, dtype=np.float32)


def checked_inputs(callee: str, arguments: Sequence[Argument], inputs: Sequence[Any],
                   sources: Sequence[str] | None = None) -> list[np.ndarray]:
    """`inputs` checked against `arguments` of `callee` (`@main`) and converted; a QnnError
    naming the input (and its file, from `sources`), what it is and what it should be."""
    if len(inputs) != len(arguments):
        takes = ", ".join(f"{a.label}: {a.type_text}" for a in arguments) or "nothing"
        raise QnnError(f"error: {callee} takes {len(arguments)} input(s) ({takes}), got "
                       f"{len(inputs)}: give one array per argument")
    checkers = [_InputChecker(callee, index, argument, sources[index] if sources else None)
                for index, argument in enumerate(arguments)]
    arrays = []
    for checker, value in zip(checkers, inputs, strict=True):
        array = checker.as_array(value)
        checker.check_shape(array)
        arrays.append(array)
    # An input fed exactly as its type declares (a bias argument of tensor<3xf32>) is not
    # batched; the others carry the batch, and must agree on it.
    batched = [(checker, array) for checker, array in zip(checkers, arrays, strict=True)
               if array.ndim > 0 and (array.shape[0] != checker.argument.shape[0]
                                      or checker.argument.shape[0] == 1)]
    for checker, array in batched[1:]:
        first_checker, first = batched[0]
        if array.shape[0] != first.shape[0]:
            raise checker.fail(f"has a batch of {array.shape[0]}, but input "
                               f"{first_checker.index} has {first.shape[0]}: every input needs "
                               "the same batch size (dimension 0)")
    results = []
    for checker, array in zip(checkers, arrays, strict=True):
        checker.check_finite(array)
        if checker.argument.integral:
            checker.check_levels(array)
        else:
            checker.check_float32_range(array)
        results.append(checker.converted(array))
    return results
