"""Checks that an emitted HLS project still means what it says: its C++ parses, and its
Tcl runs only the tools' commands (each stubbed, so no Vitis or Vivado is needed). Shared
by tests/test_emitted_strings.py, tests/test_block_design.py and the fuzz family
`emit-strings`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from typing import NamedTuple

VITIS_COMMANDS = ("open_project", "set_top", "add_files", "open_solution", "set_part",
                  "create_clock", "csim_design", "csynth_design", "export_design", "exit")

VIVADO_COMMANDS = ("create_project", "current_project", "get_board_parts", "set_property",
                   "update_ip_catalog", "create_bd_design", "create_bd_cell",
                   "apply_bd_automation", "connect_bd_intf_net", "connect_bd_net",
                   "get_bd_cells", "get_bd_pins", "get_bd_intf_pins", "get_bd_ports",
                   "get_bd_addr_segs", "assign_bd_address", "validate_bd_design",
                   "save_bd_design", "get_files", "make_wrapper", "add_files", "current_fileset",
                   "launch_runs", "wait_on_run", "get_runs", "get_property")
"""The Vivado commands block_design.tcl may run."""

VIVADO_RESULTS = {"get_property": "100%", "make_wrapper": "wrapper.v"}
"""What the Vivado stubs return where the script reads a result (a finished run, the
wrapper's path); every other stub returns its last argument (a cell, pin or file name)."""

FILE_EFFECTS = ("copy", "delete", "link", "mkdir", "rename")
"""`file` subcommands that change the file system: recorded as `file <sub> ...` instead of
run. The others (`file join`, `file normalize`, `file isdirectory`) run."""

SCRIPT_CALLS = ["open_project", "set_top", "add_files", "add_files", "open_solution", "set_part",
                "create_clock", "csim_design", "csynth_design", "export_design", "exit"]
"""The commands run_hls.tcl runs, in order, when no test vectors lie beside it."""


def tcl_stubs(commands: Sequence[str], results: Mapping[str, str] | None = None) -> str:
    """A Tcl prelude run as `tclsh stubs.tcl LOG SCRIPT ARGS...`: it replaces each command
    of `commands` (and `exec`, and any unknown command, which then fails) by a proc that
    records its arguments, one tab-separated line per call (tab, newline and backslash
    escaped as `\\t`, `\\n`, `\\\\`) and returns `results[command]` or its last argument;
    records the file system changes of `file`; then sources SCRIPT with ARGS as its argv."""
    results = results or {}
    procs = []
    for command in (*commands, "exec"):
        result = f"{{{results[command]}}}" if command in results else "[lindex $args end]"
        procs.append(f"proc {command} {{args}} {{record {command} {{*}}$args; "
                     f"return {result}}}")
    return "\n".join([
        "set log [open [lindex $argv 0] w]",
        "fconfigure $log -buffering line",
        "set script [lindex $argv 1]",
        "set argv [lrange $argv 2 end]",
        "set argc [llength $argv]",
        "proc record {args} {",
        "  set fields {}",
        "  foreach arg $args {",
        '    lappend fields [string map [list "\\\\" "\\\\\\\\" "\\n" "\\\\n" "\\t" "\\\\t"] $arg]',
        "  }",
        '  puts $::log [join $fields "\\t"]',
        "}",
        *procs,
        "rename file tcl_file",
        "proc file {subcommand args} {",
        f"  if {{$subcommand in {{{' '.join(FILE_EFFECTS)}}}}} {{",
        "    record file $subcommand {*}$args",
        "    return",
        "  }",
        "  return [tcl_file $subcommand {*}$args]",
        "}",
        'proc unknown {args} { record unknown {*}$args; error "unknown command: $args" }',
        "source $script",
        "close $log",
        ""])


def cxx_syntax_errors(project: str) -> list[str]:
    """g++ -fsyntax-only on each source of the project, with the C simulation's flags and
    comment and trigraph warnings as errors (a live `??/` or `/*` in a comment is one);
    the failures' stderr, empty when every source parses."""
    from qnn_mlir.backends.hls.csim import compile_commands

    checks = []
    for command in compile_commands("g++", "lib.so")[:-1]:
        source = command[command.index("-c") + 1]
        checks.append(subprocess.Popen(
            [*command[:command.index("-c")], "-fsyntax-only", "-Werror=comment",
             "-Werror=trigraphs", source], cwd=project, stderr=subprocess.PIPE, text=True))
    errors = []
    for check in checks:
        stderr = check.communicate()[1]
        if check.returncode != 0 or stderr:
            errors.append(f"{' '.join(check.args[-1:])}: {stderr.strip()[:500]}")
    return errors


def tclsh() -> str | None:
    return shutil.which("tclsh")


class TclRun(NamedTuple):
    """What a stubbed script did: its exit code, its calls ([command, *args] each), its
    standard output and error."""

    code: int
    calls: list[list[str]]
    stdout: str
    stderr: str


def _unescape(field: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), field)


def run_tcl_stubbed(script: str, workdir: str, commands: Sequence[str] = VITIS_COMMANDS,
                    args: Sequence[str] = (), results: Mapping[str, str] | None = None
                    ) -> TclRun:
    """Run `script` (with `args` as its argv) under tclsh, `commands` stubbed (`tcl_stubs`);
    stubs.tcl and calls.log go to `workdir`, which is also the working directory."""
    workdir = os.path.abspath(workdir)
    stubs = os.path.join(workdir, "stubs.tcl")
    log = os.path.join(workdir, "calls.log")
    with open(stubs, "w", encoding="utf-8") as f:
        f.write(tcl_stubs(commands, results))
    run = subprocess.run([tclsh() or "tclsh", stubs, log, os.path.abspath(script), *args],
                         cwd=workdir, capture_output=True, text=True, check=False)
    calls = []
    if os.path.exists(log):
        with open(log, encoding="utf-8", newline="") as f:
            calls = [[_unescape(field) for field in line.split("\t")]
                     for line in f.read().split("\n") if line]
    return TclRun(run.returncode, calls, run.stdout, run.stderr)


def project_problem(project: str, workdir: str) -> str | None:
    """Why an emitted project is unsafe or does not parse, or None: the C++ must parse,
    and the Tcl must run exactly the template's commands and create no file."""
    errors = cxx_syntax_errors(project)
    if errors:
        return "the C++ does not parse: " + "; ".join(errors)
    before = set(os.listdir(workdir))
    code, calls, _, stderr = run_tcl_stubbed(os.path.join(project, "run_hls.tcl"), workdir)
    if code != 0:
        return f"run_hls.tcl fails under tclsh: {stderr.strip()[:300]}"
    if [call[0] for call in calls] != SCRIPT_CALLS:
        return f"run_hls.tcl runs {[call[0] for call in calls]}, not the template's commands"
    created = set(os.listdir(workdir)) - before - {"stubs.tcl", "calls.log"}
    if created:
        return f"run_hls.tcl created {sorted(created)}"
    return None
