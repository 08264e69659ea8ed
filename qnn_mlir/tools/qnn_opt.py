"""qnn-opt: run pass pipelines on quant/dataflow/hls IR (an xDSLOptMain subclass).

Only builtin, func, arith and the project's dialects and passes are registered.
Parse, verify and pass errors print `file:line:col: error: message` with the
source line and exit 1; with `--verify-diagnostics` they are printed to stdout
instead and the tool exits 0, so lit tests can FileCheck them.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Sequence
from io import StringIO

from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.exceptions import DiagnosticException, ParseError
from xdsl.xdsl_opt_main import xDSLOptMain

from qnn_mlir.diagnostics import (
    QnnError,
    format_diagnostic,
    parse_module_text,
    read_ir_text,
    run_tool,
)
from qnn_mlir.dialects import get_all_dialects
from qnn_mlir.passes import get_all_passes
from qnn_mlir.tools.arguments import usage_error
from qnn_mlir.tools.output import write_text_atomically

SPLIT_MARKER = "// -----"


class QnnOptMain(xDSLOptMain):
    """xdsl-opt restricted to this project's dialects, passes and the `mlir` target."""

    def register_all_arguments(self, arg_parser: argparse.ArgumentParser) -> None:
        super().register_all_arguments(arg_parser)
        # xDSL builds the parser itself; its usage errors must exit 1 like every error.
        arg_parser.error = functools.partial(usage_error, arg_parser)  # type: ignore[method-assign]

    def register_all_dialects(self) -> None:
        for name, loader in get_all_dialects().items():
            self.ctx.register_dialect(name, loader)

    def register_all_passes(self) -> None:
        for name, factory in get_all_passes().items():
            self.register_pass(name, factory)

    def register_all_targets(self) -> None:
        super().register_all_targets()
        self.available_targets = {"mlir": self.available_targets["mlir"]}

    def _chunks(self) -> list[tuple[str, int]]:
        """The input text, split at `// -----` with --split-input-file, with line offsets."""
        name = self.args.input_file
        text = sys.stdin.read() if name is None else read_ir_text(name)
        if not self.args.split_input_file:
            return [(text, 0)]
        chunks, offset = [], 0
        for chunk in text.split(SPLIT_MARKER):
            chunks.append((chunk, offset))
            offset += chunk.count("\n")
        return chunks

    def _process_chunk(self, text: str, offset: int) -> str:
        module = parse_module_text(self.ctx, text, self.get_input_name(), offset)
        try:
            self.apply_passes(module)
        except DiagnosticException as error:
            raise QnnError(format_diagnostic(self.get_input_name(), str(error))) from error
        except ParseError as error:  # pass options are parsed lazily
            raise QnnError(format_diagnostic("pipeline", error.msg)) from error
        return self.output_resulting_program(module)

    def run(self) -> int:
        """Parse, verify, transform and print each chunk; diagnostics per chunk."""
        output = StringIO()
        failed = False
        for index, (text, offset) in enumerate(self._chunks()):
            if index > 0:
                output.write(SPLIT_MARKER + "\n")
            try:
                output.write(self._process_chunk(text, offset))
            except QnnError as error:
                if not self.args.verify_diagnostics:
                    raise
                output.write(str(error) + "\n")
                failed = True
        write_text_atomically(output.getvalue(), self.args.output_file)
        # MLIR's --verify-diagnostics fails when nothing was diagnosed; keep that.
        if self.args.verify_diagnostics and not failed:
            print("qnn-opt: error: --verify-diagnostics given but no diagnostic was produced",
                  file=sys.stderr)
            return 1
        return 0

    def apply_passes(self, prog: ModuleOp) -> None:
        self.pipeline.apply(self.ctx, prog)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `qnn-opt` console script."""

    def body() -> int:
        try:
            tool = QnnOptMain(description="qnn-opt: the qnn-mlir pass driver", args=argv)
        except ParseError as error:
            raise QnnError(format_diagnostic("pipeline", error.msg)) from error
        except BaseException as error:
            # xDSL reports unknown passes and bad pipeline specs with exceptions
            # (some derive from BaseException); argparse exits by itself.
            if isinstance(error, SystemExit | KeyboardInterrupt):
                raise
            message = str(error).strip()
            raise QnnError(f"qnn-opt: error: invalid pass pipeline: {message}") from error
        return tool.run()

    run_tool("qnn-opt", body)


if __name__ == "__main__":
    main()
