"""The tools' external inputs are checked: .npy files, input arrays, numbers and configs.

Each case runs a real command-line tool as a subprocess on one bad input and
asserts the contract of tests/invalid_inputs.md: exit code 1, a diagnostic that
says where and what, no Python traceback, no "internal error", and no output
file. The families:

1. `.npy` files given to `qnn-run --input` (qnn_mlir/npy_input.py): the header
   is read and checked before anything is allocated;
2. input arrays against the function they feed (qnn_mlir/interpreter/inputs.py),
   the same diagnostic in the interpreter and in the C simulation (`--csim`);
3. non-finite values, which are rejected (docs/checking.md, "Non-finite inputs");
4. `qnn-run` on a build's ir/04-hls.mlir without `--csim`: a short diagnostic;
5. `qnn-compile` numbers, budgets and folding configs, and the same options of
   `qnn-opt -p 'dataflow-fold{...}'`.

Positive controls show that valid inputs still run, in any byte order and
memory layout, and that the interpreter and the C simulation agree on them.
One tiny MLP is compiled once for the whole file (module-scoped fixture).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper
from onnx_builders import QONNX_DOMAIN, initializer, make_model, quant_node

BIN_DIR = os.path.dirname(sys.executable)

# ---------------------------------------------------------------------------
# Running the tools
# ---------------------------------------------------------------------------


def run(tool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a console tool of this venv; QNN_DEBUG unset so that internal errors stay short."""
    env = {k: v for k, v in os.environ.items() if k != "QNN_DEBUG"}
    return subprocess.run([os.path.join(BIN_DIR, tool), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def assert_diagnostic(result: subprocess.CompletedProcess[str], expected: tuple[str, ...],
                      output: Path) -> None:
    """Exit code 1, every `expected` text on stderr, no traceback, nothing at `output`."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    for text in expected:
        assert text in result.stderr, f"{text!r} not in:\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    assert "internal error" not in result.stderr, result.stderr
    assert len(result.stderr) < 1500, f"a diagnostic of {len(result.stderr)} characters"
    assert not output.exists(), f"{output} was written"


# ---------------------------------------------------------------------------
# The models: a compiled MLP, and small IR files for the interpreter
# ---------------------------------------------------------------------------

WIDTH = 8
"""The MLP's input: tensor<1x8xf32>."""


def tiny_mlp() -> onnx.ModelProto:
    """x (1x8) -> 4-bit Quant -> MatMul(2-bit 8x6) -> unsigned 4-bit Quant ->
    MatMul(2-bit 6x3): two MVAUs on the accelerator, compiled in a few seconds."""
    rng = np.random.default_rng(0)

    def weight_quant(source: str, result: str) -> onnx.NodeProto:
        return helper.make_node("Quant", [source, "wscale", "zeropt", "wbits"], [result],
                                name=f"{source}_quant", domain=QONNX_DOMAIN, signed=1,
                                narrow=1, rounding_mode="ROUND")

    nodes = [quant_node("x", "xq", name="in_quant"), weight_quant("w1", "w1q"),
             helper.make_node("MatMul", ["xq", "w1q"], ["h"], name="fc1"),
             quant_node("h", "a", name="act", signed=0), weight_quant("w2", "w2q"),
             helper.make_node("MatMul", ["a", "w2q"], ["y"], name="fc2")]
    parameters = [initializer("scale", 0.5), initializer("zeropt", 0.0),
                  initializer("bits", 4.0), initializer("wscale", 0.25),
                  initializer("wbits", 2.0),
                  initializer("w1", rng.uniform(-0.5, 0.5, (WIDTH, 6)).astype(np.float32)),
                  initializer("w2", rng.uniform(-0.5, 0.5, (6, 3)).astype(np.float32))]
    return make_model(nodes, parameters, input_shape=(1, WIDTH), output_shape=(1, 3))


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The MLP compiled with qnn-compile (C simulation checked on 20 inputs)."""
    workdir = tmp_path_factory.mktemp("mlp")
    onnx.save(tiny_mlp(), workdir / "mlp.onnx")
    result = run("qnn-compile", "mlp.onnx", "--check-images", "20", "-o", "build",
                 cwd=workdir)
    assert result.returncode == 0, result.stderr
    return workdir / "build"


FLOAT_IR = f"""\
func.func @main(%x: tensor<1x{WIDTH}xf32>) -> tensor<1x{WIDTH}xf32> {{
  %r = quant.relu %x : (tensor<1x{WIDTH}xf32>) -> tensor<1x{WIDTH}xf32>
  func.return %r : tensor<1x{WIDTH}xf32>
}}
"""

INTEGER_IR = """\
func.func @main(%levels: tensor<1x4xui2>, %signs: tensor<1x4x!quant.bipolar>)
    -> tensor<1x4xui2> {
  func.return %levels : tensor<1x4xui2>
}
"""
"""An integer-stage function: a ui2 argument and a bipolar one."""


def images(count: int = 5) -> np.ndarray:
    return np.random.default_rng(1).uniform(-1, 1, (count, WIDTH)).astype(np.float32)


# ---------------------------------------------------------------------------
# 1. .npy files
# ---------------------------------------------------------------------------

Writer = Callable[[Path], None]


def raw_npy(header: dict, data: bytes = b"", version: tuple[int, int] = (1, 0)) -> Writer:
    """A file with numpy's magic, the given header dictionary and raw data bytes."""
    def write(path: Path) -> None:
        with open(path, "wb") as f:
            np.lib.format.write_array_header_1_0(f, header) if version == (1, 0) else \
                np.lib.format.write_array_header_2_0(f, header)
            f.write(data)

    return write


def saved(array: np.ndarray, allow_pickle: bool = False) -> Writer:
    return lambda path: np.save(path, array, allow_pickle=allow_pickle)


def cut(keep: int) -> Writer:
    """A valid float32 file cut after `keep` bytes (negative: drop from the end)."""
    def write(path: Path) -> None:
        np.save(path, images())
        data = path.read_bytes()
        path.write_bytes(data[:keep])

    return write


def appended(extra: bytes) -> Writer:
    def write(path: Path) -> None:
        np.save(path, images())
        path.write_bytes(path.read_bytes() + extra)

    return write


def npz_archive(path: Path) -> None:
    with open(path, "wb") as f:
        np.savez(f, x=images())


SAVE_HINT = "write one array per file with np.save('x.npy', array)"

NPY_CASES = [
    ("absurd-shape", raw_npy({"descr": "<f4", "fortran_order": False,
                              "shape": (2**40, 2**10, WIDTH)}, b"\0" * 64),
     "the header claims shape [1099511627776, 1024, 8] of float32 (32,768.0 TiB), more than "
     "the 2.0 GiB an input may hold"),
    ("empty-file", lambda path: path.write_bytes(b""), f"the file is empty; {SAVE_HINT}"),
    ("truncated-data", cut(-7), "but the file holds 153 bytes of data: it is cut short"),
    ("truncated-header", cut(20), "the .npy header is damaged or cut short"),
    ("extra-bytes", appended(b"xx"), "it is followed by extra bytes"),
    ("negative-dimension", raw_npy({"descr": "<f4", "fortran_order": False, "shape": (-3, 8)}),
     "negative dimension in shape [-3, 8]"),
    ("structured", saved(np.zeros((2, WIDTH), dtype=[("a", "<f4"), ("b", "<i4")])),
     "a structured dtype"),
    ("string", saved(np.array([["a"] * WIDTH])), "dtype <U1 (string values)"),
    ("datetime", saved(np.zeros((1, WIDTH), dtype="datetime64[s]")), "(datetime values)"),
    ("complex", saved(np.zeros((1, WIDTH), dtype=np.complex64)), "dtype complex64"),
    ("object-pickle", saved(np.array([[1] * WIDTH], dtype=object), allow_pickle=True),
     "dtype object: pickled Python objects, which are never loaded"),
    ("longdouble", saved(np.zeros((1, WIDTH), dtype=np.longdouble)),
     "(extended-precision float values)"),
    ("npz-archive", npz_archive, "an .npz archive (a zip file), not an .npy array"),
    ("plain-pickle", lambda path: path.write_bytes(b"\x80\x04\x95" + b"\0" * 20),
     "a Python pickle"),
    ("text", lambda path: path.write_text("1 2 3\n"), "not an .npy file"),
    ("format-3", lambda path: path.write_bytes(b"\x93NUMPY\x03\x00\x10\x00\x00\x00{}" +
                                               b" " * 13 + b"\n"),
     ".npy format version 3.0 is not supported"),
    ("directory", lambda path: path.mkdir(), "cannot read the file: Is a directory"),
    ("missing", lambda path: None, "cannot read the file: No such file or directory"),
]


@pytest.mark.parametrize("name, write, expected", NPY_CASES, ids=[c[0] for c in NPY_CASES])
def test_qnn_run_rejects_a_bad_npy_file(name: str, write: Writer, expected: str,
                                        tmp_path: Path):
    (tmp_path / "model.mlir").write_text(FLOAT_IR)
    write(tmp_path / "x.npy")
    result = run("qnn-run", "model.mlir", "--input", "x.npy", "--output", "out.npy",
                 cwd=tmp_path)
    assert_diagnostic(result, ("x.npy: error: ", expected), tmp_path / "out.npy")


LAYOUTS = {
    "big-endian": lambda x: x.astype(">f4"),
    "fortran-order": np.asfortranarray,
    "float16": lambda x: x.astype(np.float16),
    "format-2": None,
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_qnn_run_reads_any_byte_order_and_layout(layout: str, tmp_path: Path):
    """Positive control: the same values in another layout give the same outputs."""
    (tmp_path / "model.mlir").write_text(FLOAT_IR)
    x = images().astype(np.float16).astype(np.float32)  # exact in every layout
    convert = LAYOUTS[layout]
    if convert is None:
        raw_npy({"descr": "<f4", "fortran_order": False, "shape": x.shape}, x.tobytes(),
                version=(2, 0))(tmp_path / "x.npy")
    else:
        np.save(tmp_path / "x.npy", convert(x))
    result = run("qnn-run", "model.mlir", "--input", "x.npy", "--output", "out.npy",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), np.maximum(x, 0))


# ---------------------------------------------------------------------------
# 2, 3. Input arrays, in the interpreter and in the C simulation
# ---------------------------------------------------------------------------

ARGUMENT = f"input 0 (%x of @main, tensor<1x{WIDTH}xf32>)"


def with_value(index: tuple[int, int], value: float, dtype=np.float32) -> np.ndarray:
    x = images().astype(dtype)
    x[index] = value
    return x


INPUT_CASES = [
    ("two-inputs", [images(), images()],
     "error: @main takes 1 input(s) (%x: tensor<1x8xf32>), got 2"),
    ("scalar", [np.float32(1.0)], f"{ARGUMENT} has shape [] (a 0-d scalar): give an array of "
     "shape [N, 8] with N >= 1 images"),
    ("wrong-shape", [np.zeros((2, 7), np.float32)], f"{ARGUMENT} has shape [2, 7]: give an "
     "array of shape [N, 8]"),
    ("empty-batch", [np.zeros((0, WIDTH), np.float32)],
     f"{ARGUMENT} has shape [0, 8]: an empty batch"),
    ("nan", [with_value((1, 3), np.nan)], f"{ARGUMENT} holds 1 non-finite value(s), the first "
     "(nan) at index [1, 3]: NaN and infinite inputs are rejected"),
    ("infinities", [np.where(np.arange(40).reshape(5, 8) % 7 == 6, -np.inf, images())],
     f"{ARGUMENT} holds 5 non-finite value(s), the first (-inf) at index [0, 6]"),
    ("beyond-float32", [with_value((2, 0), 1e39, np.float64)],
     f"{ARGUMENT} holds 1 value(s) beyond the float32 range"),
    ("strings", [np.array([["true"] * WIDTH])], "dtype <U4"),
]


@pytest.mark.parametrize("path", ["interpreter", "csim"])
@pytest.mark.parametrize("name, arrays, expected", INPUT_CASES, ids=[c[0] for c in INPUT_CASES])
def test_bad_inputs_are_the_same_diagnostic_in_both_paths(
        name: str, arrays: list[np.ndarray], expected: str, path: str, build: Path,
        tmp_path: Path):
    files = []
    for index, array in enumerate(arrays):
        files.append(f"x{index}.npy")
        np.save(tmp_path / files[-1], array)
    target = (["--csim", str(build)] if path == "csim"
              else [str(build / "ir" / "01-imported.mlir")])
    result = run("qnn-run", *target, *(f"--input={f}" for f in files), "--output", "out.npy",
                 cwd=tmp_path)
    where = ("04-hls.mlir: error: " if path == "csim" else "01-imported.mlir: error: ") \
        if name == "two-inputs" else "x0.npy: error: "
    assert_diagnostic(result, (where, expected), tmp_path / "out.npy")


def test_interpreter_and_c_simulation_agree_on_a_valid_batch(build: Path, tmp_path: Path):
    """Positive control: the checks let a valid batch through, on both paths alike."""
    np.save(tmp_path / "x.npy", images(32))
    interpreted = run("qnn-run", str(build / "ir" / "01-imported.mlir"), "--input", "x.npy",
                      "--output", "interpreted.npy", cwd=tmp_path)
    simulated = run("qnn-run", "--csim", str(build), "--input", "x.npy", "--output",
                    "simulated.npy", cwd=tmp_path)
    assert interpreted.returncode == 0 and simulated.returncode == 0, \
        interpreted.stderr + simulated.stderr
    expected = np.load(tmp_path / "interpreted.npy")
    assert expected.shape == (32, 3) and np.isfinite(expected).all()
    np.testing.assert_array_equal(np.load(tmp_path / "simulated.npy"), expected)


LEVELS = "input 0 (%levels of @main, tensor<1x4xui2>)"
SIGNS = "input 1 (%signs of @main, tensor<1x4x!quant.bipolar>)"
GOOD_LEVELS = np.array([[0, 1, 2, 3], [3, 2, 1, 0]])
GOOD_SIGNS = np.array([[1, -1, 1, -1], [-1, -1, 1, 1]], dtype=np.int8)

INTEGER_CASES = [
    ("level-too-high", [np.array([[0, 1, 2, 4], [5, 0, 0, 0]]), GOOD_SIGNS],
     f"x0.npy: error: {LEVELS} holds 2 value(s) that do not fit the element type ui2 "
     "(integers in [0, 3]), the first (4) at index [0, 3]"),
    ("negative-level", [GOOD_LEVELS.astype(np.int8) - 1, GOOD_SIGNS],
     f"x0.npy: error: {LEVELS} holds 2 value(s) that do not fit the element type ui2 "
     "(integers in [0, 3]), the first (-1) at index [0, 0]"),
    ("fractional-level", [GOOD_LEVELS + np.array([[0, 0.5, 0, 0], [0, 0, 0, 0]]), GOOD_SIGNS],
     f"x0.npy: error: {LEVELS} holds 1.5 at index [0, 1], not an integer: the element type "
     "ui2 takes integers in [0, 3]"),
    ("bipolar-zero", [GOOD_LEVELS, np.array([[1, 0, 1, -1], [1, 1, 1, 1]])],
     f"x1.npy: error: {SIGNS} holds 1 value(s) that do not fit the element type "
     "!quant.bipolar (-1 and +1 only), the first (0) at index [0, 1]"),
    ("batch-sizes-differ", [GOOD_LEVELS, GOOD_SIGNS[:1]],
     f"x1.npy: error: {SIGNS} has a batch of 1, but input 0 has 2"),
]


@pytest.mark.parametrize("name, arrays, expected", INTEGER_CASES,
                         ids=[c[0] for c in INTEGER_CASES])
def test_integer_arguments_take_their_levels_only(name: str, arrays: list[np.ndarray],
                                                  expected: str, tmp_path: Path):
    (tmp_path / "int.mlir").write_text(INTEGER_IR)
    for index, array in enumerate(arrays):
        np.save(tmp_path / f"x{index}.npy", array)
    result = run("qnn-run", "int.mlir", "--input", "x0.npy", "--input", "x1.npy", "--output",
                 "out.npy", cwd=tmp_path)
    assert_diagnostic(result, (expected,), tmp_path / "out.npy")


def test_integer_arguments_accept_their_levels(tmp_path: Path):
    """Positive control: in-range levels, also as integral floats and as bool."""
    (tmp_path / "int.mlir").write_text(INTEGER_IR)
    np.save(tmp_path / "x0.npy", GOOD_LEVELS.astype(np.float32))
    np.save(tmp_path / "x1.npy", GOOD_SIGNS)
    result = run("qnn-run", "int.mlir", "--input", "x0.npy", "--input", "x1.npy", "--output",
                 "out.npy", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), GOOD_LEVELS)


# ---------------------------------------------------------------------------
# 4. The last stage without --csim
# ---------------------------------------------------------------------------


def test_hls_stage_without_csim_is_a_short_diagnostic(build: Path, tmp_path: Path):
    np.save(tmp_path / "x.npy", images())
    result = run("qnn-run", str(build / "ir" / "04-hls.mlir"), "--input", "x.npy", "--output",
                 "out.npy", cwd=tmp_path)
    assert_diagnostic(result, ("04-hls.mlir: error: the interpreter cannot run the accelerator "
                               "kernel @main_accel", "qnn-run --csim BUILD_DIR"),
                      tmp_path / "out.npy")
    assert len(result.stderr) < 400, result.stderr


def test_foreign_text_in_a_diagnostic_is_bounded():
    """One helper cuts what another library says (a whole module, say) with a note."""
    from qnn_mlir.diagnostics import MAX_QUOTED_CHARS, excerpt

    module = "builtin.module {\n" + "  %c = arith.constant dense<1> : tensor<4xi32>\n" * 10**4
    text = excerpt(module)
    assert len(text) < MAX_QUOTED_CHARS + 60
    assert text.endswith(f"({len(module.strip()) - MAX_QUOTED_CHARS:,} more characters not "
                         "shown)")
    assert excerpt("short") == "short"


# ---------------------------------------------------------------------------
# 5. qnn-compile numbers, budgets and configs; qnn-opt's dataflow-fold options
# ---------------------------------------------------------------------------

FPS_RANGE = "at least 0.001, got {}; no design runs faster than one frame per clock cycle: " \
    "100,000,000 frames/s at 100 MHz"

COMPILE_OPTION_CASES = [
    *[(f"target-fps-{value}", [f"--target-fps={value}"],
       "qnn-compile: error: --target-fps must be a finite number of frames per second, "
       + FPS_RANGE.format(shown)) for value, shown in
      (("nan", "nan"), ("-inf", "-inf"), ("0", "0.0"), ("1e-9", "1e-09"), ("fast", "fast"))],
    *[(f"check-images-{value}", [f"--check-images={value}"],
       "qnn-compile: error: --check-images must be a whole number of inputs from 1 to 10,000, "
       f"got {shown}") for value, shown in
      (("0", "0"), ("1.5", "'1.5'"), ("100000", "100000"))],
    ("budget-twice", ["--budget", "lut=0.5,lut=0.6"], "error: budget key 'lut' is given twice"),
    ("budget-injection", ["--budget", '0.5" config="/etc/passwd'],
     "error: budget key '0.5\" config' is not one of lut, bram, dsp"),
    ("budget-brace", ["--budget", "lut=0.5}"], "error: budget value '0.5}' is not a number"),
    ("budget-empty-entry", ["--budget", "lut=0.5,"], "has an empty entry"),
    ("budget-nan", ["--budget", "nan"], "error: budget value 'nan' must be a fraction in (0, 1]"),
]


@pytest.mark.parametrize("name, args, expected", COMPILE_OPTION_CASES,
                         ids=[c[0] for c in COMPILE_OPTION_CASES])
def test_qnn_compile_rejects_a_bad_number(name: str, args: list[str], expected: str,
                                          tmp_path: Path):
    onnx.save(tiny_mlp(), tmp_path / "mlp.onnx")
    result = run("qnn-compile", "mlp.onnx", *args, "-o", "build", cwd=tmp_path)
    assert_diagnostic(result, (expected,), tmp_path / "build")


CONFIG_CASES = [
    ("not-utf8", b'{"fc1": {"PE": 2}}\xff', "the folding config is not UTF-8 text (byte 18)"),
    ("not-json", b'{"fc1": {"PE": 2}', "the folding config is not valid JSON: line 1 column 18"),
    ("array", b"[1, 2]", "the folding config must map layer names to objects such as "
     '{"fc0": {"PE": 16, "SIMD": 49}}, not be a JSON list'),
    ("layer-not-object", b'{"fc1": 2}', "layer 'fc1' maps to 2"),
    ("float", b'{"fc1": {"PE": 2.0}}', "layer 'fc1': PE must be a positive integer, got 2.0"),
    ("zero", b'{"fc1": {"SIMD": 0}}', "layer 'fc1': SIMD must be a positive integer, got 0"),
    ("boolean", b'{"fc1": {"PE": true}}', "layer 'fc1': PE must be a positive integer, got true"),
    ("huge", b'{"fc1": {"PE": 100000000000000000000}}',
     "layer 'fc1': PE 100000000000000000000 is larger than any layer dimension"),
    ("nested", b'{"fc1": {"PE": {"x": 2}}}', 'PE must be a positive integer, got {"x": 2}'),
    ("layer-twice", b'{"fc1": {"PE": 2}, "fc1": {"PE": 3}}',
     "the key 'fc1' appears twice in one object"),
    ("deep-nesting", b"[" * 100_000 + b"]" * 100_000, "its JSON is nested too deeply"),
]


@pytest.mark.parametrize("name, text, expected", CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_qnn_compile_rejects_a_bad_folding_config(name: str, text: bytes, expected: str,
                                                  tmp_path: Path):
    onnx.save(tiny_mlp(), tmp_path / "mlp.onnx")
    (tmp_path / "f.json").write_bytes(text)
    result = run("qnn-compile", "mlp.onnx", "--folding", "f.json", "-o", "build", cwd=tmp_path)
    assert_diagnostic(result, ("f.json: error: ", expected), tmp_path / "build")


@pytest.mark.parametrize("text, expected", [
    ('{"fc9": {"PE": 1}}', "config '{}' names layer 'fc9', which is not in the module; the "
     "layers are: in_quant, fc1, fc2"),
    ('{"fc1": {"pe": 2}}', "layer 'fc1' (dataflow.mvau) has no folding parameter 'pe': valid "
     "are SIMD, PE (config '{}')"),
], ids=["unknown-layer", "unknown-parameter"])
def test_config_errors_that_need_the_model_name_the_file_and_the_layer(
        text: str, expected: str, tmp_path: Path):
    onnx.save(tiny_mlp(), tmp_path / "mlp.onnx")
    (tmp_path / "f.json").write_text(text)
    result = run("qnn-compile", "mlp.onnx", "--folding", "f.json", "-o", "build", "--skip-csim",
                 cwd=tmp_path)
    assert_diagnostic(result, ("mlp.onnx: error: dataflow-fold: ",
                               expected.format(tmp_path / "f.json")), tmp_path / "build")


def test_a_target_beyond_reach_gives_the_fastest_folding(tmp_path: Path):
    """Positive control: 1e30 frames/s is finite; it used to break the pass pipeline."""
    onnx.save(tiny_mlp(), tmp_path / "mlp.onnx")
    result = run("qnn-compile", "mlp.onnx", "--target-fps", "1e30", "--skip-csim", "-o",
                 "build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "frames/s is out of reach: the fastest folding gives 100,000,000" in result.stdout
    assert (tmp_path / "build" / "folding.json").exists()


PASS_OPTION_CASES = [
    ("target-fps=0", "dataflow-fold: target-fps must be a finite number of frames per second, "
     + FPS_RANGE.format("0")),
    ("target-fps=-5", "dataflow-fold: target-fps must be a finite"),
    ("target-fps=nan", "qnn-opt: error: invalid pass pipeline"),
    ("clock-mhz=0", "dataflow-fold: clock-mhz must be a finite number of MHz above 0, got 0"),
    ("max-weight-width=0", "dataflow-fold: max-weight-width must be a positive number of bits"),
    ('budget="lut=0.5,lut=0.6"', "dataflow-fold: budget key 'lut' is given twice"),
    ('config="f.json"', "dataflow-fold: config 'f.json' is not UTF-8 text (byte 0)"),
]


@pytest.mark.parametrize("options, expected", PASS_OPTION_CASES,
                         ids=[c[0] for c in PASS_OPTION_CASES])
def test_qnn_opt_dataflow_fold_rejects_a_bad_option(options: str, expected: str, build: Path,
                                                    tmp_path: Path):
    (tmp_path / "f.json").write_bytes(b"\xff\xfe")
    result = run("qnn-opt", str(build / "ir" / "03-dataflow.mlir"), "-p",
                 f"dataflow-fold{{{options}}}", "-o", "out.mlir", cwd=tmp_path)
    assert_diagnostic(result, (expected,), tmp_path / "out.mlir")
