"""C simulation: the emitted HLS project, compiled with g++, run from numpy through ctypes.

`CSimModel.from_module(module)` emits the project of the module's accelerator
(running `convert-dataflow-to-hls` first if needed), compiles `top.cpp` and
`testbench.cpp` into a shared library and calls its `qnn_run_batch` once per
batch: `predict(x)` packs the batch into stream words (packing.py), runs the
real emitted C++ and unpacks the outputs. The ap_types headers come from the
installed hls4ml wheel (`templates/vivado/ap_types/`, included with -isystem,
never copied); `hls_stream.h` is the project's own (`include/csim/`).

Libraries are cached by a hash of the sources and flags in `$QNN_CSIM_CACHE`
(default: a `qnn-mlir-csim` folder in the temporary directory), so a module
compiles once. `run_module_csim` runs a whole module: the interpreter runs
the host part and each kernel call goes to the C simulation.

By default the layer library takes its C-simulation fast paths (word limbs,
native accumulators: include/qnn/types.h); `portable=True` compiles with
`-DQNN_PORTABLE_CSIM`, the code that synthesis sees, as Vitis HLS C
simulation does. The tests check that both give the same bits.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from math import prod

import numpy as np
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.interpreter import InterpreterFunctions, impl_external, register_impls
from xdsl.ir import Attribute

from qnn_mlir.backends.hls import to_hls_form
from qnn_mlir.backends.hls.emitter import HlsTarget, KernelEmitter, emit_project, find_targets
from qnn_mlir.backends.hls.ir_strings import cxx_identifier, mlir_symbol
from qnn_mlir.backends.hls.packing import pack_frames, unpack_frames, word_bytes
from qnn_mlir.diagnostics import QnnError
from qnn_mlir.interpreter.inputs import Argument, checked_inputs, function_arguments, port_argument

CXXFLAGS = ("-std=c++14", "-O1", "-ftree-vectorize", "-fPIC", "-DQNN_CSIM_LIBRARY")
"""-O1 with the vectorizer: the C simulation's hot loops (the native dot products of
include/qnn/mvau_unfolded.h) vectorize as at -O2, and g++ spends about 20% less time
on TFC-w2a2's top.cpp (1.45 s against 1.8 s, medians of 8) for the same images/s on
TFC-w2a2 (about 65,000 at FINN's folding, 42,000 at PE = SIMD = 1). -O1 alone does
not vectorize: 30% slower to simulate. -O3 only made the build slower."""
PORTABLE_FLAG = "-DQNN_PORTABLE_CSIM"
SOURCES = ("top.cpp", "testbench.cpp")
MAX_ERROR_LINES = 40


def ap_types_dir() -> str:
    """The ap_types headers of the installed hls4ml wheel, found without importing hls4ml."""
    spec = importlib.util.find_spec("hls4ml")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = os.path.join(location, "templates", "vivado", "ap_types")
        if os.path.isfile(os.path.join(candidate, "ap_int.h")):
            return candidate
    raise QnnError("error: C simulation needs the ap_types headers shipped by hls4ml, which is "
                   "not installed: pip install -c constraints.txt -e '.[csim]'")


def cache_dir() -> str:
    """Where compiled libraries are kept."""
    return os.environ.get("QNN_CSIM_CACHE") or os.path.join(tempfile.gettempdir(),
                                                            "qnn-mlir-csim")


def _compiler() -> str:
    compiler = os.environ.get("CXX", "g++")
    if shutil.which(compiler) is None:
        raise QnnError(f"error: C simulation needs a C++ compiler: '{compiler}' is not on PATH "
                       "(install g++ or set CXX)")
    return compiler


def compile_commands(compiler: str, output: str, portable: bool = False) -> list[list[str]]:
    """The g++ command lines, run inside the project directory: one per source, then the link.

    The sources compile in parallel (`-c`), which halves the wait on two cores;
    together the commands are `g++ CXXFLAGS -shared ... -o output` (generic x86-64: no
    -march, so a library runs on any machine that shares the cache).
    `portable` adds -DQNN_PORTABLE_CSIM (no C-simulation fast paths).
    """
    flags = [*CXXFLAGS, *([PORTABLE_FLAG] if portable else []), "-Icsim", "-Iinclude",
             "-isystem", ap_types_dir()]
    objects = [source.replace(".cpp", ".o") for source in SOURCES]
    compiles = [[compiler, *flags, "-c", source, "-o", obj]
                for source, obj in zip(SOURCES, objects, strict=True)]
    link = [compiler, "-shared", "-fPIC", "-Wl,--no-undefined", *objects, "-o", output]
    return [*compiles, link]


def _run_compiler(commands: list[list[str]], cwd: str, kernel: str) -> None:
    """Run the compiles concurrently, then the link; a failure is a QnnError with g++'s words."""
    *compiles, link = commands
    processes = [subprocess.Popen(c, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for c in compiles]
    results = []
    for process in processes:
        stderr = process.communicate()[1]  # waits without blocking on a full pipe
        results.append((process.returncode, stderr))
        if process.returncode != 0:  # one error is enough: stop the other compiles
            for other in processes:
                if other.poll() is None:
                    other.kill()
                    other.communicate()
            break
    if all(code == 0 for code, _ in results):
        linked = subprocess.run(link, cwd=cwd, capture_output=True, text=True, check=False)
        results = [(linked.returncode, linked.stderr)]
    failed = [stderr.strip() or f"exit code {code}" for code, stderr in results if code != 0]
    if not failed:
        return
    lines = "\n".join(failed).splitlines()
    shown = "\n".join(lines[:MAX_ERROR_LINES])
    more = len(lines) - MAX_ERROR_LINES
    raise QnnError(f"error: g++ failed to compile the C simulation of {mlir_symbol(kernel)}:"
                   f"\n{shown}" + (f"\n... ({more} more lines)" if more > 0 else ""))


def build_library(files: dict[str, str], kernel: str, portable: bool = False) -> str:
    """Compile the project `files` (or reuse the cached library); the library's path."""
    compiler = _compiler()
    commands = compile_commands(compiler, "lib.so", portable)
    digest = hashlib.sha256(repr((commands, sorted(files.items()))).encode())
    # The kernel's symbol may hold any character ('/', '..'): name the file by its C++ name.
    library = os.path.join(cache_dir(), f"{cxx_identifier(kernel)}-{digest.hexdigest()[:24]}.so")
    if os.path.exists(library):
        return library
    os.makedirs(cache_dir(), exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir()) as work:
        for relative, text in files.items():
            path = os.path.join(work, relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        _run_compiler(commands, work, kernel)
        os.replace(os.path.join(work, "lib.so"), library)
    return library


@dataclass(frozen=True)
class PortSpec:
    """How the tensor of one kernel port travels: element type, frame shape, fold, word width."""

    name: str
    element_type: Attribute
    shape: tuple[int, ...]
    fold: int
    width: int

    @property
    def frame_bytes(self) -> int:
        """Host bytes per frame: words of `width` bits padded to whole bytes."""
        return prod(self.shape) // self.fold * word_bytes(self.width)

    def argument(self) -> Argument:
        """What the port takes, for the input checks (interpreter/inputs.py)."""
        return port_argument(self.name, self.element_type, self.shape)

    def pack(self, values: np.ndarray) -> np.ndarray:
        """A batch (dim 0) of this port's tensors -> uint8 (batch, frame_bytes)."""
        if values.ndim != len(self.shape) or tuple(values.shape[1:]) != self.shape[1:]:
            raise QnnError(f"error: port {self.name} takes frames of shape {list(self.shape)}, "
                           f"got a batch of shape {list(values.shape)} (dim 0 is the batch)")
        return np.ascontiguousarray(pack_frames(values, self.element_type, self.fold,
                                                self.width))

    def unpack(self, data: np.ndarray) -> np.ndarray:
        """uint8 (batch, frame_bytes) -> the batch of values (int64, or float32 for f32)."""
        return unpack_frames(data, self.element_type, self.fold, self.width, self.shape)


def port_specs(target: HlsTarget) -> tuple[list[PortSpec], list[PortSpec]]:
    """Input and output port specs from the host declaration's tensor types."""
    if target.declaration is None:
        raise QnnError(f"error: hls.kernel @{target.kernel.sym_name.data} has no host "
                       "declaration (func.func private with hls.kernel), so its tensor types "
                       "are unknown; produce the HLS form with convert-dataflow-to-hls")
    function_type = target.declaration.function_type
    tensors = [*function_type.inputs.data, *function_type.outputs.data]
    ports = KernelEmitter(target.kernel, target.roms).ports()
    if len(tensors) != len(ports):
        raise QnnError(f"error: @{target.kernel.sym_name.data} has {len(ports)} ports but its "
                       f"declaration {len(tensors)} tensors")
    specs = []
    for port, tensor in zip(ports, tensors, strict=True):
        assert isinstance(tensor, TensorType)
        shape = tuple(tensor.get_shape())
        specs.append(PortSpec(port.name, tensor.element_type, shape,
                              prod(shape) // port.frame_words, port.width))
    inputs = len(function_type.inputs.data)
    return specs[:inputs], specs[inputs:]


class CSimModel:
    """The compiled C simulation of one accelerator kernel."""

    def __init__(self, library: str, kernel: str, inputs: list[PortSpec],
                 outputs: list[PortSpec]):
        self.kernel, self.inputs, self.outputs = kernel, inputs, outputs
        self.library_path = library
        self._lib = ctypes.CDLL(library)
        self._lib.qnn_run_batch.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long]
        self._lib.qnn_run_batch.restype = ctypes.c_int
        self._lib.qnn_last_error.restype = ctypes.c_char_p
        self._lib.qnn_frame_bytes.restype = ctypes.c_long
        for index, spec in enumerate([*inputs, *outputs]):
            if self._lib.qnn_frame_bytes(index) != spec.frame_bytes:
                raise QnnError(f"error: {library} does not match {mlir_symbol(kernel)}: port "
                               f"{spec.name} has {self._lib.qnn_frame_bytes(index)} bytes per "
                               f"frame, expected {spec.frame_bytes}")

    @classmethod
    def from_module(cls, module: ModuleOp, kernel: str | None = None,
                    portable: bool = False) -> CSimModel:
        """Emit, compile (cached) and load the kernel of a dataflow- or HLS-form module.

        `portable` simulates the synthesizable code paths only (-DQNN_PORTABLE_CSIM).
        """
        hls_module = to_hls_form(module)
        targets = find_targets(hls_module)
        if kernel is not None:
            targets = [t for t in targets if t.kernel.sym_name.data == kernel]
        if len(targets) != 1:
            named = f" {mlir_symbol(kernel)}" if kernel else ""
            raise QnnError(f"error: expected one accelerator kernel{named}, found {len(targets)}")
        return cls.from_target(hls_module, targets[0], portable)

    @classmethod
    def from_target(cls, hls_module: ModuleOp, target: HlsTarget,
                    portable: bool = False) -> CSimModel:
        """The model of one kernel of a module in HLS form."""
        name = target.kernel.sym_name.data
        files = emit_project(hls_module, kernel=name)
        inputs, outputs = port_specs(target)
        return cls(build_library(files, name, portable), name, inputs, outputs)

    def run(self, *arrays: np.ndarray) -> list[np.ndarray]:
        """Run a batch (dim 0 of every input) through the kernel; one array per output.

        The inputs are checked as the interpreter's are (interpreter/inputs.py)."""
        checked = checked_inputs(mlir_symbol(self.kernel),
                                 [spec.argument() for spec in self.inputs], arrays)
        batch = checked[0].shape[0]
        in_data = [spec.pack(a) for spec, a in zip(self.inputs, checked, strict=True)]
        out_data = [np.zeros((batch, spec.frame_bytes), dtype=np.uint8) for spec in self.outputs]
        in_ptrs = (ctypes.c_void_p * len(in_data))(*(d.ctypes.data for d in in_data))
        out_ptrs = (ctypes.c_void_p * len(out_data))(*(d.ctypes.data for d in out_data))
        if self._lib.qnn_run_batch(in_ptrs, out_ptrs, batch) != 0:
            message = self._lib.qnn_last_error().decode("utf-8", "replace")
            raise QnnError(f"error: C simulation of {mlir_symbol(self.kernel)} failed: {message}")
        return [spec.unpack(d) for spec, d in zip(self.outputs, out_data, strict=True)]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The output of a one-input, one-output kernel for the batch x."""
        if len(self.inputs) != 1 or len(self.outputs) != 1:
            raise QnnError(f"error: predict() needs one input and one output; "
                           f"{mlir_symbol(self.kernel)} has {len(self.inputs)} and "
                           f"{len(self.outputs)}: use run()")
        return self.run(x)[0]


@dataclass
class KernelCall:
    """One kernel invocation during run_module_csim: its model, inputs and outputs."""

    model: CSimModel
    inputs: tuple[np.ndarray, ...]
    outputs: tuple[np.ndarray, ...]

    def testbench_files(self, frames: int) -> dict[str, bytes]:
        """tb_input.bin / tb_expected.bin for the first `frames` images: every input port's
        packed frames, port after port (the layout testbench.cpp reads)."""
        def packed(specs, arrays) -> bytes:
            return b"".join(spec.pack(np.asarray(a)[:frames]).tobytes()
                            for spec, a in zip(specs, arrays, strict=True))

        return {"tb_input.bin": packed(self.model.inputs, self.inputs),
                "tb_expected.bin": packed(self.model.outputs, self.outputs)}


def _kernel_functions(models: dict[str, CSimModel],
                      trace: list[KernelCall] | None = None) -> InterpreterFunctions:
    """Interpreter implementations of the host declarations: one C simulation each."""
    namespace = {}
    for index, (name, model) in enumerate(sorted(models.items())):

        def run(self, interpreter, op, args, model: CSimModel = model):
            results = tuple(model.run(*args))
            if trace is not None:
                trace.append(KernelCall(model, tuple(args), results))
            return results

        namespace[f"run_kernel_{index}"] = impl_external(name)(run)
    return register_impls(type("CSimKernelFunctions", (InterpreterFunctions,), namespace))()


def kernel_models(hls_module: ModuleOp) -> dict[str, CSimModel]:
    """The C simulation of every kernel of a module in HLS form, by the name of its host
    declaration (built with g++, or taken from the cache)."""
    return {target.declaration.sym_name.data: CSimModel.from_target(hls_module, target)
            for target in find_targets(hls_module) if target.declaration is not None}


def run_module_csim(module: ModuleOp, inputs: Sequence[np.ndarray],
                    function: str | None = None,
                    trace: list[KernelCall] | None = None,
                    sources: Sequence[str] | None = None) -> list[np.ndarray]:
    """Run the entry function: host ops in the interpreter, kernels in C simulation.

    The inputs are checked first, as `run_module` checks them (`sources` name their
    files in diagnostics). With `trace`, every kernel call is appended to it (for
    testbench vectors).
    """
    from qnn_mlir.interpreter import entry_function, make_interpreter

    hls_module = to_hls_form(module)
    entry = entry_function(hls_module, function)  # kernel declarations are never entries
    arrays = checked_inputs(f"@{entry.sym_name.data}", function_arguments(entry), inputs,
                            sources)
    models = kernel_models(hls_module)
    interpreter = make_interpreter(hls_module)
    interpreter.register_implementations(_kernel_functions(models, trace))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return [np.asarray(r) for r in interpreter.call_op(entry, tuple(arrays))]
