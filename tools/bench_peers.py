#!/usr/bin/env python3
"""Benchmark qnn-mlir against its peers (hls4ml 1.3, qonnx) on one QONNX model.

    .venv/bin/python tools/bench_peers.py [--model examples/tfc_w2a2.onnx] [--runs 3]
        [--images 10000] [--qonnx-images 200] [--pe-simd-one] [--no-hls4ml] [--core N]
        [--hls4ml-backend Vitis] [--hls4ml-precision 'fixed<32,8>'] [--workdir DIR]
    .venv/bin/python tools/bench_peers.py --model CNV.onnx --images 1000 --qonnx-images 50 \
        --no-hls4ml        # CNV-w1a1 (tools/export_bnn_pynq.py cnv_1w1a -o CNV.onnx)

In one process, on the same inputs, each run measures (the inputs are the
Fashion-MNIST test images for a 1x28x28 model, the same padded to 32x32 for a
1x32x32 one, else seeded uniform [0, 1) values of the model's input shape,
without labels):

0. `qnn-compile MODEL -o BUILD --skip-csim`: the wall clock to the emitted
   C++ (import, passes, folding, HLS project), as a command.
1. `qnn-compile MODEL -o BUILD` as a command (.venv/bin/qnn-compile in a
   subprocess), wall clock, with QNN_CSIM_CACHE set to a fresh empty directory
   so the g++ build of the C simulation is cold. The command includes its own
   C-simulation check against the reference interpreter.
2. qnn-mlir's whole-model C simulation: BUILD/ir/04-hls.mlir through
   `run_module_csim` on all the images (host ops in the numpy interpreter, the
   accelerator in the compiled C++), with the cache of step 1 (no recompile),
   one warm-up call on a few images, then one timed call: images/s.
3. hls4ml: qonnx cleanup + channels-last + GemmToMatMul + cleanup, then
   `config_from_onnx_model(granularity="name", default_precision=...)`
   (untimed preparation, shown apart), then `convert_from_onnx_model` (io_parallel)
   + `write()` + `compile()` into a fresh directory, timed together; then
   `predict` on all the images: images/s. Its agreement with qonnx (argmax and
   max |difference| of the outputs on the first 200 images) shows whether the
   precision is adequate; fixed<32,8> is the default because precisions with
   fewer fractional bits (hls4ml's default fixed<16,6>, fixed<24,12>,
   fixed<32,16>) flip 2-bit activations near rounding ties on tfc_w2a2.
4. qonnx `execute_onnx` on the cleaned model, on `--qonnx-images` images (a
   batch per call if the model gives the same outputs batched, else one image
   per call): images/s.
5. With --pe-simd-one: `qnn-compile --folding F.json` where F.json sets every
   folding parameter of every layer to 1 (from BUILD/folding.json when the
   build has one, else from BUILD/summary.json's layers), cold as in step 1,
   and the C-simulation images/s of that build as in step 2.

The throughput measurements (steps 2, 3's predict, 4) run with the process
pinned to one core (os.sched_setaffinity, `--core`, default the first allowed
CPU) and OMP/BLAS threads limited to 1; the compiles run with every allowed
core, as a user would run them. With --runs N everything is repeated N times
and the table shows medians. A peer that fails (e.g. hls4ml cannot convert the
model) appears in the table with the reason; the script does not stop.
`--no-hls4ml` leaves hls4ml out (its io_parallel build of a CNN takes g++
many minutes). It is a
benchmark, not a test: nothing about the speed is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MODEL = os.path.join(REPO, "examples", "tfc_w2a2.onnx")
AGREEMENT_IMAGES = 200
WARMUP_IMAGES = 100
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# ---------------------------------------------------------------------------------------------
# Results: every measurement is a list over the runs, or the reason it failed.


@dataclass
class Metric:
    """The values of one measurement over the runs, and the first failure if any."""

    values: list[float] = field(default_factory=list)
    error: str = ""

    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None


class Results:
    def __init__(self) -> None:
        self.metrics: dict[str, Metric] = {}
        self.notes: dict[str, str] = {}
        self.load = [os.getloadavg()]

    def add(self, key: str, value: float) -> None:
        self.metrics.setdefault(key, Metric()).values.append(value)

    def fail(self, key: str, reason: str) -> None:
        metric = self.metrics.setdefault(key, Metric())
        metric.error = metric.error or reason

    def median(self, key: str) -> float | None:
        metric = self.metrics.get(key)
        return metric.median() if metric else None

    def error(self, key: str) -> str:
        metric = self.metrics.get(key)
        return metric.error if metric else ""

    def note(self, key: str, text: str) -> None:
        self.notes.setdefault(key, text)


def reason_of(error: BaseException) -> str:
    """A one-line reason for a failed step."""
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:300]


# ---------------------------------------------------------------------------------------------
# Process helpers.


@contextlib.contextmanager
def pinned(core: int) -> Iterator[None]:
    """Run the body on one core only; the previous affinity comes back afterwards."""
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        yield
    finally:
        os.sched_setaffinity(0, previous)


@contextlib.contextmanager
def output_to(log_path: str) -> Iterator[None]:
    """Send the body's stdout and stderr (Python's and the C level's) to a log file."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log_path, "a", encoding="utf-8") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def qnn_compile_executable() -> str:
    for candidate in (os.path.join(REPO, ".venv", "bin", "qnn-compile"),
                      os.path.join(os.path.dirname(sys.executable), "qnn-compile")):
        if os.path.exists(candidate):
            return candidate
    return shutil.which("qnn-compile") or "qnn-compile"


def status(message: str) -> None:
    print(f"[bench_peers] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Measurements.


def cold_compile(model: str, build: str, cache: str, env: dict[str, str],
                 extra: list[str], log_path: str) -> float:
    """Run qnn-compile with an empty C-simulation cache; its wall-clock seconds."""
    if os.path.exists(cache):
        shutil.rmtree(cache)
    os.makedirs(cache)
    command = [qnn_compile_executable(), model, "-o", build, *extra]
    start = time.perf_counter()
    process = subprocess.run(command, env={**env, "QNN_CSIM_CACHE": cache},
                             capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"$ QNN_CSIM_CACHE={cache} {' '.join(command)}\n{process.stdout}"
                  f"{process.stderr}\n(exit {process.returncode}, {seconds:.2f} s)\n")
    if process.returncode != 0:
        lines = [line for line in (process.stderr + process.stdout).splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower()]
        reason = (errors or lines or ["no output"])[0 if errors else -1]
        raise RuntimeError(f"qnn-compile exit {process.returncode}: {reason.strip()}")
    return seconds


def libraries(cache: str) -> set[str]:
    return {name for name in os.listdir(cache) if name.endswith(".so")} if os.path.isdir(
        cache) else set()


def csim_throughput(build: str, cache: str, images, core: int):
    """(images/s of run_module_csim on `images`, its outputs, libraries built meanwhile)."""
    import numpy as np

    from qnn_mlir.backends.hls.csim import run_module_csim
    from qnn_mlir.diagnostics import parse_module_file
    from qnn_mlir.dialects import make_context

    os.environ["QNN_CSIM_CACHE"] = cache  # the cache qnn-compile filled: no recompile
    before = libraries(cache)
    module = parse_module_file(make_context(), os.path.join(build, "ir", "04-hls.mlir"))
    with pinned(core):
        run_module_csim(module, [images[:WARMUP_IMAGES]])
        seconds, outputs = timed(lambda: run_module_csim(module, [images]))
    rebuilt = libraries(cache) - before
    return len(images) / seconds, np.asarray(outputs[0]), rebuilt


def unit_folding(build: str) -> dict[str, dict[str, int]]:
    """{layer: {param: 1}} for every folding parameter the build's layers have."""
    folding_path = os.path.join(build, "folding.json")
    config: dict[str, dict[str, int]] = {}
    if os.path.exists(folding_path):
        with open(folding_path, encoding="utf-8") as f:
            for name, params in json.load(f).items():
                if isinstance(params, dict):
                    ones = {k: 1 for k, v in params.items() if isinstance(v, int)}
                    if ones:
                        config[name] = ones
        return config
    with open(os.path.join(build, "summary.json"), encoding="utf-8") as f:
        summary = json.load(f)
    for layer in summary.get("layers", []):
        params = layer.get("folding")
        if not isinstance(params, dict):
            params = {"PE": layer.get("pe"), "SIMD": layer.get("simd")}
        ones = {k: 1 for k, v in params.items() if v is not None}
        if ones:
            config[layer["name"]] = ones
    return config


def build_summary(build: str) -> str:
    """The folding a build ended with and qnn-compile's own phase times (summary.json)."""
    try:
        with open(os.path.join(build, "summary.json"), encoding="utf-8") as f:
            summary = json.load(f)
    except (OSError, ValueError):
        return "no readable summary.json"
    parts = []
    for layer in summary.get("layers", []):
        params = layer.get("folding")
        if not isinstance(params, dict):
            params = {"PE": layer.get("pe"), "SIMD": layer.get("simd")}
        text = "/".join(f"{k}{v}" for k, v in sorted(params.items()) if v is not None)
        if text:  # width converters and the like have no folding
            parts.append(text)
    seconds = ", ".join(f"{k} {v:.1f} s" for k, v in summary.get("seconds", {}).items())
    return f"folding {' '.join(parts) or '?'}; its times: {seconds or '?'}"


def benchmark_inputs(model: str, count: int):
    """(inputs, labels or None) for the model's input shape (see the module docstring)."""
    import numpy as np
    import onnx

    from qnn_mlir.datasets import fashion_mnist

    graph = onnx.load(model, load_external_data=False).graph
    initializers = {tensor.name for tensor in graph.initializer}
    first = next(i for i in graph.input if i.name not in initializers)
    shape = tuple(d.dim_value or 1 for d in first.type.tensor_type.shape.dim)
    if shape[1:] in ((1, 28, 28), (1, 32, 32)):
        images, labels = fashion_mnist("test")
        images, labels = images[:count], labels[:count]
        if shape[-1] == 32:  # the 32x32 CNV inputs: Fashion-MNIST padded by 2 pixels
            images = np.pad(images, ((0, 0), (0, 0), (2, 2), (2, 2)))
        return np.ascontiguousarray(images), labels
    rng = np.random.default_rng(0)
    return rng.uniform(0, 1, size=(count, *shape[1:])).astype(np.float32), None


def cleaned_model(model: str):
    """The model prepared as hls4ml's QONNX documentation prescribes."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.channels_last import ConvertToChannelsLastAndClean
    from qonnx.transformation.gemm_to_matmul import GemmToMatMul
    from qonnx.util.cleanup import cleanup_model

    wrapper = cleanup_model(ModelWrapper(model))
    wrapper = wrapper.transform(ConvertToChannelsLastAndClean())
    wrapper = wrapper.transform(GemmToMatMul())
    return cleanup_model(wrapper)


def qonnx_outputs(wrapper, images, batched: bool):
    import numpy as np
    from qonnx.core.onnx_exec import execute_onnx

    name_in, name_out = wrapper.graph.input[0].name, wrapper.graph.output[0].name
    if batched:
        return np.asarray(execute_onnx(wrapper, {name_in: images})[name_out])
    return np.concatenate([np.asarray(execute_onnx(wrapper, {name_in: images[i:i + 1]})[name_out])
                           for i in range(len(images))])


def qonnx_batches(wrapper, images) -> bool:
    """Whether execute_onnx gives the per-image outputs when given a batch."""
    import numpy as np

    try:
        single = qonnx_outputs(wrapper, images[:2], batched=False)
        batch = qonnx_outputs(wrapper, images[:2], batched=True)
    except Exception:
        return False
    return batch.shape == single.shape and np.array_equal(batch, single)


def agreement(outputs, reference) -> str:
    import numpy as np

    count = min(len(outputs), len(reference))
    got = np.asarray(outputs[:count], dtype=np.float64).reshape(count, -1)
    ref = np.asarray(reference[:count], dtype=np.float64).reshape(count, -1)
    same = int((got.argmax(1) == ref.argmax(1)).sum())
    return f"vs qonnx on {count}: argmax {same}/{count}, max|diff| {np.abs(got - ref).max():.3g}"


def accuracy(outputs, labels) -> str:
    import numpy as np

    if labels is None:
        return "random inputs (no labels)"
    outputs = np.asarray(outputs).reshape(len(outputs), -1)
    correct = int((outputs.argmax(1) == labels[:len(outputs)]).sum())
    return f"accuracy {correct}/{len(outputs)}"


# ---------------------------------------------------------------------------------------------
# One run.


def compile_and_simulate(index: int, args, images, labels, env: dict[str, str],
                         results: Results, log: str, hint: str, rows: tuple[str, str],
                         build: str, cache: str, extra: list[str],
                         outputs: dict[str, Any]) -> bool:
    """A cold `qnn-compile` (row rows[0]) and the whole-model C simulation of its build on
    the images (row rows[1]); whether the compile succeeded."""
    compile_row, csim_row = rows
    status(f"run {index + 1}: qnn-compile {' '.join(extra)} (cold)")
    try:
        results.add(compile_row, cold_compile(args.model, build, cache, env, extra, log))
        results.note(compile_row, build_summary(build))
    except Exception as error:
        results.fail(compile_row, f"{reason_of(error)}{hint}")
        results.fail(csim_row, "no build (qnn-compile failed)")
        return False
    status(f"run {index + 1}: qnn-mlir C simulation on {len(images)} images")
    try:
        with output_to(log):
            rate, outputs[csim_row], rebuilt = csim_throughput(build, cache, images, args.core)
        results.add(csim_row, rate)
        results.note(f"{csim_row}_acc", accuracy(outputs[csim_row], labels))
        if rebuilt:
            results.note(f"{csim_row}_rebuilt", "run_module_csim compiled again (the library "
                         f"qnn-compile built was not reused): {', '.join(sorted(rebuilt))}")
    except Exception as error:
        results.fail(csim_row, f"{reason_of(error)}{hint}")
    return True


def one_run(index: int, args, images, labels, env: dict[str, str], work: str,
            results: Results) -> None:
    import numpy as np

    run_dir = os.path.join(work, f"run{index}")
    os.makedirs(run_dir, exist_ok=True)
    log = os.path.join(run_dir, "log.txt")
    hint = f" (log: {log})" if args.workdir else " (--workdir keeps the log)"
    outputs: dict[str, Any] = {}

    # The cleaned model for qonnx (step 4, timed last) and the agreement columns.
    wrapper = None
    try:
        with output_to(log):
            wrapper = cleaned_model(args.model)
    except Exception as error:
        results.fail("qonnx", f"qonnx cleanup failed: {reason_of(error)}")
        results.fail("hls4ml_prep", f"qonnx cleanup failed: {reason_of(error)}")
        results.fail("hls4ml_build", "no configuration")

    # 0. qnn-compile to the emitted C++ only.
    build = os.path.join(run_dir, "build")
    cache = os.path.join(run_dir, "csim-cache")
    status(f"run {index + 1}: qnn-compile --skip-csim (to C++)")
    try:
        results.add("qnn_cpp", cold_compile(args.model, build + "-cpp", cache, env,
                                            ["--skip-csim"], log))
    except Exception as error:
        results.fail("qnn_cpp", f"{reason_of(error)}{hint}")

    # 1. qnn-compile, cold, and 2. the whole-model C simulation of its build.
    compiled = compile_and_simulate(index, args, images, labels, env, results, log, hint,
                                    ("qnn_compile", "csim"), build, cache, [], outputs)

    # 5. PE = SIMD = 1.
    if args.pe_simd_one:
        if not compiled:
            results.fail("pe1_compile", "no default build to take the layers from")
            results.fail("pe1_csim", "no build")
        else:
            config_path = os.path.join(run_dir, "folding-pe1.json")
            with open(config_path, "w", encoding="utf-8") as f:
                json.dump(unit_folding(build), f, indent=2)
            cache1 = os.path.join(run_dir, "csim-cache-pe1")
            compile_and_simulate(index, args, images, labels, env, results, log, hint,
                                 ("pe1_compile", "pe1_csim"), os.path.join(run_dir, "build-pe1"),
                                 cache1, ["--folding", config_path], {})
            if libraries(cache) and libraries(cache) == libraries(cache1):
                results.note("pe1_csim", "the same C++ library as the default folding's: the "
                             "default already has PE=SIMD=1")

    # 3. hls4ml.
    hls4ml_model = None
    prepared = config = None
    if args.no_hls4ml:
        for key in ("hls4ml_prep", "hls4ml_build", "hls4ml_predict"):
            results.fail(key, "skipped (--no-hls4ml)")
    elif wrapper is not None:
        status(f"run {index + 1}: hls4ml convert + write + compile")
        try:
            with output_to(log):
                import hls4ml

                def prepare():
                    model = cleaned_model(args.model)
                    return model, hls4ml.utils.config_from_onnx_model(
                        model, granularity="name", backend=args.hls4ml_backend,
                        default_precision=args.hls4ml_precision)

                prep, (prepared, config) = timed(prepare)
            results.add("hls4ml_prep", prep)
        except Exception as error:
            results.fail("hls4ml_prep", f"{reason_of(error)}{hint}")
            results.fail("hls4ml_build", "no configuration")
    if config is not None:
        try:
            with output_to(log):
                output_dir = os.path.join(run_dir, "hls4ml")

                def build_hls4ml():
                    graph = hls4ml.converters.convert_from_onnx_model(
                        prepared, output_dir=output_dir, backend=args.hls4ml_backend,
                        io_type="io_parallel", hls_config=config)
                    graph.write()
                    graph.compile()
                    return graph

                seconds, hls4ml_model = timed(build_hls4ml)
            results.add("hls4ml_build", seconds)
        except Exception as error:
            results.fail("hls4ml_build", f"{reason_of(error)}{hint}")
    if hls4ml_model is None:
        if not args.no_hls4ml:
            results.fail("hls4ml_predict", "no hls4ml model")
    else:
        status(f"run {index + 1}: hls4ml predict on {len(images)} images")
        try:
            with output_to(log), pinned(args.core):
                x = np.ascontiguousarray(images)
                hls4ml_model.predict(x[:WARMUP_IMAGES])
                seconds, predicted = timed(lambda: hls4ml_model.predict(x))
            outputs["hls4ml"] = np.asarray(predicted).reshape(len(images), -1)
            results.add("hls4ml_predict", len(images) / seconds)
            results.note("hls4ml_acc", accuracy(outputs["hls4ml"], labels))
        except Exception as error:
            results.fail("hls4ml_predict", f"{reason_of(error)}{hint}")

    # 4. qonnx execute_onnx.
    if wrapper is not None:
        count = min(args.qonnx_images, len(images))
        status(f"run {index + 1}: qonnx execute_onnx on {count} images")
        try:
            with output_to(log):
                batched = qonnx_batches(wrapper, images)
                with pinned(args.core):
                    seconds, reference = timed(lambda: qonnx_outputs(wrapper, images[:count],
                                                                     batched))
            results.add("qonnx", count / seconds)
            results.note("qonnx", f"{count} images, "
                         + ("one batch per call" if batched else "one image per call"))
            reference = reference.reshape(count, -1)
            for key in ("csim", "hls4ml"):
                if key in outputs:
                    results.note(f"{key}_agree", agreement(outputs[key][:AGREEMENT_IMAGES],
                                                           reference[:AGREEMENT_IMAGES]))
        except Exception as error:
            results.fail("qonnx", f"{reason_of(error)}{hint}")


# ---------------------------------------------------------------------------------------------
# The table.


def print_table(results: Results, args, n_images: int, runs: int) -> None:
    def cell(key: str, kind: str) -> str:
        value = results.median(key)
        if value is None:
            return "FAILED"
        return f"{value:.2f} s" if kind == "time" else f"{value:,.0f} img/s"

    def row(label: str, key: str, kind: str, *note_keys: str) -> None:
        notes = [results.notes[k] for k in (key, *note_keys) if k in results.notes]
        failure = results.error(key)
        if failure:
            notes.append(("FAILED: " if results.median(key) is None else "failed in a run: ")
                         + failure)
        print(f"  {label:<52} {cell(key, kind):>14}   {'; '.join(notes)}")

    def ratio(label: str, top: str, bottom: str) -> None:
        a, b = results.median(top), results.median(bottom)
        text = f"{a / b:,.2f}x" if a is not None and b else "n/a (a step failed)"
        print(f"  {label:<52} {text:>14}")

    try:
        hls4ml_version = importlib.metadata.version("hls4ml")
    except importlib.metadata.PackageNotFoundError:
        hls4ml_version = "(not installed)"
    print()
    data = "Fashion-MNIST test images" if args.labelled else "seeded random inputs"
    print(f"bench_peers: {os.path.relpath(args.model, REPO)}, {n_images} {data}, median of "
          f"{runs} run(s)")
    print(f"  throughput pinned to CPU {args.core} (os.sched_setaffinity), 1 OMP/BLAS thread; "
          f"compiles use CPUs {sorted(os.sched_getaffinity(0))}")
    print(f"  load average {' '.join(f'{v:.2f}' for v in results.load[0])} at the start, "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())} at the end (1, 5, 15 min)")
    print()
    row("qnn-compile --skip-csim (to the emitted C++)", "qnn_cpp", "time")
    row("qnn-compile, cold g++ (includes its C-sim check)", "qnn_compile", "time")
    row("qnn-mlir C sim, whole model (run_module_csim)", "csim", "rate", "csim_acc",
        "csim_agree", "csim_rebuilt")
    if args.pe_simd_one:
        row("qnn-compile --folding PE=SIMD=1, cold", "pe1_compile", "time")
        row("qnn-mlir C sim, PE=SIMD=1", "pe1_csim", "rate", "pe1_csim_acc", "pe1_csim_rebuilt")
    row(f"hls4ml {hls4ml_version}: cleanup + config (not in the ratio)", "hls4ml_prep",
        "time")
    row(f"hls4ml convert+write+compile ({args.hls4ml_backend}, io_parallel)", "hls4ml_build",
        "time")
    print(f"  {'':<52} {'':>14}   precision {args.hls4ml_precision}, granularity 'name'")
    row("hls4ml predict", "hls4ml_predict", "rate", "hls4ml_acc", "hls4ml_agree")
    row("qonnx execute_onnx (cleaned model)", "qonnx", "rate")
    print()
    print("  ratios")
    ratio("qnn-compile cold / hls4ml convert+write+compile", "qnn_compile", "hls4ml_build")
    ratio("qnn-mlir C sim img/s / hls4ml predict img/s", "csim", "hls4ml_predict")
    ratio("qnn-mlir C sim img/s / qonnx img/s", "csim", "qonnx")
    if args.pe_simd_one:
        ratio("C sim PE=SIMD=1 img/s / default folding img/s", "pe1_csim", "csim")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL, help="QONNX model (default %(default)s)")
    parser.add_argument("--runs", type=int, default=3, help="repeat everything N times (medians)")
    parser.add_argument("--images", type=int, default=10000,
                        help="Fashion-MNIST test images for the throughputs (default 10000)")
    parser.add_argument("--qonnx-images", type=int, default=AGREEMENT_IMAGES,
                        help="images for qonnx execute_onnx (default %(default)s)")
    parser.add_argument("--pe-simd-one", action="store_true",
                        help="also compile with every layer at PE=SIMD=1 and time its C sim")
    parser.add_argument("--no-hls4ml", action="store_true",
                        help="leave hls4ml out (its build of a CNN takes many minutes)")
    parser.add_argument("--core", type=int, default=None,
                        help="CPU for the throughput measurements (default: first allowed)")
    parser.add_argument("--hls4ml-backend", default="Vitis", help="Vitis (default) or Vivado")
    parser.add_argument("--hls4ml-precision", default="fixed<32,8>",
                        help="hls4ml default precision (default %(default)s)")
    parser.add_argument("--workdir", help="keep builds and logs here (default: a temporary "
                        "directory, removed at the end)")
    args = parser.parse_args()
    args.model = os.path.abspath(args.model)
    if args.core is None:
        args.core = min(os.sched_getaffinity(0))

    env = dict(os.environ)  # what qnn-compile runs with: the user's environment
    for variable in THREAD_VARIABLES:  # before numpy is imported in this process
        os.environ[variable] = "1"

    images, labels = benchmark_inputs(args.model, args.images)
    args.labelled = labels is not None

    results = Results()
    with contextlib.ExitStack() as stack:
        if args.workdir:
            work = os.path.abspath(args.workdir)
            os.makedirs(work, exist_ok=True)
        else:
            work = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-peers."))
        for index in range(args.runs):
            try:
                one_run(index, args, images, labels, env, work, results)
            except Exception as error:  # a bug here must not hide the other rows
                traceback.print_exc()
                results.fail("qnn_compile", f"run {index + 1} stopped: {reason_of(error)}")
        print_table(results, args, len(images), args.runs)
        if args.workdir:
            print(f"\n  builds and logs: {work}")


if __name__ == "__main__":
    main()
