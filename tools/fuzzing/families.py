"""The fuzz families: each turns a random generator into `Case`s for one kind of input.

* quant-params: Quant/BipolarQuant parameters and attributes -> qnn-translate
  --import-onnx (checked against qonnx), or qnn-compile --skip-csim;
* onnx-graph: the ONNX graph's structure -> the same tools;
* ir-text: the textual IR of every stage -> qnn-opt -p PASS, qnn-run, qnn-translate
  --to-hls;
* npy-input: .npy input files -> qnn-run (interpreter) and qnn-run --csim, each
  checked against the other;
* compile-options: options and folding configs -> qnn-compile;
* emit-strings: hostile strings (newlines, `*/`, quotes, Tcl brackets) in the
  symbol names and string attributes of dataflow- and HLS-form IR -> qnn-translate
  --to-hls, whose project must still parse (g++) and run only Vitis's commands
  (tclsh with the commands stubbed).

Every import that exits 0 is checked against qonnx's execute_onnx; every run
that exits 0 against the other execution path (interpreter or C simulation).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import onnx

from fuzzing.graph_mutations import GRAPH_MUTATIONS, structural_problem
from fuzzing.harness import Case
from fuzzing.ir_mutations import inject_string, mutate_ir
from fuzzing.npy_mutations import mutate_npy
from fuzzing.onnx_mutations import SPECIAL_STRINGS, mutate_quantizer, quantizer_problem
from fuzzing.option_mutations import compile_options
from fuzzing.oracles import (
    exact_arithmetic,
    import_matches_qonnx,
    project_is_safe,
    run_paths_agree,
)
from fuzzing.seeds import Seed

STAGES = ("01-imported", "02-integer", "03-dataflow", "04-hls")


@dataclass
class Prepared:
    """A seed compiled once: its build directory (absolute) and tensor shapes."""

    seed: Seed
    build: str
    shapes: dict[str, tuple[int, ...]]

    def stage_text(self, stage: str) -> str:
        with open(os.path.join(self.build, "ir", f"{stage}.mlir"), encoding="utf-8") as f:
            return f.read()

    def folding(self) -> dict:
        with open(os.path.join(self.build, "folding.json"), encoding="utf-8") as f:
            return json.load(f)


def checker_problem(model: onnx.ModelProto) -> str | None:
    """What onnx.checker (with strict shape inference) finds wrong, or None."""
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as error:  # noqa: BLE001 - every checker failure means invalid ONNX
        return f"onnx.checker: {str(error).strip().splitlines()[0][:160]}"
    return None


def _onnx_case(family: str, seed: Seed, model: onnx.ModelProto, what: str,
               invalid: str | None, rng: np.random.Generator, index: int) -> Case:
    """Import the mutated model (and compile a quarter of them, for the later passes)."""
    files = {"model.onnx": model.SerializeToString()}
    if rng.random() < 0.25:
        return Case(family, f"{seed.name}: {what}", "qnn-compile",
                    ["model.onnx", "-o", "build", "--skip-csim"], files, ("build",), invalid,
                    timeout=120)
    return Case(family, f"{seed.name}: {what}", "qnn-translate",
                ["--import-onnx", "model.onnx", "-o", "out.mlir"], files, ("out.mlir",), invalid,
                oracle=import_matches_qonnx("model.onnx", "out.mlir", index,
                                            exact_arithmetic(model)))


def quant_params_cases(prepared: list[Prepared], rng: np.random.Generator) -> Iterator[Case]:
    for index in range(1 << 62):
        target = prepared[int(rng.integers(len(prepared)))]
        model = target.seed.proto()
        mutations = [mutate_quantizer(model, rng) for _ in range(int(rng.integers(1, 3)))]
        invalid = next((m.invalid for m in mutations if m.invalid), None) or \
            quantizer_problem(model, target.shapes)
        yield _onnx_case("quant-params", target.seed, model,
                         "; ".join(m.what for m in mutations), invalid, rng, index)


def onnx_graph_cases(prepared: list[Prepared], rng: np.random.Generator) -> Iterator[Case]:
    for index in range(1 << 62):
        target = prepared[int(rng.integers(len(prepared)))]
        model = target.seed.proto()
        mutations = []
        for _ in range(int(rng.integers(1, 3))):
            mutate = GRAPH_MUTATIONS[int(rng.integers(len(GRAPH_MUTATIONS)))]
            try:
                mutations.append(mutate(model, rng))
            except (ValueError, IndexError):  # nothing of that kind in this model
                continue
        if not mutations:
            continue
        invalid = next((m.invalid for m in mutations if m.invalid), None) or \
            structural_problem(model) or checker_problem(model) or quantizer_problem(model, {})
        yield _onnx_case("onnx-graph", target.seed, model, "; ".join(m.what for m in mutations),
                         invalid, rng, index)


def ir_text_cases(prepared: list[Prepared], pass_names: list[str],
                  rng: np.random.Generator) -> Iterator[Case]:
    while True:
        target = prepared[int(rng.integers(len(prepared)))]
        stage = STAGES[int(rng.integers(len(STAGES)))]
        text = target.stage_text(stage)
        changes = []
        for _ in range(int(rng.integers(1, 3))):
            text, change = mutate_ir(text, rng)
            changes.append(change)
        what = f"{target.seed.name} {stage}: {'; '.join(changes)}"
        files = {"in.mlir": text.encode()}
        tool = int(rng.integers(3))
        if tool == 0 or stage == "04-hls" and tool == 1:
            name = pass_names[int(rng.integers(len(pass_names)))]
            yield Case("ir-text", what, "qnn-opt", ["in.mlir", "-p", name, "-o", "out.mlir"],
                       files, ("out.mlir",))
        elif tool == 1:
            x = np.zeros(target.seed.input_shape, np.float32)
            yield Case("ir-text", what, "qnn-run",
                       ["in.mlir", "--input", "x.npy", "--output", "y.npy"],
                       {**files, "x.npy": _npy_bytes(x)}, ("y.npy",))
        else:
            yield Case("ir-text", what, "qnn-translate", ["--to-hls", "in.mlir", "-o", "hls"],
                       files, ("hls",))


def _npy_bytes(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_input_cases(prepared: list[Prepared], rng: np.random.Generator) -> Iterator[Case]:
    """Mutated inputs to a compiled seed, through the interpreter or the C simulation; a
    run that exits 0 must agree with the other path on the same file."""
    compiled = [p for p in prepared if p.seed.name in ("mlp", "cnn", "binarized")]
    while True:
        target = compiled[int(rng.integers(len(compiled)))]
        data, what, invalid = mutate_npy(target.seed.input_shape, rng)
        imported = os.path.join(target.build, "ir", "01-imported.mlir")
        if rng.random() < 0.5:
            argv = ["--csim", target.build]
            oracle = run_paths_agree("x.npy", "y.npy", "interpreter", imported)
        else:
            stage = STAGES[int(rng.integers(3))]
            argv = [os.path.join(target.build, "ir", f"{stage}.mlir")]
            oracle = run_paths_agree("x.npy", "y.npy", "csim", target.build)
        yield Case("npy-input", f"{target.seed.name}: {what}", "qnn-run",
                   [*argv, "--input", "x.npy", "--output", "y.npy"], {"x.npy": data},
                   ("y.npy",), invalid, oracle)


def compile_option_cases(prepared: list[Prepared], rng: np.random.Generator) -> Iterator[Case]:
    compiled = [p for p in prepared if p.seed.name in ("mlp", "cnn", "binarized")]
    while True:
        target = compiled[int(rng.integers(len(compiled)))]
        options = compile_options(target.folding(), rng)
        files = {"model.onnx": target.seed.model, **options.files}
        yield Case("compile-options", f"{target.seed.name}: {options.what}", "qnn-compile",
                   ["model.onnx", "-o", options.output, *options.argv], files,
                   (options.output.split("/")[0],), options.invalid, timeout=180,
                   prepare=options.prepare)


def emit_string_cases(prepared: list[Prepared], rng: np.random.Generator) -> Iterator[Case]:
    while True:
        target = prepared[int(rng.integers(len(prepared)))]
        stage = STAGES[int(rng.integers(2, 4))]
        text = target.stage_text(stage)
        changes = []
        for _ in range(int(rng.integers(1, 4))):
            text, change = inject_string(text, rng, SPECIAL_STRINGS)
            changes.append(change)
        yield Case("emit-strings", f"{target.seed.name} {stage}: {'; '.join(changes)}",
                   "qnn-translate", ["--to-hls", "in.mlir", "-o", "hls"],
                   {"in.mlir": text.encode()}, ("hls",), oracle=project_is_safe("hls"))


FAMILIES: dict[str, Callable[..., Iterator[Case]]] = {
    "quant-params": quant_params_cases, "onnx-graph": onnx_graph_cases,
    "ir-text": ir_text_cases, "npy-input": npy_input_cases,
    "compile-options": compile_option_cases, "emit-strings": emit_string_cases,
}
"""Family name -> generator of its cases."""

