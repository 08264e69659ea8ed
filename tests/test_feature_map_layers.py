"""The feature-map layers (pad, sliding_window, maxpool, the reshape view) and the MVAU
over many window vectors: the emitted C++ in C simulation against the interpreter.

Each network is a small convolutional chain written in the dataflow dialect
(hls_modules.Chain), folded several ways, with odd sizes, non-square maps and
kernels, strides 1 and 2, asymmetric padding, overlapping and non-overlapping
max pools, signed, unsigned and bipolar values. A random batch goes through
the interpreter (the layers' `interpret`, the reference semantics) and
through the C simulation on the fast path and on the portable path (the code
synthesis sees); all three must agree bit for bit. The cycle counts of the
sliding window and the max pool are checked against the formulas of
FACTS.md (FINN's cost model).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hls_modules import BIPOLAR, Chain, ascending, random_input

from qnn_mlir.backends.hls.csim import CSimModel
from qnn_mlir.diagnostics import parse_module_text
from qnn_mlir.dialects import dataflow, make_context
from qnn_mlir.interpreter import run_module


def integer_conv(simd: int, pe: int, seed: int = 0) -> Chain:
    """ui4 7x9x4 map -> pad [1, 0, 2, 1] with 0 -> 3x2 windows at strides 2x1 -> 3-bit
    MVAU with thresholds (ui3) -> 3x3/2 max pool (overlapping) -> flatten -> MVAU."""
    rng = np.random.default_rng(seed)
    chain = Chain((1, 7, 9, 4), "ui4", simd)
    chain.pad((1, 0, 2, 1), 0, simd)
    chain.sliding_window((3, 2), (2, 1), simd)
    chain.mvau(rng.integers(-4, 4, size=(24, 6)), "si3", simd, pe, "ui3",
               thresholds=ascending(rng, 6, 7, -40, 60))
    chain.maxpool((3, 3), (2, 2), pe)
    chain.flatten()
    size = chain.shape[1]
    chain.mvau(rng.integers(-2, 2, size=(size, 5)), "si2", pe, 1, "si9")
    return chain


def binary_conv(simd: int, pe: int, seed: int = 1) -> Chain:
    """Bipolar 10x10x8 map -> 3x3 windows -> xnor MVAU (bipolar) -> 2x2 max pool (OR) ->
    pad with +1 -> 3x3 windows at stride 2 -> xnor MVAU (popcount)."""
    rng = np.random.default_rng(seed)
    chain = Chain((1, 10, 10, 8), BIPOLAR, simd)
    chain.sliding_window((3, 3), (1, 1), simd)
    chain.mvau(rng.integers(0, 2, size=(72, 8)), "i1", simd, pe, BIPOLAR,
               thresholds=rng.integers(30, 43, size=(8, 1)), xnor=True)
    chain.maxpool((2, 2), (2, 2), pe)
    chain.pad((1, 1, 0, 1), 1, pe)
    chain.sliding_window((3, 3), (2, 2), pe)
    chain.mvau(rng.integers(0, 2, size=(72, 4)), "i1", pe, 2, "ui7", xnor=True)
    return chain


def zero_padded_binary(simd: int, seed: int = 4) -> Chain:
    """Bipolar 6x5x4 map -> pad with 0 (si2: {-1, 0, +1}) -> 3x3 windows -> MVAU of si2
    inputs and bipolar weights (thresholds, bipolar) -> 2x2/1 max pool."""
    rng = np.random.default_rng(seed)
    chain = Chain((1, 6, 5, 4), BIPOLAR, simd)
    chain.pad((1, 1, 1, 1), 0, simd, "si2")
    chain.sliding_window((3, 3), (1, 1), simd)
    chain.mvau(rng.integers(0, 2, size=(36, 6)), "i1", simd, 3, BIPOLAR,
               thresholds=rng.integers(-4, 5, size=(6, 1)))
    chain.maxpool((2, 2), (1, 1), 3)
    return chain


def signed_pool(pe: int, seed: int = 2) -> Chain:
    """si8 9x6x6 map -> pad with -3 -> 2x2/2 max pool of signed values -> 1x1 windows ->
    8-bit MVAU (accumulator)."""
    rng = np.random.default_rng(seed)
    chain = Chain((1, 9, 6, 6), "si8", pe)
    chain.pad((0, 1, 1, 1), -3, pe)
    chain.maxpool((2, 2), (2, 2), pe)
    chain.sliding_window((1, 1), (1, 1), pe)
    chain.mvau(rng.integers(-128, 128, size=(6, 3)), "si8", pe, 3, "si19")
    return chain


NETWORKS = {
    "integer-folded": integer_conv(1, 1),
    "integer-parallel": integer_conv(4, 6),
    "integer-mixed": integer_conv(2, 3),
    "binary-folded": binary_conv(1, 1),
    "binary-parallel": binary_conv(8, 8),
    "zero-padded-binary-folded": zero_padded_binary(1),
    "zero-padded-binary-parallel": zero_padded_binary(4),
    "signed-folded": signed_pool(1),
    "signed-parallel": signed_pool(6),
}


@pytest.fixture(scope="module")
def compiled() -> dict[str, tuple[object, CSimModel, CSimModel]]:
    """Each network's module and its fast and portable C simulations, built in parallel."""
    modules = {name: parse_module_text(make_context(), chain.module(), "test.mlir")
               for name, chain in NETWORKS.items()}
    jobs = [(name, portable) for name in modules for portable in (False, True)]

    def build(job: tuple[str, bool]) -> CSimModel:
        name, portable = job
        return CSimModel.from_module(modules[name], portable=portable)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        models = dict(zip(jobs, pool.map(build, jobs), strict=True))
    return {name: (modules[name], models[(name, False)], models[(name, True)])
            for name in modules}


@pytest.mark.parametrize("name", NETWORKS)
def test_csim_matches_the_interpreter_bit_for_bit(compiled, name):
    module, fast, portable = compiled[name]
    x = random_input(NETWORKS[name], 6, np.random.default_rng(11))
    expected = run_module(module, [x])[0]
    assert np.array_equal(fast.predict(x), expected)
    assert np.array_equal(portable.predict(x), expected)


def test_layers_of_one_network_at_every_folding_agree(compiled):
    x = random_input(NETWORKS["integer-folded"], 4, np.random.default_rng(3))
    outputs = [compiled[name][1].predict(x) for name in NETWORKS if name.startswith("integer")]
    assert all(np.array_equal(outputs[0], other) for other in outputs[1:])


def _layers(name: str, kind: type) -> list:
    module = parse_module_text(make_context(), NETWORKS[name].module(), "test.mlir")
    return [op for op in module.walk() if isinstance(op, kind)]


def test_sliding_window_cycles_follow_finn():
    """IFM_W*K*C/SIMD + OFM_H*max(OFM_W*K*K*C/SIMD, S*IFM_W*C/SIMD), FINN's model, when
    the input has no rows below the last window (binary-parallel's second window:
    5x6x8 padded map, 3x3 at stride 2 giving 2x2 windows, SIMD 8:
    6*3 + 2*max(2*9, 2*6) = 54)."""
    second = _layers("binary-parallel", dataflow.SlidingWindowOp)[1]
    assert second.cycles() == 6 * 3 + 2 * max(2 * 9, 2 * 6)
    first = _layers("binary-folded", dataflow.SlidingWindowOp)[0]  # 10x10x8, 3x3/1, SIMD 1
    assert first.cycles() == 10 * 3 * 8 + 8 * max(8 * 9 * 8, 10 * 8)


def test_maxpool_cycles_follow_finn():
    """IFM_W^2 * (1 + 1/k^2) words at PE = C when the kernel equals the stride."""
    pool = _layers("binary-parallel", dataflow.MaxPoolOp)[0]  # 8x8x8, 2x2/2, PE 8
    assert pool.cycles() == 8 * 8 * (1 + 1 / 4)


def test_reshape_is_free_and_not_a_template(compiled):
    (view,) = _layers("integer-folded", dataflow.ReshapeOp)
    assert view.cycles() == 0
    module = compiled["integer-folded"][0]
    from qnn_mlir.backends.hls import to_hls_form
    from qnn_mlir.backends.hls.emitter import emit_project

    top = emit_project(to_hls_form(module, 2))["top.cpp"]
    assert "reshape" not in top and top.count("qnn::mvau") == 2
