"""Semantics of `func.func`, `func.call` and `func.return` for the interpreter.

The project's own, so that running IR does not import every interpreter xDSL
ships (`xdsl.interpreters` loads the RISC-V, linalg, ... ones: a third of a
second at every tool start). A call of a function with a body runs its body;
a call of a declaration (a kernel the host calls, `hls.kernel`) goes to the
external implementation registered under its name (the C simulation).
"""

from __future__ import annotations

from typing import Any

from xdsl.dialects import func
from xdsl.interpreter import (
    Interpreter,
    InterpreterFunctions,
    PythonValues,
    ReturnedValues,
    TerminatorValue,
    impl,
    impl_callable,
    impl_terminator,
    register_impls,
)


@register_impls
class FuncFunctions(InterpreterFunctions):
    """func.func bodies, calls and returns."""

    @impl_callable(func.FuncOp)
    def call_function(self, interpreter: Interpreter, op: func.FuncOp,
                      args: tuple[Any, ...]) -> PythonValues:
        if not op.body.blocks:  # a declaration: implemented outside the IR
            return interpreter.call_external(op.sym_name.data, op, args)
        return interpreter.run_ssacfg_region(op.body, args, op.sym_name.data)

    @impl(func.CallOp)
    def run_call(self, interpreter: Interpreter, op: func.CallOp,
                 args: tuple[Any, ...]) -> PythonValues:
        return interpreter.call_op(op.callee.string_value(), args)

    @impl_terminator(func.ReturnOp)
    def run_return(self, interpreter: Interpreter, op: func.ReturnOp,
                   args: tuple[Any, ...]) -> tuple[TerminatorValue, PythonValues]:
        return ReturnedValues(args), ()
