"""dataflow-partition preserves semantics bit for bit: the interpreter before the pass is
the oracle after it, on the lit test's IR and on TFC after convert-quant-to-dataflow,
with the float input quantizer on the host (the default) and in the accelerator."""

from __future__ import annotations

import pytest
from dataflow_models import (
    assert_same_on_images,
    check_lit_cases,
    ops_where,
    run_passes,
    tfc_images,
    tfc_integer_form,
)
from xdsl.dialects.builtin import Float32Type

from qnn_mlir.dialects import dataflow
from qnn_mlir.dialects.datatypes import BipolarType
from qnn_mlir.passes.convert_quant_to_dataflow import host_reason

PASS = "dataflow-partition"


@pytest.mark.parametrize("float_input", ["host", "accelerator"])
def test_lit_cases_unchanged_outputs(rng, float_input):
    check_lit_cases(PASS, rng, functions=5, float_input=float_input)


def _host_ops(accelerator: dataflow.AcceleratorOp) -> list:
    return [op for op in accelerator.parent_block().ops
            if op is not accelerator and op.name != "arith.constant"]


def test_tfc_float_quantizer_stays_on_host_by_default(rng, capsys):
    before = run_passes(tfc_integer_form(), "convert-quant-to-dataflow")
    after = run_passes(before, PASS, report=True)
    (accelerator,) = ops_where(after, lambda op: isinstance(op, dataflow.AcceleratorOp))
    assert len(accelerator.layers()) == 4
    assert all(isinstance(op, dataflow.MVAUOp) for op in accelerator.layers())
    # The accelerator reads the quantizer's bipolar output: 1 bit per pixel, not 32.
    (port,) = accelerator.body.block.args
    assert isinstance(port.type.element_type, BipolarType)  # type: ignore[attr-defined]
    (quantizer,) = ops_where(after, lambda op: isinstance(op, dataflow.ThresholdingOp))
    assert quantizer.parent_op() is not accelerator
    assert isinstance(quantizer.in_type.element_type, Float32Type)
    host = _host_ops(accelerator)
    assert [op.name for op in host[:4]] == ["quant.reshape", "dataflow.to_stream",
                                            "dataflow.thresholding", "dataflow.from_stream"]
    assert accelerator.inputs[0] is host[3].results[0]
    assert host[-1].name == "func.return"
    # The remark and qnn-compile's summary (host_reason) give the same reason.
    reason = host_reason(quantizer)
    assert "float" in reason and "1-bit" in reason and "32-bit" in reason
    assert "comparators stay off the fabric" in reason
    remarks = capsys.readouterr().err.splitlines()
    assert any(line.endswith(f'"{quantizer.layer_name.data}" stays on the host (before the '
                             f"accelerator): {reason}") for line in remarks)
    reported = [op for op in host if op.name not in (
        "dataflow.to_stream", "dataflow.from_stream", "func.return")]
    assert remarks[-1].endswith(f"{len(reported)} op(s) stay on the host")
    assert_same_on_images(before, after, tfc_images(100, rng))


def test_tfc_float_input_accelerator_keeps_quantizer_in_accelerator(rng, capsys):
    before = run_passes(tfc_integer_form(), "convert-quant-to-dataflow")
    after = run_passes(before, PASS, report=True, float_input="accelerator")
    (accelerator,) = ops_where(after, lambda op: isinstance(op, dataflow.AcceleratorOp))
    assert len(accelerator.layers()) == 5
    assert isinstance(accelerator.layers()[0], dataflow.ThresholdingOp)
    (port,) = accelerator.body.block.args
    assert isinstance(port.type.element_type, Float32Type)  # type: ignore[attr-defined]
    assert not ops_where(after, lambda op: isinstance(op, dataflow.ToStreamOp
                                                      | dataflow.FromStreamOp))
    host = [op.name for op in _host_ops(accelerator)]
    assert host[0] == "quant.reshape" and host[-1] == "func.return"
    remarks = capsys.readouterr().err.splitlines()
    assert remarks[-1].endswith(f"{len(host) - 1} op(s) stay on the host")
    assert_same_on_images(before, after, tfc_images(100, rng))


@pytest.mark.parametrize("float_input, port_bits", [("host", 32), ("accelerator", 256)])
def test_tfc_folded_to_hls_input_port(rng, float_input, port_bits):
    """Folding, width converters and the HLS conversion work on either partition; the
    DMA port carries 28 bipolar pixels in a 32-bit word, or 8 floats in 256 bits."""
    partitioned = run_passes(tfc_integer_form(), "convert-quant-to-dataflow", PASS,
                             float_input=float_input)
    folded = run_passes(partitioned, "dataflow-fold", target_fps=1_000_000)
    converted = run_passes(folded, "dataflow-insert-dwc", "convert-dataflow-to-hls")
    (kernel,) = ops_where(converted, lambda op: op.name == "hls.kernel")
    assert kernel.body.block.args[0].type.width.data == port_bits
    assert_same_on_images(partitioned, folded, tfc_images(20, rng))
