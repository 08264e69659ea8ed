"""qnn-translate: the edges of the compiler.

  qnn-translate --import-onnx model.onnx [-o out.mlir]   ONNX/QONNX -> quant IR
  qnn-translate --to-hls in.mlir -o DIR [--board B]      dataflow or HLS form -> Vitis HLS project
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
    mode.add_argument("--to-hls", action="store_true",
                      help="write the Vitis HLS project of the module's accelerator into the "
                      "directory -o (runs convert-dataflow-to-hls on dataflow-form input)")
    parser.add_argument("--board", default="pynq-z1",
                        help="--to-hls target board: pynq-z1 (default) or pynq-z2")
    parser.add_argument("input", help="input file")
    parser.add_argument("-o", "--output", help="output file (default: stdout)")
    args = parser.parse_args(argv)

    def body() -> int:
        if args.to_hls:
            from qnn_mlir.backends.hls import translate_to_hls

            translate_to_hls(args.input, args.output, args.board)
            return 0
        from qnn_mlir.frontend.onnx_importer import import_onnx

        module = import_onnx(args.input)
        write_text_atomically(module_to_text(module), args.output)
        return 0

    run_tool("qnn-translate", body)


if __name__ == "__main__":
    main()
