"""Run one fuzz case: a command-line tool on generated files, judged by the tools' contract.

Each case runs in a child forked from a parent that has already imported the
compiler, so that a case costs the tool's work and not Python's start-up. The
child changes into the case's own directory, sends stdout and stderr to files,
calls the tool's `main(argv)` as the console script would, then (on exit 0)
runs the case's oracle. The parent waits with a deadline and kills a child
that overruns it.

The contract (tests/invalid_inputs.md), as verdicts:

* `traceback` / `internal-error`: either text on stdout or stderr;
* `bad-exit`: an exit code other than 0 or 1, or death by a signal;
* `hang`: still running at the deadline;
* `leftover`: exit 1 with an output written (a failed run writes nothing);
* `outside-write`: a file written in the case directory outside the declared
  outputs;
* `silent-accept`: exit 0 on an input the case marks invalid;
* `no-output`: exit 0 without the declared output;
* `mismatch`: the oracle (a differential check) found a difference;
* `oracle-error`: the oracle itself raised (a defect of the fuzzer, reported as one).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from fuzzing.oracles import UNAVAILABLE

FAILURES = ("traceback", "internal-error", "bad-exit", "hang", "leftover", "outside-write",
            "silent-accept", "no-output", "mismatch", "oracle-error")
"""Verdicts that fail a case. The others: `rejected` (exit 1 with a diagnostic), `ok`
(exit 0, no oracle), `checked` (exit 0 and the oracle agreed), `unchecked` (exit 0 and
the oracle's reference could not run the input)."""

MEMORY_LIMIT = 6 << 30
"""Address-space limit of a case: an allocation that a bad header asks for fails in the
child (and is reported) instead of taking the machine's memory."""

Oracle = Callable[[], "str | None"]
"""Run in the case directory after exit 0: None if the outputs are right, else why not."""


@dataclass
class Case:
    """One tool invocation on generated inputs, and what the contract expects of it."""

    family: str
    what: str
    """One line: the mutation, e.g. `scale of node 'quant' = nan`."""
    tool: str
    argv: list[str]
    files: dict[str, bytes] = field(default_factory=dict)
    """Inputs written into the case directory before the run, by relative path."""
    outputs: tuple[str, ...] = ()
    """Paths (files or directories) the tool may create; nothing else may appear."""
    invalid: str | None = None
    """Why the input is invalid, when it is: the tool must then exit 1."""
    oracle: Oracle | None = None
    timeout: float = 60.0
    prepare: Callable[[str], None] | None = None
    """Called with the case directory before the run (to copy a shared build, say)."""


@dataclass
class Outcome:
    """What happened to one case."""

    case: Case
    verdict: str
    exit_code: int | None
    stderr: str
    detail: str = ""
    seconds: float = 0.0
    directory: str = ""
    """Where the case ran; kept for reproduction when it failed."""

    @property
    def failed(self) -> bool:
        return self.verdict in FAILURES


def tool_mains() -> dict[str, Callable[[list[str]], None]]:
    """The console scripts by name (imported here, once, before any fork)."""
    from qnn_mlir.tools import qnn_compile, qnn_opt, qnn_run, qnn_translate

    return {"qnn-opt": qnn_opt.main, "qnn-translate": qnn_translate.main,
            "qnn-run": qnn_run.main, "qnn-compile": qnn_compile.main}


def _write_inputs(case: Case, directory: str) -> None:
    for relative, data in case.files.items():
        path = os.path.join(directory, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    if case.prepare is not None:
        case.prepare(directory)


def _snapshot(directory: str) -> set[str]:
    paths = set()
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            paths.add(os.path.relpath(os.path.join(root, name), directory))
    return paths


def _child(case: Case, main: Callable[[list[str]], None], directory: str) -> None:
    """The forked child: run the tool, then the oracle; never returns."""
    code = 3
    try:
        os.setsid()  # the parent kills the whole group on a hang, g++ included
        os.chdir(directory)
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        for fd, name in ((1, "stdout.txt"), (2, "stderr.txt")):
            handle = os.open(os.path.join(directory, ".fuzz", name),
                             os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(handle, fd)
            os.close(handle)
        try:
            main(list(case.argv))
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        except BaseException:  # noqa: BLE001 - reported as the traceback it is
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        report = {"exit": code}
        if code == 0 and case.oracle is not None:
            try:
                report["oracle"] = case.oracle()
            except BaseException:  # noqa: BLE001 - an oracle failure is the harness's own
                report["oracle_error"] = traceback.format_exc()[-2000:]
        with open(os.path.join(directory, ".fuzz", "report.json"), "w") as f:
            json.dump(report, f)
    finally:
        os._exit(code if 0 <= code < 256 else 3)


@dataclass
class Running:
    """A case whose child has not finished yet."""

    case: Case
    pid: int
    directory: str
    before: set[str]
    started: float


def start(case: Case, main: Callable[[list[str]], None], directory: str) -> Running:
    """Write the case's inputs and fork its child."""
    os.makedirs(os.path.join(directory, ".fuzz"), exist_ok=True)
    _write_inputs(case, directory)
    before = _snapshot(directory)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(case, main, directory)
    return Running(case, pid, directory, before, time.monotonic())


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _covered(path: str, outputs: tuple[str, ...]) -> bool:
    """Whether `path` is an output or inside one (the tools' temporary siblings count:
    `out.mlir.tmp123` and `build.staging` are how outputs are written atomically)."""
    return any(path == out or path.startswith(out + os.sep) or path.startswith(out + ".")
               for out in outputs)


def judge(running: Running, status: int | None, timed_out: bool) -> Outcome:
    """The verdict on a finished (or killed) child."""
    case, directory = running.case, running.directory
    seconds = time.monotonic() - running.started
    stderr = _read(os.path.join(directory, ".fuzz", "stderr.txt"))
    stdout = _read(os.path.join(directory, ".fuzz", "stdout.txt"))

    def outcome(verdict: str, code: int | None, detail: str = "") -> Outcome:
        return Outcome(case, verdict, code, stderr, detail, seconds, directory)

    if timed_out:
        return outcome("hang", None, f"still running after {case.timeout:.0f} s")
    assert status is not None
    if os.WIFSIGNALED(status):
        return outcome("bad-exit", None, f"killed by signal {os.WTERMSIG(status)}")
    code = os.WEXITSTATUS(status)
    text = stdout + stderr
    if "Traceback (most recent call last)" in text:
        return outcome("traceback", code)
    if "internal error" in text:
        return outcome("internal-error", code)
    if code not in (0, 1):
        return outcome("bad-exit", code)
    new = {p for p in _snapshot(directory) - running.before if not p.startswith(".fuzz")}
    outside = sorted(p for p in new if not _covered(p, case.outputs))
    if outside:
        return outcome("outside-write", code, ", ".join(outside[:5]))
    if code == 1:
        left = sorted(p for p in new if _covered(p, case.outputs))
        if left:
            return outcome("leftover", code, ", ".join(left[:5]))
        return outcome("rejected", code)
    if case.invalid is not None:
        return outcome("silent-accept", code, case.invalid)
    missing = [out for out in case.outputs[:1] if not os.path.exists(os.path.join(directory, out))]
    if missing:
        return outcome("no-output", code, missing[0])
    report = json.loads(_read(os.path.join(directory, ".fuzz", "report.json")) or "{}")
    if report.get("oracle_error"):
        return outcome("oracle-error", code, report["oracle_error"])
    if "oracle" not in report:
        return outcome("ok", code)
    verdict = report["oracle"]
    if verdict is None:
        return outcome("checked", code)
    if verdict.startswith(UNAVAILABLE):
        return outcome("unchecked", code, verdict)
    return outcome("mismatch", code, verdict)


def run_cases(cases, workdir: str, jobs: int = 2,
              on_outcome: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Run `cases` (an iterable), `jobs` at a time, each in `workdir/<index>`; the directory
    of a case that did not fail is removed, a failed one is kept for reproduction."""
    mains = tool_mains()
    outcomes: list[Outcome] = []
    running: list[Running] = []
    pending = iter(enumerate(cases))
    exhausted = False
    while running or not exhausted:
        while not exhausted and len(running) < jobs:
            try:
                index, case = next(pending)
            except StopIteration:
                exhausted = True
                break
            directory = os.path.join(workdir, f"{index:05d}-{case.family}")
            running.append(start(case, mains[case.tool], directory))
        finished = False
        for item in list(running):
            pid, status = os.waitpid(item.pid, os.WNOHANG)
            timed_out = pid == 0 and time.monotonic() - item.started > item.case.timeout
            if timed_out:
                try:
                    os.killpg(item.pid, signal.SIGKILL)
                except ProcessLookupError:  # killed before it made its own group
                    os.kill(item.pid, signal.SIGKILL)
                os.waitpid(item.pid, 0)
            if pid == 0 and not timed_out:
                continue
            running.remove(item)
            finished = True
            result = judge(item, None if timed_out else status, timed_out)
            outcomes.append(result)
            if on_outcome is not None:
                on_outcome(result)
            if not result.failed:
                shutil.rmtree(item.directory, ignore_errors=True)
            else:
                _save_reproduction(result)
        if not finished:
            time.sleep(0.005)
    return outcomes


def _save_reproduction(result: Outcome) -> None:
    """`case.json` beside a failed case's inputs: the command that reruns it, and why."""
    case = result.case
    with open(os.path.join(result.directory, ".fuzz", "case.json"), "w") as f:
        json.dump({"family": case.family, "what": case.what, "verdict": result.verdict,
                   "detail": result.detail, "command": [case.tool, *case.argv],
                   "invalid": case.invalid}, f, indent=2)
