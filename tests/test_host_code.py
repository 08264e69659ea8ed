"""The generated host code of a deployment (backends/pynq/host_code.py) computes bit for
bit what the compiler runs: `forward(accelerator, x)` of the generated model.py, with an
accelerator that runs the kernel through the reference interpreter (or the g++ C
simulation), equals `run_module` of the dataflow form (`run_module_csim` of the HLS form),
outputs and dtypes, for TFC-w1a1, TFC-w2a2, LeNet-5 and CNV-w1a1.

Also: the text is deterministic, IR names cannot break out of a comment or identifier,
ops without host semantics and modules without exactly one kernel are diagnostics, the
generated module imports nothing of the compiler, and every entry of the host-call table
agrees with the interpreter (for layers: with the layer's own `interpret`).
"""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import REPO
from qnn_runtime import host_ops
from xdsl.dialects import func
from xdsl.interpreter import InterpreterFunctions, impl_external, register_impls

from qnn_mlir.backends.pynq.host_code import CONSTANTS_FILE, RESERVED_NAMES, emit_host_code
from qnn_mlir.compiler import CompileOptions, check_inputs, lower_to_cpp
from qnn_mlir.datasets import fashion_mnist
from qnn_mlir.diagnostics import QnnError, parse_module_text
from qnn_mlir.dialects import dataflow, make_context, quant
from qnn_mlir.equivalence import trace
from qnn_mlir.interpreter import make_interpreter, run_module
from qnn_mlir.interpreter.host_calls import HOST_CALLS, host_call

EXAMPLES = os.path.join(REPO, "examples")
MODELS = {"tfc_w1a1": 300, "tfc_w2a2": 300, "lenet5_w4a4_float": 40, "cnv_w1a1_fmnist": 8}
"""Model -> how many inputs it runs (CNV is large: a sample)."""


def lowered(name: str) -> dict:
    """The IR of each stage of a model lowered in-process (no g++), by stage name."""
    return lower_to_cpp(os.path.join(EXAMPLES, f"{name}.onnx"), CompileOptions()).stages


@pytest.fixture(scope="module", params=sorted(MODELS))
def compiled(request):
    """(stages, inputs) of each model."""
    stages = lowered(request.param)
    return stages, model_inputs(stages["01-imported"], MODELS[request.param])


def model_inputs(module, count: int) -> np.ndarray:
    """Fashion-MNIST test images, zero-padded to 32 x 32 for CNV."""
    images = check_inputs(module, count)
    if images.shape[1:] == (1, 32, 32):
        return np.pad(fashion_mnist("test")[0][:count], ((0, 0), (0, 0), (2, 2), (2, 2)))
    return images


class InterpretedAccelerator:
    """The accelerator of a dataflow-form module, run by the reference interpreter."""

    def __init__(self, dataflow_module):
        self.interpreter = make_interpreter(dataflow_module)
        (self.op,) = [op for op in dataflow_module.walk()
                      if isinstance(op, dataflow.AcceleratorOp)]
        self.calls = 0

    def execute(self, *inputs: np.ndarray) -> list[np.ndarray]:
        self.calls += 1
        return list(self.interpreter.run_op(self.op, inputs))


def load_host_code(host, directory, module_name: str = "generated_model"):
    """The generated module written as model.py (+ its constants) and imported."""
    path = os.path.join(directory, "model.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(host.source)
    np.savez(os.path.join(directory, CONSTANTS_FILE), **host.constants)
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_same_outputs(actual, expected) -> None:
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got, want)


# -- the generated code computes what the compiler computes ---------------------------


def test_forward_equals_the_interpreter(compiled, tmp_path):
    stages, inputs = compiled
    dataflow_form, hls_form = stages["03-dataflow"], stages["04-hls"]
    host = emit_host_code(hls_form)
    generated = load_host_code(host, str(tmp_path), f"generated_{tmp_path.name}")
    accelerator = InterpretedAccelerator(dataflow_form)
    outputs = generated.forward(accelerator, inputs)
    assert isinstance(outputs, tuple) and accelerator.calls == 1
    assert_same_outputs(list(outputs), run_module(dataflow_form, [inputs]))
    # the metadata is the function's signature
    entry = [op for op in hls_form.ops if isinstance(op, func.FuncOp) and op.body.blocks][0]
    assert [i["shape"] for i in host.inputs] == [list(a.type.get_shape())
                                                 for a in entry.body.block.args]
    assert generated.INPUTS == host.inputs and generated.OUTPUTS == host.outputs
    assert [o["dtype"] for o in host.outputs] == [o.dtype.name for o in outputs]
    assert generated.KERNEL == host.kernel == "main_accel"


def test_forward_with_the_c_simulation_equals_run_module_csim(tmp_path):
    from qnn_mlir.backends.hls.csim import kernel_models, run_module_csim

    stages = lowered("tfc_w1a1")
    hls_form = stages["04-hls"]
    inputs = model_inputs(stages["01-imported"], 1000)
    host = emit_host_code(hls_form)
    generated = load_host_code(host, str(tmp_path), "generated_tfc_csim")
    (model,) = kernel_models(hls_form).values()
    accelerator = SimpleNamespace(execute=model.run)
    assert_same_outputs(list(generated.forward(accelerator, inputs)),
                        run_module_csim(hls_form, [inputs]))


def test_the_text_is_deterministic(compiled):
    hls_form = compiled[0]["04-hls"]
    first, second = emit_host_code(hls_form), emit_host_code(hls_form.clone())
    assert first.source == second.source
    assert list(first.constants) == list(second.constants)
    for key, array in first.constants.items():
        assert np.array_equal(array, second.constants[key])
        assert array.dtype == second.constants[key].dtype
    ast.parse(first.source, feature_version=(3, 8))  # the boards' Python


def test_the_generated_module_imports_nothing_of_the_compiler(tmp_path):
    """A separate interpreter imports model.py alone and runs it on recorded kernel
    outputs: qnn_mlir and xdsl stay out of sys.modules."""
    stages = lowered("tfc_w2a2")
    inputs = model_inputs(stages["01-imported"], 20)
    host = emit_host_code(stages["04-hls"])
    generated = load_host_code(host, str(tmp_path), "generated_tfc_isolated")
    accelerator = InterpretedAccelerator(stages["03-dataflow"])
    kernel_inputs = []
    original = accelerator.execute
    accelerator.execute = lambda *arrays: kernel_inputs.append(arrays) or original(*arrays)
    (expected,) = generated.forward(accelerator, inputs)
    kernel_outputs = original(*kernel_inputs[0])
    np.savez(tmp_path / "run.npz", x=inputs, kernel=kernel_outputs[0], expected=expected)
    script = f"""
import importlib.util, sys
import numpy as np
run = np.load({str(tmp_path / "run.npz")!r})
class Accelerator:
    def execute(self, *arrays):
        return [run["kernel"]]
spec = importlib.util.spec_from_file_location("model", {str(tmp_path / "model.py")!r})
model = importlib.util.module_from_spec(spec)
spec.loader.exec_module(model)
(y,) = model.forward(Accelerator(), run["x"])
assert y.dtype == run["expected"].dtype and np.array_equal(y, run["expected"])
leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("qnn_mlir", "xdsl"))
assert not leaked, leaked
"""
    subprocess.run([sys.executable, "-c", script], check=True, cwd=str(tmp_path))


HOST_OPS_AROUND_A_KERNEL = """builtin.module {
  func.func @main(%x: tensor<1x8xf32>) -> (tensor<1x3xf32>, tensor<1x3xi64>, tensor<1x8xf32>) {
    %s = arith.constant dense<0.25> : tensor<f32>
    %z = arith.constant dense<0.0> : tensor<f32>
    %os = arith.constant dense<1.0> : tensor<1xf32>
    %t1 = quant.trunc %x, %s, %z {in_bitwidth = 8 : i64, out_bitwidth = 4 : i64}
        : (tensor<1x8xf32>, tensor<f32>, tensor<f32>) -> tensor<1x8xf32>
    %t2 = quant.trunc %x, %s, %z out_scale %os {in_bitwidth = 16 : i64, out_bitwidth = 4 : i64,
        rounding_mode = "ROUND", signed = false, narrow = true}
        : (tensor<1x8xf32>, tensor<f32>, tensor<f32>, tensor<1xf32>) -> tensor<1x8xf32>
    %q = quant.int_quant %t2, %s, %z {bitwidth = 3 : i64, signed = true, narrow = true,
        rounding_mode = "HALF_UP"} : (tensor<1x8xf32>, tensor<f32>, tensor<f32>) -> tensor<1x8xf32>
    %a = func.call @k1(%t1) : (tensor<1x8xf32>) -> tensor<1x8xf32>
    %two = arith.constant dense<2.0> : tensor<f32>
    %p = quant.pow %a, %two : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xf32>
    %values, %indices = quant.topk %p {k = 3 : i64, axis = -1 : i64, largest = true}
        : (tensor<1x8xf32>) -> (tensor<1x3xf32>, tensor<1x3xi64>)
    func.return %values, %indices, %q : tensor<1x3xf32>, tensor<1x3xi64>, tensor<1x8xf32>
  }
  func.func private @k1(tensor<1x8xf32>) -> tensor<1x8xf32> attributes {hls.kernel = @k::@k1}
}
"""


def test_trunc_int_quant_pow_and_topk_on_the_host(tmp_path):
    """trunc (both versions), int_quant, pow and topk (two results) around a kernel that
    negates: the generated code against the interpreter with the same kernel."""
    module = parse_module_text(make_context(), HOST_OPS_AROUND_A_KERNEL, "host.mlir")

    def negate(functions, interpreter, op, args):
        return (-args[0],)

    interpreter = make_interpreter(module)
    interpreter.register_implementations(register_impls(type(
        "Kernel", (InterpreterFunctions,), {"run": impl_external("k1")(negate)}))())
    inputs = np.random.default_rng(5).uniform(-8, 8, size=(64, 8)).astype(np.float32)
    inputs[:8] = np.round(inputs[:8] * 4) / 4  # on the rounding ties too
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        expected = interpreter.call_op("main", (inputs,))
    generated = load_host_code(emit_host_code(module), str(tmp_path), "generated_host_ops")
    outputs = generated.forward(SimpleNamespace(execute=lambda x: [-x]), inputs)
    assert_same_outputs([np.asarray(o) for o in outputs], [np.asarray(e) for e in expected])


# -- IR strings in the generated code ----------------------------------------------------


HOSTILE_NAMES = ["input", 'a\nb = 1  # "', "x'\"\"\"\\", "\u00e9t\u00e9\u2028", "ops", "np",
                 "accelerator", "class", "print", "forward", "CONSTANTS", "_", "9lives"]


def test_hostile_ir_names_give_valid_escaped_python(tmp_path):
    stages = lowered("tfc_w1a1")
    hls_form = stages["04-hls"]
    entry = [op for op in hls_form.ops if isinstance(op, func.FuncOp) and op.body.blocks][0]
    values = [*entry.body.block.args, *(r for op in entry.body.block.ops for r in op.results)]
    for value, name in zip(values, HOSTILE_NAMES, strict=False):
        value._name = name  # past xDSL's check: names from any producer of IR
    values[-1]._name = 'out"\n\\\u00e9'  # the output's, into the OUTPUTS metadata
    host = emit_host_code(hls_form)
    source = host.source
    assert source.isascii()
    tree = ast.parse(source)
    compile(source, "model.py", "exec")
    forward = next(node for node in tree.body if isinstance(node, ast.FunctionDef))
    assigned = [n.id for n in ast.walk(forward)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
    parameters = [a.arg for a in forward.args.args]
    identifiers = set(parameters[1:]) | set(assigned)
    assert not identifiers & RESERVED_NAMES
    assert parameters == ["accelerator", "input_"]
    # each name escaped in its op's comment: one line, as a Python string spells it
    assert '# quant.reshape %a\\nb = 1  # " : tensor<1x784xf32>\n' in source
    assert "# dataflow.to_stream %x'\"\"\"\\\\ : " in source
    assert "# dataflow.thresholding %\\xe9t\\xe9\\u2028 : " in source
    generated = load_host_code(host, str(tmp_path), "generated_hostile")
    inputs = model_inputs(stages["01-imported"], 50)
    assert generated.OUTPUTS == host.outputs  # the IR's names, exactly
    assert generated.OUTPUTS[0]["name"] == 'out"\n\\\u00e9'
    assert_same_outputs(list(generated.forward(InterpretedAccelerator(stages["03-dataflow"]),
                                               inputs)),
                        run_module(stages["03-dataflow"], [inputs]))


# -- diagnostics ----------------------------------------------------------------------------


KERNEL_DECLARATIONS = """
  func.func private @k1(tensor<1x4xsi8>) -> tensor<1x4xsi8> attributes {hls.kernel = @k1_hls::@k1}
  func.func private @k2(tensor<1x4xsi8>) -> tensor<1x4xsi8> attributes {hls.kernel = @k2_hls::@k2}
"""


def host_module(body: str):
    return parse_module_text(make_context(), f"""builtin.module {{
  func.func @main(%x: tensor<1x4xsi8>) -> tensor<1x4xsi8> {{
{body}
  }}
{KERNEL_DECLARATIONS}}}
""", "host.mlir")


def test_an_op_without_host_semantics_is_a_diagnostic():
    module = host_module("""
    %a = func.call @k1(%x) : (tensor<1x4xsi8>) -> tensor<1x4xsi8>
    %b = arith.addi %a, %a : tensor<1x4xsi8>
    func.return %b : tensor<1x4xsi8>""")
    with pytest.raises(QnnError, match=r"^host.mlir:5:\d+: error: arith.addi %b cannot run on "
                                       "the host of the deployment package"):
        emit_host_code(module)


def test_two_kernels_or_none_are_a_diagnostic():
    two = host_module("""
    %a = func.call @k1(%x) : (tensor<1x4xsi8>) -> tensor<1x4xsi8>
    %b = func.call @k2(%a) : (tensor<1x4xsi8>) -> tensor<1x4xsi8>
    func.return %b : tensor<1x4xsi8>""")
    with pytest.raises(QnnError, match="exactly one accelerator kernel.*found @k1, @k2"):
        emit_host_code(two)
    none = host_module("""
    func.return %x : tensor<1x4xsi8>""")
    with pytest.raises(QnnError, match="exactly one accelerator kernel.*found none"):
        emit_host_code(none)
    twice = host_module("""
    %a = func.call @k1(%x) : (tensor<1x4xsi8>) -> tensor<1x4xsi8>
    %b = func.call @k1(%a) : (tensor<1x4xsi8>) -> tensor<1x4xsi8>
    func.return %b : tensor<1x4xsi8>""")
    assert emit_host_code(twice).source.count("accelerator.execute(") == 2


# -- the table -------------------------------------------------------------------------------


def test_the_runtime_semantics_parse_as_python_3_8():
    """The boards' images run Python 3.8 or later (runtime/pyproject.toml)."""
    for module in ("host_ops.py", "host_windows.py"):
        with open(os.path.join(os.path.dirname(host_ops.__file__), module), encoding="utf-8") as f:
            ast.parse(f.read(), feature_version=(3, 8))


def test_every_quant_op_and_host_boundary_has_host_semantics():
    assert set(quant.Quant.operations) <= set(HOST_CALLS)
    assert {dataflow.ToStreamOp, dataflow.FromStreamOp, dataflow.ThresholdingOp} <= set(HOST_CALLS)


def test_every_table_entry_agrees_with_the_interpreter(compiled):
    """Every op of each stage's run that has an entry: its host_ops function on the op's
    recorded inputs gives the recorded outputs (for layers, those of `interpret`)."""
    stages, inputs = compiled
    covered = set()
    for module in (stages["01-imported"], stages["02-integer"], stages["03-dataflow"]):
        values = trace(module, [inputs[:4]])
        for accelerator in module.walk():
            if not isinstance(accelerator, dataflow.AcceleratorOp):
                continue
            values.update(zip(accelerator.body.block.args,
                              (values[v] for v in accelerator.operands), strict=True))
        for op in module.walk():
            call = host_call(op)
            if call is None or op.results[0] not in values:
                continue
            name, kwargs = call
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                result = getattr(host_ops, name)(*(values[v] for v in op.operands), **kwargs)
            results = result if len(op.results) > 1 else (result,)
            assert_same_outputs([np.asarray(r) for r in results],
                                [values[r] for r in op.results])
            covered.add(type(op))
    layers = {cls for cls in HOST_CALLS if issubclass(cls, dataflow.LayerOp)}
    assert covered & layers and covered - layers  # layers and host ops were checked
