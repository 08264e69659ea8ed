"""No IR string reaches a file of the HLS project unescaped (qnn_mlir/backends/hls/ir_strings.py).

An HLS-form module whose kernel symbol, a ROM symbol and every call comment
hold a hostile string goes through `qnn-translate --to-hls`. Then g++ must
accept top.cpp and testbench.cpp; tclsh must run run_hls.tcl with every Vitis
command stubbed and record exactly the commands the template writes (no
`exec`, nothing injected) with `set_top` naming the emitted top function; and
every comment must show the string as an MLIR string literal that decodes back
to it, so the user can recognise the layer. The Vivado block design of the same
module must run under tclsh with the Vivado commands stubbed, call only them,
name the IP and its cell after the emitted top, and create no file. The strings
that are C++ themselves (headers, template argument text, pragma text, callees)
are rejected by the hls verifier with a located diagnostic.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import tool
from fuzzing.emitted_files import (
    SCRIPT_CALLS,
    VIVADO_COMMANDS,
    VIVADO_RESULTS,
    cxx_syntax_errors,
    run_tcl_stubbed,
)
from fuzzing.emitted_files import tclsh as find_tclsh
from hls_modules import binary_chain
from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, ModuleOp, StringAttr, SymbolRefAttr
from xdsl.utils.lexer import Input
from xdsl.utils.mlir_lexer import MLIRLexer

from qnn_mlir.backends.hls import to_hls_form
from qnn_mlir.backends.hls.ir_strings import CXX_RESERVED, cxx_identifier
from qnn_mlir.backends.hls.vivado import emit_vivado_scripts
from qnn_mlir.diagnostics import parse_module_text
from qnn_mlir.dialects import hls, make_context
from qnn_mlir.tools.qnn_translate import module_to_text

HOSTILE = {
    "newline": "a\nb",
    "carriage-return": "a\rb",
    "block-comment": "a*/b/*c",
    "line-comment": "a//b",
    "double-quote": 'a"b',
    "single-quote": "a'b",
    "backslash": "a\\b",
    "trailing-backslash": "ab\\",
    "trigraph": "a??/",
    "tcl-command": "[exec touch PWNED]",
    "tcl-command-on-a-new-line": "x\n[exec touch PWNED]\n",
    "braces": "a{b}}c",
    "tcl-variable": "$var",
    "non-ascii": "caf\u00e9\u2028x",
    "everything": "\n*/ // \" ' \\ [exec touch PWNED] {} $var ??/ \\",
}
"""Each breaks out of a C++ comment, string or line, or a Tcl word or comment, if
printed raw."""

FOLDING = ((4, 0), (8, 3), (6, 4), (2, 0))

def hostile_module(text: str) -> ModuleOp:
    """The chain in HLS form, its kernel, first ROM and every call comment holding `text`."""
    module = to_hls_form(parse_module_text(make_context(), binary_chain(FOLDING).module(),
                                           "chain.mlir"))
    kernel = next(op for op in module.walk() if isinstance(op, hls.KernelOp))
    kernel.properties["sym_name"] = StringAttr(f"acc{text}")
    for op in module.ops:
        if isinstance(op, func.FuncOp) and "hls.kernel" in op.attributes:
            op.attributes["hls.kernel"] = SymbolRefAttr("acc_hls", [f"acc{text}"])
    rom = next(op for op in module.walk() if isinstance(op, hls.RomOp))
    old_name, new_name = rom.sym_name.data, f"rom{text}"
    rom.properties["sym_name"] = StringAttr(new_name)
    for op in list(kernel.body.block.ops):
        if isinstance(op, hls.PragmaOp) and f"variable={old_name} " in op.text.data:
            kernel.body.block.erase_op(op)  # a pragma names a variable by a word
        elif isinstance(op, hls.CallOp):
            op.properties["comment"] = StringAttr(text)
            if op.roms is not None:
                op.properties["roms"] = ArrayAttr([
                    SymbolRefAttr(new_name) if ref.root_reference.data == old_name else ref
                    for ref in op.roms.data])
    return module


def translate(module_text: str, directory: Path) -> subprocess.CompletedProcess:
    source = directory / "in.mlir"
    source.write_text(module_text, encoding="utf-8")
    return subprocess.run([tool("qnn-translate"), "--to-hls", str(source), "-o",
                           str(directory / "prj")], capture_output=True, text=True, check=False)


def decoded(literal: str) -> str:
    """The string an MLIR string literal stands for, decoded by xDSL's lexer."""
    token = MLIRLexer(Input(literal, "comment")).lex()
    assert token.span.text == literal, f"{literal!r} is not one MLIR string literal"
    return token.span.bytes_contents.decode()


def shown_symbol(line: str) -> str:
    """The symbol name a comment line shows as `@name` or `@"..."` (a bare name at the
    end of the line is followed by a full stop)."""
    match = re.search(r'@("[^"]*"|[A-Za-z_][\w$.]*)', line)
    assert match, line
    if match[1].startswith('"'):
        return decoded(match[1])
    return match[1][:-1] if line.endswith(match[1]) else match[1]


def shown_text(comment: str) -> str:
    """The text a comment shows: as written, or an MLIR string literal when it needed
    escaping (plain text never holds a double quote)."""
    return decoded(comment) if comment.startswith('"') else comment


@pytest.fixture(scope="module")
def tclsh() -> str:
    path = find_tclsh()
    if path is None:
        pytest.fail("tclsh is missing: run tools/setup_system.sh (Debian package tcl)")
    return path


def run_block_design(module: ModuleOp, directory: Path):
    """block_design.tcl of the module, run with the Vivado commands stubbed (the IP
    directory exists, the output directory does not)."""
    script = directory / "block_design.tcl"
    script.write_text(emit_vivado_scripts(module)["block_design.tcl"], encoding="utf-8")
    return run_tcl_stubbed(str(script), str(directory), VIVADO_COMMANDS,
                           [str(directory), str(directory / "bitstream")], VIVADO_RESULTS)


@pytest.fixture(scope="module")
def block_design_commands(tclsh, tmp_path_factory) -> list[str]:
    """The commands the block design of a plainly named kernel runs, in order."""
    run = run_block_design(hostile_module("_plain"), tmp_path_factory.mktemp("plain"))
    assert run.code == 0, run.stderr
    return [call[0] for call in run.calls]


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_strings_print_escaped(text, tmp_path, tclsh, block_design_commands):
    result = translate(module_to_text(hostile_module(text)), tmp_path)
    assert result.returncode == 0, result.stderr
    project = tmp_path / "prj"
    files = {name: (project / name).read_text(encoding="utf-8") for name in
             ("top.cpp", "top.h", "params.h", "testbench.cpp", "run_hls.tcl")}

    # (a) g++ reads both sources as the C simulation does, with no comment or trigraph
    # warning (a live `??/` or `/*` in a comment is one).
    assert not cxx_syntax_errors(str(project))

    # (b) tclsh runs the script with the Vitis commands stubbed: exactly the template's
    # commands, no exec, no injected or unknown command, no file created.
    code, calls, _, stderr = run_tcl_stubbed(str(project / "run_hls.tcl"), str(tmp_path))
    assert code == 0, stderr
    assert [call[0] for call in calls] == SCRIPT_CALLS
    assert not list(tmp_path.rglob("PWNED")) and not Path("PWNED").exists()

    # (c) The recorded top and project names are the emitted functions': the kernel's,
    # and the synthesis top's around it.
    top = re.search(r"^void (\w+)\(hls::stream", files["top.cpp"], re.MULTILINE)[1]
    assert top == cxx_identifier(f"acc{text}")
    axi_top = cxx_identifier(f"{top}_axi")  # one underscore after a trailing one
    assert calls[0] == ["open_project", "-reset", f"{top}_prj"]
    assert calls[1] == ["set_top", axi_top]
    assert f"void {axi_top}(hls::stream<ap_axiu<" in files["top.cpp"]
    assert f"void {top}(hls::stream" in files["top.h"]
    assert f"::{top}(port_in0, port_out0);" in files["testbench.cpp"]
    assert f"::{axi_top}(axi_in0, axi_out0, " in files["testbench.cpp"]

    # (d) The comments show the strings, escaped: the kernel in each file's first line,
    # the ROM above its array, the call comment above each call.
    for name, content in files.items():
        first, second = content.splitlines()[:2]
        assert shown_symbol(first) == f"acc{text}", name
        assert second.startswith(("// Generated", "# Generated")), name
    rom_lines = [line for line in files["params.h"].splitlines()
                 if line.startswith("// @") and " word(s) of " in line]
    assert shown_symbol(rom_lines[0]) == f"rom{text}"
    lines = files["top.cpp"].splitlines()
    calls_cxx = [index for index, line in enumerate(lines) if line.startswith("  qnn::")
                 and not line.startswith(("  qnn::axi_to_words", "  qnn::words_to_axi"))]
    assert len(calls_cxx) == 7
    for index in calls_cxx:
        assert lines[index - 1].startswith("  // ")
        assert shown_text(lines[index - 1][len("  // "):]) == text

    # (e) The block design runs only Vivado's commands, the same as for a plain name,
    # instantiates the exported IP as a cell named after the top, creates no file, and
    # shows the kernel in its header comment.
    before = set(tmp_path.rglob("*"))
    run = run_block_design(hostile_module(text), tmp_path)
    assert run.code == 0, run.stderr
    assert [call[0] for call in run.calls] == block_design_commands
    assert ["create_bd_cell", "-type", "ip", "-vlnv", f"xilinx.com:hls:{axi_top}:1.0",
            top] in run.calls
    created = set(tmp_path.rglob("*")) - before - {tmp_path / name for name in (
        "block_design.tcl", "stubs.tcl", "calls.log")}
    assert not created and not Path("PWNED").exists()
    first, second = (tmp_path / "block_design.tcl").read_text().splitlines()[:2]
    assert shown_symbol(first) == f"acc{text}"
    assert second.startswith("# Generated")


def test_a_plain_comment_prints_as_written(tmp_path):
    module = hostile_module("_plain")
    call = next(op for op in module.walk() if isinstance(op, hls.CallOp))
    call.properties["comment"] = StringAttr("layer 0 (fc): dataflow.mvau, 'x' [y] {z} $w")
    assert translate(module_to_text(module), tmp_path).returncode == 0
    top = (tmp_path / "prj" / "top.cpp").read_text()
    assert "// top.cpp - the accelerator @acc_plain as one" in top
    assert "  // layer 0 (fc): dataflow.mvau, 'x' [y] {z} $w\n" in top
    assert "// @rom_plain: " in (tmp_path / "prj" / "params.h").read_text()


@pytest.mark.parametrize("name", [*HOSTILE.values(), "int", "_LP64", "__x", "a__b", "9lives",
                                  "errno", "assert", "main", "qnn_run_batch", "qnn_run_axi",
                                  "ap_axiu", ""])
def test_identifiers_are_valid_and_not_reserved(name):
    ident = cxx_identifier(name)
    assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", ident), ident
    assert ident not in CXX_RESERVED, ident
    # Implementations name things `__x` and `_X`; a double underscore inside a name is
    # reserved too, but for the `v__` that escapes a leading one (as test_hls_backend.py has it).
    assert not re.match(r"_(_|[A-Z]|$)", ident), ident
    assert "__" not in ident.removeprefix("v__"), ident


# -- strings that are C++ themselves: the verifier rejects them --------------------------


def _set_headers(module: ModuleOp, header: str) -> str:
    kernel = next(op for op in module.walk() if isinstance(op, hls.KernelOp))
    kernel.attributes["headers"] = ArrayAttr([StringAttr("qnn/mvau.h"), StringAttr(header)])
    return "hls.kernel"


def _set_template_arg(module: ModuleOp, text: str) -> str:
    call = next(op for op in module.walk() if isinstance(op, hls.CallOp))
    call.properties["template_args"] = ArrayAttr([*call.template_args.data, StringAttr(text)])
    return "hls.call"


def _set_pragma(module: ModuleOp, text: str) -> str:
    pragma = next(op for op in module.walk() if isinstance(op, hls.PragmaOp))
    pragma.properties["text"] = StringAttr(text)
    return "hls.pragma"


def _set_callee(module: ModuleOp, text: str) -> str:
    call = next(op for op in module.walk() if isinstance(op, hls.CallOp))
    call.properties["callee"] = StringAttr(text)
    return "hls.call"


REJECTED = {
    "unknown-header": (_set_headers, "evil.h",
                       r"'hls.kernel' @acc header 'evil.h' is not a header of the project's "
                       r"layer library or of a layer op: expected one of .*qnn/mvau\.h"),
    "header-outside-the-project": (_set_headers, "../../../etc/passwd",
                                   r"header '\.\./\.\./\.\./etc/passwd' is not a header"),
    "header-with-a-newline": (_set_headers, 'qnn/mvau.h"\n#include "/etc/passwd',
                              r'header "qnn/mvau\.h\\22\\0A#include \\22/etc/passwd" is not'),
    "template-arg-statement": (_set_template_arg, '1>(in0); system("touch PWNED"); f<1',
                               r"'hls.call' qnn::thresholding: template argument 8 must be "
                               r"one C\+\+ type or constant \(letters, digits, spaces"),
    "template-arg-closing-the-list": (_set_template_arg, "1>(in0, out0), g<1",
                                      r"template argument 8 must be one C\+\+ type or "
                                      r"constant \(with balanced <> and \(\)\)"),
    "pragma-comment": (_set_pragma, "DATAFLOW /* x",
                       r"'hls.pragma' text must be letters, digits, spaces and .* only \(it is "
                       r"printed as a line of C\+\+\), got 'DATAFLOW /\* x'"),
    "pragma-continuation": (_set_pragma, "DATAFLOW \\", r"'hls.pragma' text must be"),
    "keyword-callee": (_set_callee, "throw",
                       r"'hls.call' callee 'throw' is not a C\+\+ name \('throw' is a keyword\)"),
}


@pytest.mark.parametrize("change, text, message", REJECTED.values(), ids=REJECTED.keys())
def test_strings_that_are_cxx_are_rejected_with_a_located_diagnostic(change, text, message,
                                                                    tmp_path):
    module = hostile_module("")
    op_name = change(module, text)
    result = translate(module_to_text(module), tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    where = re.match(rf"{re.escape(str(tmp_path / 'in.mlir'))}:(\d+):(\d+): error: (.*)",
                     result.stderr)
    assert where, result.stderr
    assert re.search(message, where[3]), where[3]
    line = (tmp_path / "in.mlir").read_text(encoding="utf-8").splitlines()[int(where[1]) - 1]
    assert line[int(where[2]) - 1:].startswith(op_name), line
    assert not (tmp_path / "prj").exists()
