"""The one-shot flow behind `qnn-compile`: ONNX model -> checked C simulation.

    import -> streamline-pipeline -> convert-quant-to-dataflow -> dataflow-partition
    -> dataflow-fold -> dataflow-insert-dwc -> convert-dataflow-to-hls -> C++ -> g++

The build directory holds every stage's IR (`ir/`), the Vitis HLS project
(`hls/`), the PYNQ deployment package (`deploy/`: driver, host code, runtime,
C simulation library, Vivado block design), `summary.json`, and
`folding.json`: the folding chosen, keyed by layer name, which `--folding`
reads back. It is written to a temporary directory and
renamed at the end, so a failed compile leaves no half-written build.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from qnn_mlir.compile_check import Stage, check_compiled
from qnn_mlir.compile_summary import (
    CompileSummary,
    accelerator_estimate,
    fill_estimates,
    folding_config,
)
from qnn_mlir.cost.boards import Board, Budget
from qnn_mlir.diagnostics import QnnError, excerpt
from qnn_mlir.passes.dataflow_partition import host_op_reasons
from qnn_mlir.tools.output import replace_directory

STAGES = ("01-imported", "02-integer", "03-dataflow", "04-hls")
"""File names (under ir/) of the IR after each phase; 04-hls is what qnn-run --csim runs."""

BUILD_STAMP = "summary.json"
FOLDING_FILE = "folding.json"
DEPLOY_DIR = "deploy"

TESTBENCH_FRAMES = 100
"""Images whose accelerator inputs and outputs go to hls/tb_*.bin for Vitis C simulation."""


def _passes(spec: str, prefix: str) -> list:
    """The pass instances of a pipeline spec (as after qnn-opt -p); named pipelines are
    expanded into their steps, so that each step is a stage of its own."""
    from xdsl.passes import PassPipeline
    from xdsl.utils.exceptions import DiagnosticException

    from qnn_mlir.passes import get_all_passes, pipeline_steps

    try:
        passes = PassPipeline.parse_spec(get_all_passes(), spec).passes
    except (DiagnosticException, ValueError) as error:  # ValueError: a mistyped option
        raise QnnError(f"{prefix}error: invalid pass pipeline: {excerpt(error)}") from error
    return [step for p in passes for step in pipeline_steps(p)]


def run_stages(module: ModuleOp, spec: str, where: str | None = None) -> list[Stage]:
    """Apply the passes of `spec` one by one to copies of `module`: the IR after each
    (verified), named after its pass. Failures are QnnErrors naming the pass, located at
    `where` (the model's file) when it is given."""
    from xdsl.utils.exceptions import DiagnosticException

    from qnn_mlir.dialects import make_context
    from qnn_mlir.passes import is_exact

    prefix = f"{where}: " if where else ""
    stages = []
    for step in _passes(spec, prefix):
        module = module.clone()
        try:
            step.apply(make_context(), module)
            module.verify()
        except DiagnosticException as error:
            # the first paragraph: xDSL prints the failing op after a verifier's message
            message = str(error).strip().split("\n\n")[0]
            raise QnnError(f"{prefix}error: {message}") from error
        stages.append(Stage(step.name, module, is_exact(step), str(step.pipeline_pass_spec())))
    return stages


def check_inputs(module: ModuleOp, count: int, seed: int = 0) -> np.ndarray:
    """Fashion-MNIST test images when the input is 1x28x28, else random values in [0, 1)."""
    from qnn_mlir.dialects import quant
    from qnn_mlir.interpreter import entry_function

    shape = quant.shape_of(entry_function(module).body.blocks.first.args[0])
    if tuple(shape[1:]) in ((1, 28, 28), (784,)):
        try:
            from qnn_mlir.datasets import fashion_mnist

            images = fashion_mnist("test")[0][:count]
            return images.reshape(len(images), *shape[1:])
        except FileNotFoundError:
            pass
    return np.random.default_rng(seed).uniform(0, 1, size=(count, *shape[1:])).astype(np.float32)


CHECK_MACS = 2 * 10**10
"""The multiply-accumulates the default check spends on its inputs: about 10 s of the
interpreter on two cores, which the check runs twice (the imported model and the
dataflow form)."""


def default_check_images(macs_per_frame: int) -> int:
    """Inputs for the check when the user gives no number: 1000 for an MLP, fewer for a
    large CNN (344 for CNV's 58 M MACs per image), never fewer than 100."""
    return max(100, min(1000, CHECK_MACS // max(macs_per_frame, 1)))


@dataclass
class CompileOptions:
    """Options of one compile (see qnn-compile --help)."""

    board: str = "pynq-z1"
    folding: str | None = None
    target_fps: float | None = None
    """Frames/s to fold for (finite, at least 0.001); None: the fastest that fits."""
    budget: str | None = None
    """The share of the board the design may use (`0.6`, `lut=0.7,bram=0.8,dsp=0.8`)."""
    check_images: int | None = None
    """Inputs for the check, 1 to MAX_CHECK_IMAGES; None: as many as
    `default_check_images` gives."""
    stream_depth: int = 2
    skip_csim: bool = False
    check_inputs: np.ndarray | None = None
    """Inputs for the check (batch first) instead of `check_images` generated ones."""


@dataclass
class Lowered:
    """Everything up to the emitted C++: the IR of each stage and the project's files."""

    stages: dict[str, ModuleOp]
    files: dict[str, str]
    summary: CompileSummary
    passes: list[Stage]
    """The IR after the import and after each pass, for the check."""


def _fold_step(options: CompileOptions, board: Board, budget: Budget) -> tuple[str, str]:
    """The dataflow-fold pass spec for the options, and how it chooses, in words.

    Only checked values go into the spec (`check_options`), and the budget as the numbers
    it parsed to: a `"` or `}` of the user's cannot add pass options."""
    share = f' budget="{budget.option_text()}"' if options.budget else ""
    within = f"{budget.text()} of the {board.title}"
    if options.folding is not None:
        path = os.path.abspath(options.folding)
        return (f'dataflow-fold{{config="{path}"}}', f"from {options.folding}")
    if options.target_fps is not None:
        # positional: xDSL's option lexer reads 1e+30 as a malformed number
        fps = np.format_float_positional(float(options.target_fps), trim="-")
        return (f"dataflow-fold{{target-fps={fps}{share}}}",
                f"FINN's automatic folding for {options.target_fps:,.0f} frames/s, within "
                f"{within}")
    return (f"dataflow-fold{{{share.strip()}}}" if share else "dataflow-fold",
            f"the fastest that fits {within} (the default, without --folding or "
            "--target-fps)")


MAX_CHECK_IMAGES = 10_000
"""The most inputs the check runs: the size of the Fashion-MNIST test set, and minutes
of interpreter time for a CNN."""

UNQUOTABLE = frozenset('"\\') | {chr(code) for code in range(32)}
"""Characters a path cannot hold inside a pass option's quotes (xDSL's string literal)."""


def _check_folding_file(path: str) -> None:
    """The --folding config, read and checked before any work: a diagnostic at the file."""
    from qnn_mlir.passes.dataflow_fold import check_config_values, read_folding_config

    unquotable = sorted(UNQUOTABLE.intersection(os.path.abspath(path)))
    if unquotable:
        raise QnnError(f"{path}: error: the path holds {unquotable[0]!r}, which cannot be "
                       "passed to dataflow-fold{config=...}; rename the file or its folder")
    try:
        config = read_folding_config(path)
    except ValueError as error:
        raise QnnError(f"{path}: error: the folding config {error}") from error
    try:
        check_config_values(config)
    except ValueError as error:
        raise QnnError(f"{path}: error: {error}") from error


def check_options(options: CompileOptions) -> tuple[Board, Budget]:
    """The board and budget of the options, every option checked up front: a bad one is
    one diagnostic before any work, never a traceback."""
    from qnn_mlir.cost.boards import get_board, parse_budget
    from qnn_mlir.passes.dataflow_fold import target_fps_problem

    if options.budget is not None and not options.budget.strip():
        raise QnnError("qnn-compile: error: --budget is empty; give a share such as 0.5 or "
                       "lut=0.7,bram=0.8,dsp=0.8, or leave the option out for the default")
    try:
        board, budget = get_board(options.board), parse_budget(options.budget or "")
    except ValueError as error:
        raise QnnError(f"qnn-compile: error: {error}") from error
    if options.folding is not None and options.target_fps is not None:
        raise QnnError("qnn-compile: error: give --folding or --target-fps, not both")
    if options.target_fps is not None:
        problem = target_fps_problem(options.target_fps, board.clock_mhz)
        if problem is not None:
            raise QnnError(f"qnn-compile: error: --target-fps {problem}")
    images = options.check_images
    if images is not None and (isinstance(images, bool) or not isinstance(images, int)
                               or not 1 <= images <= MAX_CHECK_IMAGES):
        raise QnnError(f"qnn-compile: error: --check-images must be a whole number of inputs "
                       f"from 1 to {MAX_CHECK_IMAGES:,}, got {images!r}; without it, up to "
                       "1,000 (fewer for a large model)")
    if options.folding is not None:
        _check_folding_file(options.folding)
    return board, budget


def lower_to_cpp(model_path: str, options: CompileOptions) -> Lowered:
    """Import, run the default pipeline and emit the HLS project (in memory)."""
    from qnn_mlir.backends.hls import has_accelerator, to_hls_form
    from qnn_mlir.backends.hls.emitter import emit_project
    from qnn_mlir.cost.boards import set_target
    from qnn_mlir.cost.macs import accelerated_macs
    from qnn_mlir.frontend.onnx_importer import import_onnx

    board, budget = check_options(options)
    summary = CompileSummary(os.path.basename(model_path), board.title, board.part,
                             board.clock_mhz)
    timer = time.perf_counter()
    stages: dict[str, ModuleOp] = {}

    imported = import_onnx(model_path)
    set_target(imported, board)  # every stage knows its board
    passes = [Stage("import", imported)]
    passes += run_stages(imported, "lower-conv,streamline-pipeline", model_path)
    stages["01-imported"], stages["02-integer"] = imported, passes[-1].module
    fold, summary.folding_source = _fold_step(options, board, budget)
    passes += run_stages(passes[-1].module, "convert-quant-to-dataflow,dataflow-partition",
                         model_path)
    if not has_accelerator(passes[-1].module):
        raise QnnError(f"qnn-compile: error: nothing in {model_path} can run on the "
                       "accelerator; every op stays on the host:\n" + "\n".join(
                           f"  {name}: {reason}" for name, reason in
                           host_op_reasons(passes[-1].module)))
    passes += run_stages(passes[-1].module, f"{fold},dataflow-insert-dwc", model_path)
    dataflow_form = stages["03-dataflow"] = passes[-1].module
    stages["04-hls"] = to_hls_form(dataflow_form, options.stream_depth)
    files = emit_project(stages["04-hls"])
    summary.seconds["to C++"] = time.perf_counter() - timer

    result = accelerator_estimate(dataflow_form, board, budget)
    fill_estimates(summary, result, budget)
    if options.target_fps is not None and result.compute_fps < options.target_fps:
        summary.folding_source += (f"; {options.target_fps:,.0f} frames/s is out of reach: the "
                                   f"fastest folding gives {result.compute_fps:,.0f}")
    files[FOLDING_FILE] = folding_config(result)
    summary.host_ops = host_op_reasons(dataflow_form)
    summary.accelerated_macs, summary.total_macs = accelerated_macs(dataflow_form)
    return Lowered(stages, files, summary, passes)


def write_deploy_package(hls_module: ModuleOp, directory: str, build_dir: str,
                         model_path: str, options: CompileOptions,
                         folding: str) -> tuple[str, str]:
    """BUILD/deploy/, the PYNQ deployment package: (its path, "") when written; ("", why
    not) when none can be made: ports one AXI DMA cannot drive, a board without a block
    design, a host op without numpy code (the rest of the build stands)."""
    from qnn_mlir.backends.pynq.deploy import DeployOptions, deployment_files, write_package

    try:
        files = deployment_files(hls_module, DeployOptions(
            hls_dir="../hls", source=os.path.basename(model_path), folding=json.loads(folding),
            include_hls=False, simulation_library=not options.skip_csim))
    except QnnError as error:
        return "", str(error).removeprefix("error: ")
    write_package(files, directory)
    return os.path.join(build_dir, DEPLOY_DIR), ""


def compile_model(model_path: str, build_dir: str, options: CompileOptions) -> CompileSummary:
    """Compile `model_path` into `build_dir` (replaced atomically); returns the summary."""
    from concurrent.futures import ThreadPoolExecutor

    from qnn_mlir.backends.hls import write_project
    from qnn_mlir.backends.hls.csim import kernel_models, run_module_csim
    from qnn_mlir.compile_check import reference_outputs
    from qnn_mlir.tools.qnn_translate import module_to_text

    lowered = lower_to_cpp(model_path, options)
    stages, files, summary = lowered.stages, lowered.files, lowered.summary
    references = None
    if options.skip_csim:
        summary.check = "skipped (--skip-csim)"
        texts = {name: module_to_text(module) for name, module in stages.items()}
    else:
        timer = time.perf_counter()
        # g++ runs in its own processes: the check's inputs, its reference outputs and
        # the IR texts are computed meanwhile.
        with ThreadPoolExecutor(max_workers=1) as pool:
            building = pool.submit(kernel_models, stages["04-hls"])
            inputs = (np.asarray(options.check_inputs, dtype=np.float32)
                      if options.check_inputs is not None
                      else check_inputs(stages["01-imported"], options.check_images
                                        or default_check_images(summary.total_macs)))
            references = reference_outputs(lowered.passes, inputs)
            texts = {name: module_to_text(module) for name, module in stages.items()}
            building.result()
        calls: list = []
        simulated = run_module_csim(stages["04-hls"], [inputs], trace=calls)[0]
        if len(calls) == 1:  # Vitis csim vectors: the accelerator's real inputs and outputs
            for name, data in calls[0].testbench_files(TESTBENCH_FRAMES).items():
                files[name] = data
        summary.seconds["C simulation"] = time.perf_counter() - timer
        timer = time.perf_counter()
        pipeline = ",".join(stage.spec for stage in lowered.passes[1:])
        reproduce = (f"qnn-translate --import-onnx {shlex.quote(model_path)} -o imported.mlir "
                     f"&& qnn-run imported.mlir --bisect -p {shlex.quote(pipeline)}")
        result = check_compiled(lowered.passes, simulated, inputs, reproduce, references)
        summary.seconds["check"] = time.perf_counter() - timer
        summary.check, summary.tie_inputs = result.text(), result.tie_inputs

    parent = os.path.dirname(os.path.abspath(build_dir))
    try:
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".qnn-build.", dir=parent)
    except OSError as error:
        raise QnnError(f"{build_dir}: error: cannot create the build directory: "
                       f"{error.strerror}") from error
    try:
        summary.hls_dir = os.path.join(build_dir, "hls")
        summary.folding_file = os.path.join(build_dir, FOLDING_FILE)
        folding = files.pop(FOLDING_FILE)
        with open(os.path.join(staging, FOLDING_FILE), "w", encoding="utf-8") as f:
            f.write(folding)
        write_project(files, os.path.join(staging, "hls"))
        timer = time.perf_counter()
        summary.deploy_dir, summary.deploy_note = write_deploy_package(
            stages["04-hls"], os.path.join(staging, DEPLOY_DIR), build_dir, model_path,
            options, folding)
        summary.seconds["deployment package"] = time.perf_counter() - timer
        os.makedirs(os.path.join(staging, "ir"))
        for name, text in texts.items():
            with open(os.path.join(staging, "ir", f"{name}.mlir"), "w", encoding="utf-8") as f:
                f.write(text)
        with open(os.path.join(staging, BUILD_STAMP), "w", encoding="utf-8") as f:
            json.dump(asdict(summary), f, indent=2)
        replace_directory(staging, build_dir, BUILD_STAMP, "a qnn-compile build directory")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return summary
