"""qnn-translate: the edges of the compiler.

  qnn-translate --import-onnx model.onnx [-o out.mlir] [--board B]   ONNX/QONNX -> quant IR
  qnn-translate --to-hls in.mlir -o DIR [--board B]   dataflow or HLS form -> Vitis HLS project
  qnn-translate --to-pynq in.mlir -o DIR [--board B]  dataflow or HLS form -> deployment package

The target board is the module attribute `dataflow.target`: `--import-onnx
--board B` records it, `--to-hls` uses the module's (pynq-z1 if it has none)
unless `--board` replaces it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from xdsl.printer import Printer

from qnn_mlir.cost.boards import get_board, known_boards, set_target
from qnn_mlir.diagnostics import QnnError, run_tool
from qnn_mlir.tools.arguments import ToolArgumentParser
from qnn_mlir.tools.output import write_text_atomically


def module_to_text(module) -> str:
    """The module in the custom textual form, ending with a newline."""
    from io import StringIO

    stream = StringIO()
    Printer(stream=stream).print_op(module)
    return stream.getvalue() + "\n"


def check_board(name: str | None) -> None:
    """An unknown board is one diagnostic, before any work, listing the known boards."""
    if name is None:
        return
    try:
        get_board(name)
    except ValueError as error:
        raise QnnError(f"error: {error}") from error


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `qnn-translate` console script."""
    parser = ToolArgumentParser(prog="qnn-translate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--import-onnx", action="store_true",
                      help="translate an ONNX/QONNX model into quant-dialect IR")
    mode.add_argument("--to-hls", action="store_true",
                      help="write the Vitis HLS project of the module's accelerator into the "
                      "directory -o (runs convert-dataflow-to-hls on dataflow-form input)")
    mode.add_argument("--to-pynq", action="store_true",
                      help="write the PYNQ deployment package into the directory -o: driver.py, "
                      "the host code, the runtime, the C simulation library, the Vivado block "
                      "design and the HLS project (hls/)")
    parser.add_argument("--board", help="target board, recorded in the IR (--import-onnx) or "
                        "replacing the module's (--to-hls): " + known_boards())
    parser.add_argument("input", help="input file")
    parser.add_argument("-o", "--output", help="output file (default: stdout)")
    args = parser.parse_args(argv)

    def body() -> int:
        check_board(args.board)
        if args.to_hls or args.to_pynq:
            from qnn_mlir.backends.hls import translate_to_hls

            translate_to_hls(args.input, args.output, args.board,
                             "pynq" if args.to_pynq else "hls")
            return 0
        from qnn_mlir.frontend.onnx_importer import import_onnx

        module = import_onnx(args.input)
        if args.board is not None:
            set_target(module, get_board(args.board))
        write_text_atomically(module_to_text(module), args.output)
        return 0

    run_tool("qnn-translate", body)


if __name__ == "__main__":
    main()
