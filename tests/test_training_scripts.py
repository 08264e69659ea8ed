"""The training scripts of tools/ run: one short epoch on a subset of Fashion-MNIST, then
the export and its check against qonnx's execute_onnx, which the script itself fails on
(exit 1) when the exported model does not compute what PyTorch does. The full runs that
made examples/ take minutes each (examples/README.md has the commands)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import REPO


@pytest.mark.parametrize("script,arguments,check", [
    ("train_bnn_pynq.py", ["tfc_1w1a"], "same-predictions"),
    ("train_lenet5.py", [], "bit-identical"),
])
def test_training_script_trains_exports_and_checks(script, arguments, check, tmp_path):
    output = str(tmp_path / "model.onnx")
    command = [sys.executable, os.path.join(REPO, "tools", script), *arguments, "--epochs",
               "1", "--train-images", "500", "--check-images", "20", "--threads", "1",
               "-o", output]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    with open(os.path.splitext(output)[0] + ".json", encoding="utf-8") as f:
        record = json.load(f)
    assert record["export_check"]["images"] == 20
    assert record["export_check"]["required"] == check
    assert record["train_images"] == 500 and 0 < record["test_accuracy"] <= 1
