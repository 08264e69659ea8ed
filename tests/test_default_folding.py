"""The default compile (no --folding, no --target-fps) fills the board.

For TFC-w1a1 and TFC-w2a2 the folding chosen must reach FINN's hand folding
of TFC (1,562,500 frames/s at 100 MHz on a Pynq-Z1) while the estimated LUT,
BRAM and DSP stay inside the 70/80/80 % budget; random-weight LFC-w1a1 gets
its own best folding: it fits, and no faster candidate target fits. The
summary says both. The compile stops at the emitted C++ (the C simulation of
these foldings is checked in test_compile_fc.py).
"""

from __future__ import annotations

import json
import os

import pytest
from conftest import REPO
from export_bnn_pynq import export_config

from qnn_mlir.compiler import CompileOptions, lower_to_cpp
from qnn_mlir.cost.boards import Budget, get_board
from qnn_mlir.cost.design import estimate
from qnn_mlir.cost.folding import auto_folding, candidate_targets
from qnn_mlir.dialects import dataflow

FINN_TFC_FPS = 1_562_500


def _accelerator_layers(module):
    return [op for op in module.walk() if isinstance(op, dataflow.LayerOp)
            and isinstance(op.parent_op(), dataflow.AcceleratorOp)]


def _check_fits(summary):
    for resource in ("LUT", "BRAM18", "DSP"):
        assert summary.total[resource] <= summary.budget[resource], resource
    pynq = get_board("pynq-z1")
    assert summary.budget == Budget(0.7, 0.8, 0.8).of(pynq).as_dict()


@pytest.mark.parametrize("name", ["tfc_w1a1", "tfc_w2a2"])
def test_default_folding_reaches_finn_hand_folding_within_the_budget(name):
    lowered = lower_to_cpp(os.path.join(REPO, "examples", f"{name}.onnx"), CompileOptions())
    summary = lowered.summary
    assert summary.fps >= FINN_TFC_FPS
    _check_fits(summary)
    text = summary.text()
    assert f"estimated throughput {summary.fps:,.0f} frames/s" in text
    assert "the fastest that fits LUT 70%, BRAM 80%, DSP 80% of the Pynq-Z1" in text
    assert f"{summary.total['LUT']:>8,}" in text and "budget" in text
    # folding.json names layers by their Brevitas module path and round-trips
    config = json.loads(lowered.files["folding.json"])
    assert set(config) == {"features.2", "features.6", "features.10", "features.14"}
    assert all(set(folding) == {"PE", "SIMD"} for folding in config.values())


def test_lfc_gets_its_own_best_folding(tmp_path):
    model = export_config("lfc_1w1a", str(tmp_path / "lfc.onnx"), "legacy", seed=3)
    lowered = lower_to_cpp(model, CompileOptions())
    summary = lowered.summary
    _check_fits(summary)
    board, budget = get_board("pynq-z1"), Budget()
    layers = _accelerator_layers(lowered.stages["03-dataflow"])
    chosen = max(layer.cycles for layer in summary.layers)
    # Every faster target either breaks the budget or does not raise the throughput.
    for target in candidate_targets(layers, 36):
        result = estimate(layers, board, budget, auto_folding(layers, target))
        if result.bottleneck.cycles < chosen and result.fits:
            assert result.fps <= summary.fps
    assert summary.fps > 0 and summary.bound in ("compute", "I/O")


def test_an_unreachable_target_says_so():
    model = os.path.join(REPO, "examples", "tfc_w1a1.onnx")
    summary = lower_to_cpp(model, CompileOptions(target_fps=1e9)).summary
    assert summary.compute_fps < 1e9
    assert (f"1,000,000,000 frames/s is out of reach: the fastest folding gives "
            f"{summary.compute_fps:,.0f}") in summary.text()


def test_folding_file_is_read_back(tmp_path):
    model = os.path.join(REPO, "examples", "tfc_w1a1.onnx")
    first = lower_to_cpp(model, CompileOptions())
    path = tmp_path / "folding.json"
    config = json.loads(first.files["folding.json"])
    config["features.6"] = {"PE": 2, "SIMD": 4}
    path.write_text(json.dumps(config))
    second = lower_to_cpp(model, CompileOptions(folding=str(path)))
    folded = {layer.name: layer.folding for layer in second.summary.layers if layer.folding}
    assert folded["features.6"] == {"SIMD": 4, "PE": 2}
    assert folded["features.2"] == config["features.2"]
    assert second.summary.folding_source.startswith(f"from {path}")


@pytest.mark.parametrize("args, message", [
    (["--board", "zc706"], "error: unknown board 'zc706': the known boards are pynq-z1, "
     "pynq-z2, ultra96-v2, zcu104, kv260"),
    (["--budget", "lut=1.5"], "error: budget value '1.5' must be a fraction in (0, 1]"),
    (["--budget", "0.001"], "the design does not fit Pynq-Z1 even fully folded"),
    (["--target-fps", "1e6", "--budget", "0.1"],
     "1,000,000 frames/s needs more than the budget on Pynq-Z1"),
])
def test_bad_targets_are_one_diagnostic_and_write_nothing(args, message, tmp_path):
    import subprocess

    from conftest import tool

    build = tmp_path / "build"
    run = subprocess.run([tool("qnn-compile"), os.path.join(REPO, "examples", "tfc_w1a1.onnx"),
                          *args, "-o", str(build)], capture_output=True, text=True)
    assert run.returncode == 1, run.stderr
    assert message in run.stderr and "Traceback" not in run.stderr
    assert not build.exists()
