"""Checks that an emitted HLS project still means what it says: its C++ parses, and its
Tcl runs only Vitis's commands (each stubbed, so no Vitis is needed). Shared by
tests/test_emitted_strings.py and the fuzz family `emit-strings`."""

from __future__ import annotations

import os
import shutil
import subprocess

VITIS_COMMANDS = ("open_project", "set_top", "add_files", "open_solution", "set_part",
                  "create_clock", "csim_design", "csynth_design", "export_design", "exit")

SCRIPT_CALLS = ["open_project", "set_top", "add_files", "add_files", "open_solution", "set_part",
                "create_clock", "csim_design", "csynth_design", "export_design", "exit"]
"""The commands run_hls.tcl runs, in order, when no test vectors lie beside it."""

TCL_STUBS = """\
set log [open [lindex $argv 0] w]
proc record {args} { global log; puts $log [join $args "\\t"] }
foreach command {COMMANDS exec} {
  proc $command {args} "record $command {*}\\$args"
}
proc unknown {args} { record unknown {*}$args }
source [lindex $argv 1]
close $log
""".replace("COMMANDS", " ".join(VITIS_COMMANDS))
"""Replaces every Vitis command (and `exec`, and any unknown command) by a proc that
records its arguments, one tab-separated line per call, then runs the script."""


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


def run_tcl_stubbed(script: str, workdir: str) -> tuple[int, list[list[str]], str]:
    """Run `script` under tclsh with the stubs: (exit code, the recorded calls, stderr)."""
    workdir = os.path.abspath(workdir)
    stubs = os.path.join(workdir, "stubs.tcl")
    log = os.path.join(workdir, "calls.log")
    with open(stubs, "w", encoding="utf-8") as f:
        f.write(TCL_STUBS)
    run = subprocess.run([tclsh() or "tclsh", stubs, log, os.path.abspath(script)], cwd=workdir,
                         capture_output=True, text=True, check=False)
    calls = []
    if os.path.exists(log):
        with open(log, encoding="utf-8") as f:
            calls = [line.split("\t") for line in f.read().splitlines()]
    return run.returncode, calls, run.stderr


def project_problem(project: str, workdir: str) -> str | None:
    """Why an emitted project is unsafe or does not parse, or None: the C++ must parse,
    and the Tcl must run exactly the template's commands and create no file."""
    errors = cxx_syntax_errors(project)
    if errors:
        return "the C++ does not parse: " + "; ".join(errors)
    before = set(os.listdir(workdir))
    code, calls, stderr = run_tcl_stubbed(os.path.join(project, "run_hls.tcl"), workdir)
    if code != 0:
        return f"run_hls.tcl fails under tclsh: {stderr.strip()[:300]}"
    if [call[0] for call in calls] != SCRIPT_CALLS:
        return f"run_hls.tcl runs {[call[0] for call in calls]}, not the template's commands"
    created = set(os.listdir(workdir)) - before - {"stubs.tcl", "calls.log"}
    if created:
        return f"run_hls.tcl created {sorted(created)}"
    return None
