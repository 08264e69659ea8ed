"""dataflow-insert-dwc preserves semantics bit for bit and leaves every layer reading the
fold its input carries, for any folding of TFC."""

from __future__ import annotations

import json

import numpy as np
import pytest
from dataflow_models import (
    assert_same_on_images,
    check_lit_cases,
    ops_where,
    run_passes,
    tfc_images,
    tfc_integer_form,
)

from qnn_mlir.dialects import dataflow
from qnn_mlir.dialects.dataflow import check_stream_widths, divisors
from qnn_mlir.passes.dataflow_insert_dwc import conversion_folds

PASS = "dataflow-insert-dwc"


@pytest.fixture(scope="module")
def tfc_partitioned():
    return run_passes(tfc_integer_form(), "convert-quant-to-dataflow", "dataflow-partition")


def _converters(module):
    return ops_where(module, lambda op: isinstance(op, dataflow.DWCOp))


def test_lit_cases_unchanged_outputs(rng):
    after = check_lit_cases(PASS, rng, functions=2)
    assert len(_converters(after)) == 5
    check_stream_widths(after)


def test_conversion_folds():
    assert conversion_folds(16, 8) == [8]
    assert conversion_folds(8, 16) == [16]
    assert conversion_folds(16, 49) == [784, 49]
    assert conversion_folds(4, 6) == [12, 6]


def test_finn_tfc_folding_needs_one_converter(tfc_partitioned, tmp_path, rng):
    layers = ops_where(tfc_partitioned, lambda op: isinstance(op, dataflow.LayerOp))
    foldings = [{"PE": 49}, {"PE": 16, "SIMD": 49}, {"PE": 8, "SIMD": 8}, {"PE": 8, "SIMD": 8},
                {"PE": 10, "SIMD": 8}]
    path = tmp_path / "tfc.json"
    path.write_text(json.dumps({op.layer_name.data: f
                                for op, f in zip(layers, foldings, strict=True)}))
    folded = run_passes(tfc_partitioned, "dataflow-fold", config=str(path))
    after = run_passes(folded, PASS)
    (converter,) = _converters(after)  # MVAU 0 writes 16 per word, MVAU 1 reads 8
    assert (converter.in_type.fold.data, converter.out_type.fold.data) == (16, 8)
    check_stream_widths(after)
    assert_same_on_images(tfc_partitioned, after, tfc_images(40, rng))


@pytest.mark.parametrize("seed", range(4))
def test_random_foldings_are_legalized(tfc_partitioned, tmp_path, seed):
    rng = np.random.default_rng(seed)
    layers = ops_where(tfc_partitioned, lambda op: isinstance(op, dataflow.LayerOp))
    config = {op.layer_name.data: {param: int(rng.choice(divisors(dim)))
                                   for param, dim in ((p.name, p.size)
                                                      for p in op.folding_parameters())}
              for op in layers}
    path = tmp_path / "random.json"
    path.write_text(json.dumps(config))
    after = run_passes(run_passes(tfc_partitioned, "dataflow-fold", config=str(path)), PASS)
    check_stream_widths(after)
    for converter in _converters(after):
        folds = converter.in_type.fold.data, converter.out_type.fold.data
        assert max(folds) % min(folds) == 0
    # re-folding drops the old converters; inserting again gives the same IR
    again = run_passes(run_passes(after, "dataflow-fold", config=str(path)), PASS)
    assert len(_converters(again)) == len(_converters(after))
    assert_same_on_images(tfc_partitioned, after, tfc_images(10, rng))
