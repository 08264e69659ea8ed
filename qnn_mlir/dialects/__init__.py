"""The project's dialects, registered only by the project's own tools.

xDSL ships a dialect named `hls` too, so these are never exposed through
xDSL's plugin entry point: `get_all_dialects` is what qnn-opt and friends use.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.ir import Dialect


def get_all_dialects() -> dict[str, Callable[[], Dialect]]:
    """Dialect name -> loader, for builtin, func, arith and the project's dialects."""

    def quant() -> Dialect:
        from qnn_mlir.dialects.quant import Quant

        return Quant

    def dataflow() -> Dialect:
        from qnn_mlir.dialects.dataflow import Dataflow

        return Dataflow

    def hls() -> Dialect:
        from qnn_mlir.dialects.hls import HLS

        return HLS

    def builtin() -> Dialect:
        from xdsl.dialects.builtin import Builtin

        return Builtin

    def func() -> Dialect:
        from xdsl.dialects.func import Func

        return Func

    def arith() -> Dialect:
        from xdsl.dialects.arith import Arith

        return Arith

    return {
        "builtin": builtin,
        "func": func,
        "arith": arith,
        "quant": quant,
        "dataflow": dataflow,
        "hls": hls,
    }


def make_context(allow_unregistered: bool = False):
    """An xDSL Context with every dialect of `get_all_dialects` registered (lazily)."""
    from xdsl.context import Context

    ctx = Context(allow_unregistered=allow_unregistered)
    for name, loader in get_all_dialects().items():
        ctx.register_dialect(name, loader)
    return ctx
