"""The one-shot flow behind `qnn-compile`: ONNX model -> checked C simulation.

    import -> streamline-pipeline -> convert-quant-to-dataflow -> dataflow-partition
    -> dataflow-fold -> dataflow-insert-dwc -> convert-dataflow-to-hls -> C++ -> g++

The build directory holds every stage's IR (`ir/`), the Vitis HLS project
(`hls/`), and `summary.json`. It is written to a temporary directory and
renamed at the end, so a failed compile leaves no half-written build.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from qnn_mlir.compile_check import Stage, check_compiled
from qnn_mlir.diagnostics import QnnError
from qnn_mlir.passes.dataflow_partition import host_op_reasons
from qnn_mlir.tools.output import replace_directory

STAGES = ("01-imported", "02-integer", "03-dataflow", "04-hls")
"""File names (under ir/) of the IR after each phase; 04-hls is what qnn-run --csim runs."""

BUILD_STAMP = "summary.json"

TESTBENCH_FRAMES = 100
"""Images whose accelerator inputs and outputs go to hls/tb_*.bin for Vitis C simulation."""


@dataclass
class LayerSummary:
    """One streaming layer: what it is, its folding and its estimated cycles per frame."""

    name: str
    kind: str
    shape: str
    pe: int | None
    simd: int | None
    cycles: int


@dataclass
class CompileSummary:
    """What `qnn-compile` prints and writes to summary.json."""

    model: str
    board: str
    clock_mhz: float
    layers: list[LayerSummary] = field(default_factory=list)
    host_ops: list[tuple[str, str]] = field(default_factory=list)
    fps: float = 0.0
    latency_cycles: int = 0
    accelerated_macs: int = 0
    total_macs: int = 0
    check: str = ""
    tie_inputs: list[int] = field(default_factory=list)
    """Check inputs whose outputs differ from the imported model's by a threshold tie."""
    seconds: dict[str, float] = field(default_factory=dict)
    hls_dir: str = ""

    def text(self) -> str:
        """The human-readable report."""
        rows = [f"qnn-compile: {self.model} for {self.board} at {self.clock_mhz:g} MHz", "",
                f"  {'layer':<40} {'kind':<13} {'shape':<12} {'PE':>4} {'SIMD':>5} "
                f"{'cycles':>8}"]
        for layer in self.layers:
            rows.append(f"  {layer.name:<40} {layer.kind:<13} {layer.shape:<12} "
                        f"{layer.pe if layer.pe is not None else '-':>4} "
                        f"{layer.simd if layer.simd is not None else '-':>5} {layer.cycles:>8}")
        slowest = max((layer.cycles for layer in self.layers), default=0)
        rows += ["", f"  estimated throughput {self.fps:,.0f} frames/s (bottleneck {slowest} "
                     f"cycles), latency <= {self.latency_cycles} cycles "
                     f"({self.latency_cycles / self.clock_mhz:.2f} us)"]
        if self.total_macs and self.accelerated_macs < self.total_macs:
            rows.append(
                f"  the accelerator runs {self.accelerated_macs / self.total_macs:.1%} of the "
                f"model's {self.total_macs:,} multiply-accumulates per frame; the frames/s "
                "above is the accelerator's alone: the host ops below run in numpy")
        if self.host_ops:
            rows.append(f"  on the host ({len(self.host_ops)} ops):")
            rows += [f"    {name}: {reason}" for name, reason in self.host_ops]
        rows += [f"  check: {self.check}",
                 f"  HLS project: {self.hls_dir}  (vitis_hls -f run_hls.tcl)",
                 "  times: " + ", ".join(f"{k} {v:.2f} s" for k, v in self.seconds.items())]
        return "\n".join(rows)


def _passes(spec: str) -> list:
    """The pass instances of a pipeline spec (as after qnn-opt -p); named pipelines are
    expanded into their steps, so that each step is a stage of its own."""
    from xdsl.passes import PassPipeline
    from xdsl.utils.exceptions import DiagnosticException

    from qnn_mlir.passes import get_all_passes, pipeline_steps

    try:
        passes = PassPipeline.parse_spec(get_all_passes(), spec).passes
    except DiagnosticException as error:
        raise QnnError(f"error: {error}") from error
    return [step for p in passes for step in pipeline_steps(p)]


def run_stages(module: ModuleOp, spec: str) -> list[Stage]:
    """Apply the passes of `spec` one by one to copies of `module`: the IR after each
    (verified), named after its pass. Failures are QnnErrors naming the pass."""
    from xdsl.utils.exceptions import DiagnosticException

    from qnn_mlir.dialects import make_context
    from qnn_mlir.passes import is_exact

    stages = []
    for step in _passes(spec):
        module = module.clone()
        try:
            step.apply(make_context(), module)
            module.verify()
        except DiagnosticException as error:
            raise QnnError(f"error: {error}") from error
        stages.append(Stage(step.name, module, is_exact(step), str(step.pipeline_pass_spec())))
    return stages


def _layer_summaries(module: ModuleOp) -> list[LayerSummary]:
    from qnn_mlir.cost.cycles import layer_cycles, layer_label, layers_of
    from qnn_mlir.dialects import dataflow

    summaries = []
    accelerators = [op for op in module.walk() if isinstance(op, dataflow.AcceleratorOp)]
    layers = [layer for accelerator in accelerators for layer in layers_of(accelerator)]
    for index, op in enumerate(layers):
        props = op.properties
        pe = props["PE"].value.data if "PE" in props else None
        simd = props["SIMD"].value.data if "SIMD" in props else None
        if isinstance(op, dataflow.MVAUOp):
            shape = f"{op.MW.value.data}x{op.MH.value.data}"
        else:
            shape = "x".join(str(d) for d in op.operands[0].type.get_shape()[1:])
        kind = op.name.split(".", 1)[1]
        if isinstance(op, dataflow.MVAUOp) and "xnor" in props:
            kind += " (xnor)"
        summaries.append(LayerSummary(layer_label(op, index), kind, shape, pe, simd,
                                      layer_cycles(op)))
    return summaries


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


@dataclass
class CompileOptions:
    """Options of one compile (see qnn-compile --help)."""

    board: str = "pynq-z1"
    folding: str | None = None
    target_fps: float | None = None
    check_images: int = 1000
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


def lower_to_cpp(model_path: str, options: CompileOptions) -> Lowered:
    """Import, run the default pipeline and emit the HLS project (in memory)."""
    from qnn_mlir.backends.hls import has_accelerator, to_hls_form
    from qnn_mlir.backends.hls.emitter import emit_project
    from qnn_mlir.cost.boards import get_board
    from qnn_mlir.cost.cycles import latency_cycles, throughput_fps
    from qnn_mlir.cost.macs import accelerated_macs
    from qnn_mlir.frontend.onnx_importer import import_onnx

    try:
        board = get_board(options.board)
    except (KeyError, ValueError) as error:
        raise QnnError(f"qnn-compile: error: {error}") from error
    summary = CompileSummary(os.path.basename(model_path), board.name, board.clock_mhz)
    timer = time.perf_counter()
    stages: dict[str, ModuleOp] = {}

    imported = import_onnx(model_path)
    passes = [Stage("import", imported)]
    passes += run_stages(imported, "streamline-pipeline")
    stages["01-imported"], stages["02-integer"] = imported, passes[-1].module
    if options.folding:
        fold = f'dataflow-fold{{config="{os.path.abspath(options.folding)}"}}'
    elif options.target_fps:
        fold = f"dataflow-fold{{target-fps={options.target_fps} clock-mhz={board.clock_mhz}}}"
    else:
        fold = ""  # as FINN without a folding config: every layer fully folded (PE = SIMD = 1)
    passes += run_stages(passes[-1].module, "convert-quant-to-dataflow,dataflow-partition")
    if not has_accelerator(passes[-1].module):
        raise QnnError(f"qnn-compile: error: nothing in {model_path} can run on the "
                       "accelerator; every op stays on the host:\n" + "\n".join(
                           f"  {name}: {reason}" for name, reason in
                           host_op_reasons(passes[-1].module)))
    passes += run_stages(passes[-1].module, ",".join(p for p in (fold, "dataflow-insert-dwc")
                                                        if p))
    dataflow_form = stages["03-dataflow"] = passes[-1].module
    stages["04-hls"] = to_hls_form(dataflow_form, options.stream_depth)
    files = emit_project(stages["04-hls"], board.name.lower())
    summary.seconds["to C++"] = time.perf_counter() - timer

    summary.layers = _layer_summaries(dataflow_form)
    cycles = [layer.cycles for layer in summary.layers]
    summary.fps = throughput_fps(cycles, board.clock_mhz)
    summary.latency_cycles = latency_cycles(cycles)
    summary.host_ops = host_op_reasons(dataflow_form)
    summary.accelerated_macs, summary.total_macs = accelerated_macs(dataflow_form)
    return Lowered(stages, files, summary, passes)


def compile_model(model_path: str, build_dir: str, options: CompileOptions) -> CompileSummary:
    """Compile `model_path` into `build_dir` (replaced atomically); returns the summary."""
    from qnn_mlir.backends.hls import write_project
    from qnn_mlir.backends.hls.csim import run_module_csim
    from qnn_mlir.tools.qnn_translate import module_to_text

    lowered = lower_to_cpp(model_path, options)
    stages, files, summary = lowered.stages, lowered.files, lowered.summary
    if options.skip_csim:
        summary.check = "skipped (--skip-csim)"
    else:
        timer = time.perf_counter()
        inputs = (np.asarray(options.check_inputs, dtype=np.float32)
                  if options.check_inputs is not None
                  else check_inputs(stages["01-imported"], options.check_images))
        calls: list = []
        simulated = run_module_csim(stages["04-hls"], [inputs], trace=calls)[0]
        if len(calls) == 1:  # Vitis csim vectors: the accelerator's real inputs and outputs
            for name, data in calls[0].testbench_files(TESTBENCH_FRAMES).items():
                files[name] = data
        summary.seconds["C simulation"] = time.perf_counter() - timer
        timer = time.perf_counter()
        pipeline = ",".join(stage.spec for stage in lowered.passes[1:])
        reproduce = (f"qnn-translate --import-onnx {model_path} -o imported.mlir && qnn-run "
                     f"imported.mlir --bisect -p '{pipeline}'")
        result = check_compiled(lowered.passes, simulated, inputs, reproduce)
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
        write_project(files, os.path.join(staging, "hls"))
        os.makedirs(os.path.join(staging, "ir"))
        for name, module in stages.items():
            with open(os.path.join(staging, "ir", f"{name}.mlir"), "w", encoding="utf-8") as f:
                f.write(module_to_text(module))
        with open(os.path.join(staging, BUILD_STAMP), "w", encoding="utf-8") as f:
            json.dump(asdict(summary), f, indent=2)
        replace_directory(staging, build_dir, BUILD_STAMP, "a qnn-compile build directory")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return summary
