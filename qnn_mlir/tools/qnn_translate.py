"""qnn-translate: the edges of the compiler.

  qnn-translate --import-onnx model.onnx [-o out.mlir]   ONNX/QONNX -> quant IR
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from xdsl.printer import Printer

from qnn_mlir.diagnostics import run_tool
from qnn_mlir.tools.output import write_text_atomically


def module_to_text(module) -> str:
    """The module in the custom textual form, ending with a newline."""
    from io import StringIO

    stream = StringIO()
    Printer(stream=stream).print_op(module)
    return stream.getvalue() + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `qnn-translate` console script."""
    parser = argparse.ArgumentParser(prog="qnn-translate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--import-onnx", action="store_true",
                      help="translate an ONNX/QONNX model into quant-dialect IR")
    parser.add_argument("input", help="input file")
    parser.add_argument("-o", "--output", help="output file (default: stdout)")
    args = parser.parse_args(argv)

    def body() -> int:
        from qnn_mlir.frontend.onnx_importer import import_onnx

        module = import_onnx(args.input)
        write_text_atomically(module_to_text(module), args.output)
        return 0

    run_tool("qnn-translate", body)


if __name__ == "__main__":
    main()
