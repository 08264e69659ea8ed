"""dataflow-partition preserves semantics bit for bit: the interpreter before the pass is
the oracle after it, on the lit test's IR and on TFC after convert-quant-to-dataflow."""

from __future__ import annotations

from dataflow_models import (
    assert_same_on_images,
    check_lit_cases,
    ops_where,
    run_passes,
    tfc_images,
    tfc_integer_form,
)

from qnn_mlir.dialects import dataflow

PASS = "dataflow-partition"


def test_lit_cases_unchanged_outputs(rng):
    check_lit_cases(PASS, rng, functions=2)


def test_tfc_one_accelerator_between_host_prologue_and_epilogue(rng, capsys):
    before = run_passes(tfc_integer_form(), "convert-quant-to-dataflow")
    after = run_passes(before, PASS, report=True)
    (accelerator,) = ops_where(after, lambda op: isinstance(op, dataflow.AcceleratorOp))
    assert len(accelerator.layers()) == 5
    assert not ops_where(after, lambda op: isinstance(op, dataflow.ToStreamOp
                                                      | dataflow.FromStreamOp))
    block = accelerator.parent_block()
    position = block.get_operation_index(accelerator)
    host = [op.name for op in block.ops if op is not accelerator and op.name != "arith.constant"]
    assert host[0] == "quant.reshape" and block.get_operation_index(block.first_op) < position
    assert host[-1] == "func.return"
    remarks = capsys.readouterr().err.splitlines()
    assert remarks[-1].endswith(f"{len(host) - 1} op(s) stay on the host")
    assert_same_on_images(before, after, tfc_images(100, rng))
