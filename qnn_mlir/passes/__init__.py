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
    "quant-to-integer": ("qnn_mlir.passes.quant_to_integer", "QuantToIntegerPass"),
    "streamline": ("qnn_mlir.passes.streamline", "Streamline"),
    "binarize-xnor": ("qnn_mlir.passes.binarize_xnor", "BinarizeXnor"),
}


def _loader(module: str, cls: str) -> Callable[[], type[ModulePass]]:
    return lambda: getattr(import_module(module), cls)


def get_all_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Pass name -> factory returning the pass class, for xDSL's pipeline parser."""
    return {name: _loader(module, cls) for name, (module, cls) in _PASSES.items()}
