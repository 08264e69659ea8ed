"""The pass registry: kebab-case pass name -> the pass class, imported lazily.

A new pass is one file in this package, one entry here, one lit test
`tests/lit/passes/<name>.mlir` and one semantics test. `docs/passes.md` is
generated from this registry (tools/gen_pass_docs.py), so it cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from xdsl.passes import ModulePass

# name -> (module, class); the module is imported only when the pass is used.
_PASSES: dict[str, tuple[str, str]] = {
    "quant-canonicalize": ("qnn_mlir.passes.quant_canonicalize", "QuantCanonicalize"),
    "convert-quant-to-dataflow": (
        "qnn_mlir.passes.convert_quant_to_dataflow", "ConvertQuantToDataflow"),
    "dataflow-partition": ("qnn_mlir.passes.dataflow_partition", "DataflowPartition"),
    "dataflow-fold": ("qnn_mlir.passes.dataflow_fold", "DataflowFold"),
    "dataflow-insert-dwc": ("qnn_mlir.passes.dataflow_insert_dwc", "DataflowInsertDWC"),
    "convert-dataflow-to-hls": ("qnn_mlir.passes.convert_dataflow_to_hls", "ConvertDataflowToHLS"),
    "quant-to-integer": ("qnn_mlir.passes.quant_to_integer", "QuantToIntegerPass"),
    "streamline": ("qnn_mlir.passes.streamline", "Streamline"),
    "binarize-xnor": ("qnn_mlir.passes.binarize_xnor", "BinarizeXnor"),
    "lower-conv": ("qnn_mlir.passes.lower_conv", "LowerConv"),
    "streamline-pipeline": ("qnn_mlir.passes.pipelines", "StreamlinePipeline"),
}


def _loader(module: str, cls: str) -> Callable[[], type[ModulePass]]:
    return lambda: getattr(import_module(module), cls)


def get_all_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Pass name -> factory returning the pass class, for xDSL's pipeline parser."""
    return {name: _loader(module, cls) for name, (module, cls) in _PASSES.items()}


def pipeline_steps(pass_: ModulePass) -> list[ModulePass]:
    """A named pipeline as its steps (recursively); any other pass as itself."""
    from qnn_mlir.passes.pipelines import PipelinePass

    if not isinstance(pass_, PipelinePass):
        return [pass_]
    passes = get_all_passes()
    return [step for name in pass_.steps for step in pipeline_steps(passes[name]()())]


def is_exact(pass_: ModulePass) -> bool:
    """Whether the pass keeps every value bit for bit (a class attribute `exact`,
    True unless a pass says otherwise; a pipeline is exact when all its steps are)."""
    return all(getattr(step, "exact", True) for step in pipeline_steps(pass_))
