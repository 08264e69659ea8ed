"""The streaming-layer interface: what every `dataflow` layer op tells the compiler.

A layer op is an `IRDLOperation` whose operands are the streams it reads and
whose results are the streams it writes (any number of each). Subclassing
`LayerOp` and filling in its methods is all a new layer kind needs:

    streams     `in_streams` / `out_streams`, and the fold each is read and
                written in (`read_fold(i)`, `write_fold(i)`)
    verifier    `verify_layer()`: parameter and shape rules, as VerifyExceptions
    folding     `folding_parameters()`: each parameter (PE, SIMD, ...), the
                dimension it divides, its legal values; `folding_caps()` for
                limits automatic folding respects
    cost        `cycles(folding)` per frame and `resources(board, folding)`
    semantics   `interpret(inputs)`: the numpy values of its outputs
    lowering    `lower_to_hls(prefix)`: the C++ template call, its template
                arguments and ROMs; `HLS_HEADER` names the header that defines
                the template (`HLS_HEADER_DIR`: where it lives, for a layer
                outside the project's library)

`dataflow-partition`, `dataflow-fold`, `dataflow-insert-dwc`,
`convert-dataflow-to-hls`, the interpreter, the cost model and the compile
summary work through these methods only (docs/adding-a-layer.md).
`StreamLayerOp` is the common case: one input and one output stream.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from math import prod
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from xdsl.dialects.builtin import IntegerAttr, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    operand_def,
    opt_prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.dialects.dataflow_stream import StreamType, divisors, divisors_hint
from qnn_mlir.dialects.datatypes import element_range

if TYPE_CHECKING:
    from qnn_mlir.cost.boards import Board
    from qnn_mlir.cost.resources import Resources

LAYER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
"""Layer names key folding configs (a Brevitas module path such as `features.2`); the
C++ names are derived from them by `cxx_prefix`."""

Folding = Mapping[str, int]


@dataclass(frozen=True)
class FoldingParameter:
    """A folding parameter: `PE` must divide `MH` (of size 64), say."""

    name: str
    dimension: str
    size: int

    @property
    def legal_values(self) -> list[int]:
        """The values the parameter may take: the divisors of its dimension."""
        return divisors(self.size)


@dataclass
class HLSCall:
    """What a layer lowers to: one call of a C++ layer template and the ROMs it reads."""

    callee: str
    template_args: list[int | str]
    roms: list[Operation] = field(default_factory=list)
    """`hls.rom` ops, passed after the streams in this order."""
    comment: str = ""


def cxx_prefix(name: str) -> str:
    """The C++ identifier prefix of a layer name (`features.2` -> `features_2`)."""
    return re.sub(r"\W", "_", name, flags=re.ASCII)


class LayerOp(IRDLOperation):
    """A streaming layer: the interface every `dataflow` layer op implements.

    Operands are the input streams, results the output streams. The optional
    `name` names the layer in folding configs, reports and the generated
    C++. Subclasses define their streams, properties and assembly format and
    override the methods below; the shared verifier checks the name and the
    input element types, then calls `verify_layer`.
    """

    layer_name = opt_prop_def(StringAttr, prop_name="name")
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)

    KIND: ClassVar[str] = "layer"
    """Short kind name: numbers unnamed layers (`mvau0`) and heads report rows."""
    ACCEPTS_FLOAT_INPUT: ClassVar[bool] = False
    """Whether an input stream may carry floats (the input quantizer)."""
    DERIVED_FROM_FOLDING: ClassVar[bool] = False
    """Layers the folding passes create (converters): `dataflow-fold` removes them and
    `dataflow-insert-dwc` adds what the new folding needs."""
    READ_FOLD_PARAMETER: ClassVar[str | None] = None
    """The folding parameter that is the fold the layer reads from every input (SIMD, PE);
    None: it reads whatever its inputs carry."""
    WRITE_FOLD_PARAMETER: ClassVar[str | None] = None
    """The folding parameter that is the fold the layer writes to every output (PE)."""
    FOLD_FOLLOWS_READER: ClassVar[bool] = False
    """Automatic folding gives the layer the fold its only reader reads (its first folding
    parameter), as FINN ties a sliding window's SIMD to its MVAU's: no converter between
    them, and the reader folds for both (cost/folding.py)."""
    STREAM_VIEW: ClassVar[bool] = False
    """A view (`dataflow.reshape`): no hardware, its output stream is its input stream under
    another shape; `convert-dataflow-to-hls` connects its reader to its input."""
    HLS_HEADER: ClassVar[str] = ""
    """Include path of the C++ header that defines the layer's template."""
    HLS_HEADER_DIR: ClassVar[str | None] = None
    """Directory holding HLS_HEADER for a layer outside the project's library (the
    header is copied into the project); None: the library's include/ folder."""

    # -- streams -------------------------------------------------------------

    @property
    def in_streams(self) -> Sequence[SSAValue]:
        """The streams the layer reads."""
        return self.operands

    @property
    def out_streams(self) -> Sequence[SSAValue]:
        """The streams the layer writes."""
        return self.results

    def read_fold(self, index: int = 0, folding: Folding | None = None) -> int:
        """Elements per word the layer reads from input stream `index`, with `folding`
        overriding the op's own (default: whatever the stream carries, for a layer
        without a folding of its own)."""
        if self.READ_FOLD_PARAMETER is not None:
            return self.param(self.READ_FOLD_PARAMETER, folding)
        return self.in_streams[index].type.fold.data  # type: ignore[attr-defined]

    def write_fold(self, index: int = 0, folding: Folding | None = None) -> int:
        """Elements per word the layer writes to output stream `index`, with `folding`
        overriding the op's own."""
        if self.WRITE_FOLD_PARAMETER is not None:
            return self.param(self.WRITE_FOLD_PARAMETER, folding)
        return self.out_streams[index].type.fold.data  # type: ignore[attr-defined]

    # -- folding -------------------------------------------------------------

    def folding_parameters(self) -> list[FoldingParameter]:
        """The parameters that fold the layer, in the order automatic folding raises them."""
        return []

    def folding(self) -> dict[str, int]:
        """The current value of each folding parameter."""
        return {p.name: self.properties[p.name].value.data  # type: ignore[attr-defined]
                for p in self.folding_parameters()}

    def folding_caps(self, max_weight_width: int) -> dict[str, int]:
        """Upper limits automatic folding keeps to (FINN's weight-stream width, say)."""
        return {}

    def param(self, name: str, folding: Folding | None = None) -> int:
        """Folding parameter `name`, from `folding` when it sets it, else the op's own."""
        if folding and name in folding:
            return folding[name]
        return self.properties[name].value.data  # type: ignore[attr-defined]

    # -- cost ----------------------------------------------------------------

    def cycles(self, folding: Folding | None = None) -> int:
        """Clock cycles per frame (image), with `folding` overriding the op's own."""
        raise NotImplementedError(f"'{self.name}' has no cycle model")

    def resources(self, board: Board, folding: Folding | None = None) -> Resources:
        """Estimated LUT, BRAM18, URAM and DSP on `board`, with `folding` overriding."""
        raise NotImplementedError(f"'{self.name}' has no resource model")

    # -- semantics and lowering ---------------------------------------------

    def interpret(self, inputs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """The output values for input values (numpy, batch first; see interpreter/)."""
        raise NotImplementedError(f"'{self.name}' has no interpreter semantics")

    def lower_to_hls(self, prefix: str) -> HLSCall:
        """The template call (and ROMs named `<prefix>_...`) the layer becomes."""
        raise NotImplementedError(f"'{self.name}' has no HLS lowering")

    # -- reports -------------------------------------------------------------

    def report_kind(self) -> str:
        """The kind as a report shows it (`mvau (xnor)`)."""
        return self.KIND

    def report_shape(self) -> str:
        """The shape as a report shows it: the first input's, batch dimension dropped."""
        return "x".join(str(d) for d in self.in_streams[0].type.get_shape()[1:])  # type: ignore

    # -- verification --------------------------------------------------------

    def verify_(self) -> None:
        if self.layer_name is not None and not LAYER_NAME.match(self.layer_name.data):
            raise VerifyException(
                f"'{self.name}' name \"{self.layer_name.data}\" must be a dotted identifier "
                "([A-Za-z_][A-Za-z0-9_.]*): it keys folding configs and names the C++ objects"
            )
        for index, stream in enumerate(self.in_streams):
            element = stream.type.element_type  # type: ignore[attr-defined]
            if element_range(element) is None and not self.ACCEPTS_FLOAT_INPUT:
                which = "input" if len(self.in_streams) == 1 else f"input {index}"
                raise VerifyException(
                    f"'{self.name}' {which} element type must be an integer or "
                    f"!quant.bipolar, got {element}"
                )
        self.verify_layer()

    def verify_layer(self) -> None:
        """The op's own parameter and stream checks."""

    def _check_positive(self, **values: int) -> None:
        for key, value in values.items():
            if value < 1:
                raise VerifyException(f"'{self.name}' {key} must be >= 1, got {value}")

    def _check_multiple(self, dim_name: str, dim: int, param: str, value: int) -> None:
        if dim % value:
            raise VerifyException(
                f"'{self.name}' {dim_name} ({dim}) is not a multiple of {param} ({value}): "
                f"choose {param} among the divisors of {dim}: {divisors_hint(dim)}"
            )


class StreamLayerOp(LayerOp):
    """A layer with one input and one output stream (most layers)."""

    input = operand_def(StreamType)
    output = result_def(StreamType)

    @property
    def in_type(self) -> StreamType:
        """The input stream type."""
        return self.input.type  # type: ignore[return-value]

    @property
    def out_type(self) -> StreamType:
        """The output stream type."""
        return self.output.type  # type: ignore[return-value]

    @property
    def vectors(self) -> int:
        """Input vectors per frame: the product of the outer dimensions of the input stream."""
        return int(prod(self.in_type.get_shape()[:-1]))

    @property
    def channels(self) -> int:
        """The innermost dimension of the input stream."""
        return self.in_type.get_shape()[-1]

    def _check_output(self, innermost: int, what: str, fold: int, fold_name: str,
                      why: str) -> None:
        in_shape, out_shape = self.in_type.get_shape(), self.out_type.get_shape()
        if out_shape[-1] != innermost:
            raise VerifyException(
                f"'{self.name}' output stream innermost dimension ({out_shape[-1]}) does not "
                f"match {what} ({innermost})"
            )
        if out_shape[:-1] != in_shape[:-1]:
            raise VerifyException(
                f"'{self.name}' output stream shape {list(out_shape)} must keep the outer "
                f"dimensions of the input shape {list(in_shape)}"
            )
        if self.out_type.fold.data != fold:
            raise VerifyException(
                f"'{self.name}' output stream fold ({self.out_type.fold.data}) must equal "
                f"{fold_name}: {why}"
            )


def int_prop(attr: IntegerAttr) -> int:
    """The value of an integer property."""
    return attr.value.data


def layer_classes() -> list[type[LayerOp]]:
    """Every layer op class defined so far (the project's and any other module's)."""
    found: list[type[LayerOp]] = []
    pending = list(LayerOp.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls not in found:
            found.append(cls)
            pending += cls.__subclasses__()
    return found
