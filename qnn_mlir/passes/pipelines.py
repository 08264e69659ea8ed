"""Named pipelines: one registry name for a sequence of passes.

`qnn-opt -p streamline-pipeline` is `-p quant-to-integer,streamline,binarize-xnor`.
Each pipeline is a pass whose `apply` runs its steps in order, verifying the
module after each, so a failure names the step that broke it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException, VerifyException


@dataclass(frozen=True)
class PipelinePass(ModulePass):
    """Runs `steps` (registry names) in order."""

    steps: ClassVar[tuple[str, ...]] = ()

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from qnn_mlir.passes import get_all_passes

        passes = get_all_passes()
        for step in self.steps:
            passes[step]()().apply(ctx, op)
            try:
                op.verify()
            except VerifyException as error:
                raise PassFailedException(f"{self.name}: IR after '{step}' does not verify: "
                                          f"{error}") from error


@dataclass(frozen=True)
class StreamlinePipeline(PipelinePass):
    """QONNX form to the integer form: quant-to-integer, streamline, binarize-xnor."""

    name = "streamline-pipeline"
    steps = ("quant-to-integer", "streamline", "binarize-xnor")
