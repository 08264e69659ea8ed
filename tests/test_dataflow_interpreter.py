"""The dataflow interpreter against independent numpy references written from the math.

References: an MVAU computes y = act(x . W); XNOR-popcount counts matching
bits, P = #{i : b_x[i] == b_w[i]}, and x . w = 2P - K; a threshold count is
#{i : acc >= T[i]}; label select is top-K with ties to the lower index. The
references loop or count bits explicitly so they share no code with the
interpreter. Every comparison is bit-exact.
"""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.interpreter import Interpreter
from xdsl.parser import Parser
from xdsl.utils.exceptions import InterpretationError, VerifyException

from qnn_mlir.dialects import make_context
from qnn_mlir.interpreter.calls import FuncFunctions
from qnn_mlir.interpreter.dataflow import DataflowFunctions, exact_matmul, layer_functions

BIPOLAR = "!quant.bipolar"


# -- building and running modules ---------------------------------------------


def dense(array: np.ndarray, element_type: str) -> str:
    """`dense<...> : tensor<...>` text for an integer array."""
    shape = "x".join(str(d) for d in array.shape)
    return f"dense<{np.asarray(array).tolist()}> : tensor<{shape}x{element_type}>"


def stream(shape: tuple[int, ...], element_type: str, fold: int) -> str:
    return f"!dataflow.stream<{'x'.join(map(str, shape))}x{element_type}, {fold}>"


def tensor(shape: tuple[int, ...], element_type: str) -> str:
    return f"tensor<{'x'.join(map(str, shape))}x{element_type}>"


def accelerator_module(inputs, outputs, body: str) -> str:
    """@main wrapping one accelerator; inputs/outputs are (shape, element type, fold)."""
    in_tensors = ", ".join(tensor(s, e) for s, e, _ in inputs)
    out_tensors = ", ".join(tensor(s, e) for s, e, _ in outputs)
    args = ", ".join(f"%x{i}: {tensor(s, e)}" for i, (s, e, _) in enumerate(inputs))
    block_args = ", ".join(f"%in{i}: {stream(*t)}" for i, t in enumerate(inputs))
    operands = ", ".join(f"%x{i}" for i in range(len(inputs)))
    results = ", ".join(f"%y#{i}" for i in range(len(outputs)))
    return f"""
func.func @main({args}) -> ({out_tensors}) {{
  %y:{len(outputs)} = dataflow.accelerator @acc({operands}) : ({in_tensors}) -> ({out_tensors}) {{
  ^bb0({block_args}):
{body}
  }}
  func.return {results} : {out_tensors}
}}
"""


def run(text: str, *inputs: np.ndarray) -> tuple[np.ndarray, ...]:
    """Parse, verify and run @main with the func and dataflow semantics."""
    module = Parser(make_context(), text).parse_module()
    module.verify()
    interpreter = Interpreter(module)
    interpreter.register_implementations(FuncFunctions())
    interpreter.register_implementations(DataflowFunctions())
    interpreter.register_implementations(layer_functions(module))
    return interpreter.call_op("main", inputs)


def mvau_text(src: str, dst: str, in_stream: tuple, out_stream: tuple, weights: np.ndarray,
              weight_type: str, simd: int, pe: int, thresholds: np.ndarray | None = None,
              xnor: bool = False, out_bias: int = 0) -> str:
    mw, mh = weights.shape
    props = [f"weights = {dense(weights, weight_type)}"]
    if thresholds is not None:
        props.append(f"thresholds = {dense(thresholds, 'i32')}")
    if xnor:
        props.append("xnor")
    if out_bias:
        props.append(f"out_bias = {out_bias}")
    return (f"    %{dst} = dataflow.mvau %{src} MW {mw} MH {mh} SIMD {simd} PE {pe} "
            f"{{{', '.join(props)}}} : {stream(*in_stream)} -> {stream(*out_stream)}")


# -- independent references -----------------------------------------------------


def reference_popcount(x_bipolar: np.ndarray, weight_bits: np.ndarray) -> np.ndarray:
    """P[b, j] = number of positions where the input bit equals the weight bit (XNOR)."""
    x_bits = (x_bipolar + 1) // 2
    return (x_bits[:, :, None] == weight_bits[None, :, :]).sum(axis=1)


def reference_count(acc: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """count[b, c] = #{i : acc[b, c] >= T[c, i]}, by explicit comparison."""
    rows = np.broadcast_to(thresholds, (acc.shape[-1], thresholds.shape[1]))
    return (acc[..., :, None] >= rows).sum(axis=-1)


def reference_topk(scores: np.ndarray, k: int) -> np.ndarray:
    """Largest first, ties to the lower index, one Python sort per row."""
    return np.array([sorted(range(len(row)), key=lambda i: (-row[i], i))[:k] for row in scores])


def random_bipolar(rng, shape) -> np.ndarray:
    return rng.choice(np.array([-1, 1]), size=shape).astype(np.int64)


# -- MVAU --------------------------------------------------------------------------


@pytest.mark.parametrize("simd,pe", [(1, 1), (4, 2), (8, 8), (16, 4)])
def test_xnor_mvau_bipolar_output(rng, simd, pe):
    mw, mh, batch = 16, 8, 257
    bits = rng.integers(0, 2, size=(mw, mh))
    thresholds = rng.integers(0, mw + 1, size=(mh, 1))
    x = random_bipolar(rng, (batch, mw))
    body = mvau_text("in0", "h", ((1, mw), BIPOLAR, simd), ((1, mh), BIPOLAR, pe), bits, "i1",
                     simd, pe, thresholds, xnor=True)
    text = accelerator_module([((1, mw), BIPOLAR, simd)], [((1, mh), BIPOLAR, pe)],
                              body + f"\n    dataflow.yield %h : {stream((1, mh), BIPOLAR, pe)}")
    (y,) = run(text, x)
    popcount = reference_popcount(x, bits)
    # The identity the hardware relies on: x . w = 2P - K with w = 2 * bits - 1.
    assert np.array_equal(x @ (2 * bits - 1), 2 * popcount - mw)
    expected = np.where(popcount >= thresholds[:, 0], 1, -1)
    assert y.dtype == np.int64
    assert np.array_equal(y, expected)


def test_xnor_mvau_popcount_output(rng):
    mw, mh, batch = 24, 6, 100
    bits = rng.integers(0, 2, size=(mw, mh))
    x = random_bipolar(rng, (batch, mw))
    body = mvau_text("in0", "h", ((1, mw), BIPOLAR, 8), ((1, mh), "ui5", 3), bits, "i1", 8, 3,
                     xnor=True)
    text = accelerator_module([((1, mw), BIPOLAR, 8)], [((1, mh), "ui5", 3)],
                              body + f"\n    dataflow.yield %h : {stream((1, mh), 'ui5', 3)}")
    (y,) = run(text, x)
    assert np.array_equal(y, reference_popcount(x, bits))


def test_bipolar_mvau_without_xnor_is_a_dot_product(rng):
    mw, mh = 10, 4
    bits = rng.integers(0, 2, size=(mw, mh))
    x = random_bipolar(rng, (33, mw))
    body = mvau_text("in0", "h", ((1, mw), BIPOLAR, 5), ((1, mh), "si5", 2), bits, "i1", 5, 2)
    text = accelerator_module([((1, mw), BIPOLAR, 5)], [((1, mh), "si5", 2)],
                              body + f"\n    dataflow.yield %h : {stream((1, mh), 'si5', 2)}")
    (y,) = run(text, x)
    expected = [[sum(int(row[i]) * (1 if bits[i, j] else -1) for i in range(mw))
                 for j in range(mh)] for row in x]
    assert np.array_equal(y, np.array(expected))


@pytest.mark.parametrize("simd,pe", [(1, 1), (3, 2), (12, 4)])
def test_two_bit_mvau_with_per_neuron_thresholds(rng, simd, pe):
    mw, mh, steps, batch = 12, 4, 3, 200
    weights = rng.integers(-2, 2, size=(mw, mh))  # si2
    x = rng.integers(-2, 2, size=(batch, mw))  # si2 activations
    thresholds = np.sort(rng.integers(-10, 11, size=(mh, steps)), axis=1)
    body = mvau_text("in0", "h", ((1, mw), "si2", simd), ((1, mh), "si3", pe), weights, "si2",
                     simd, pe, thresholds, out_bias=-1)
    text = accelerator_module([((1, mw), "si2", simd)], [((1, mh), "si3", pe)],
                              body + f"\n    dataflow.yield %h : {stream((1, mh), 'si3', pe)}")
    (y,) = run(text, x)
    accumulator = np.einsum("bi,ij->bj", x, weights)
    assert np.array_equal(y, reference_count(accumulator, thresholds) - 1)


def test_mvau_applies_to_every_pixel(rng):
    # A conv-lowered MVAU: the stream is (1, H, W, MW), one dot product per pixel.
    mw, mh = 6, 4
    weights = rng.integers(0, 4, size=(mw, mh))  # ui2
    x = rng.integers(0, 4, size=(5, 3, 3, mw))
    shared = np.array([[0, 10, 20]])
    body = mvau_text("in0", "h", ((1, 3, 3, mw), "ui2", 2), ((1, 3, 3, mh), "ui2", 4), weights,
                     "ui2", 2, 4, shared)
    out = ((1, 3, 3, mh), "ui2", 4)
    text = accelerator_module([((1, 3, 3, mw), "ui2", 2)], [out],
                              body + f"\n    dataflow.yield %h : {stream(*out)}")
    (y,) = run(text, x)
    assert np.array_equal(y, reference_count(np.einsum("bhwi,ij->bhwj", x, weights), shared))


def test_exact_matmul_falls_back_to_integers_beyond_float_precision():
    x = np.array([[2**31 - 1, -(2**31), 2**31 - 1]], dtype=np.int64)
    w = np.array([[2**31 - 1], [2**31 - 1], [-(2**31)]], dtype=np.int64)
    expected = sum(int(a) * int(b) for a, b in zip(x[0], w[:, 0], strict=True))
    assert int(exact_matmul(x, w)[0, 0]) == expected


# -- thresholding and label select -----------------------------------------------


@pytest.mark.parametrize("rows", [1, 8])
def test_thresholding(rng, rows):
    channels, steps, batch = 8, 3, 64
    thresholds = np.sort(rng.integers(-20, 20, size=(rows, steps)), axis=1)
    x = rng.integers(-25, 25, size=(batch, channels))
    body = (f"    %t = dataflow.thresholding %in0 PE 4 {{thresholds = {dense(thresholds, 'i32')}, "
            f"out_bias = -2}} : {stream((1, channels), 'si8', 4)} -> "
            f"{stream((1, channels), 'si3', 4)}\n"
            f"    dataflow.yield %t : {stream((1, channels), 'si3', 4)}")
    text = accelerator_module([((1, channels), "si8", 4)], [((1, channels), "si3", 4)], body)
    (y,) = run(text, x)
    assert np.array_equal(y, reference_count(x, thresholds) - 2)


def test_thresholding_to_bipolar_is_a_sign(rng):
    x = rng.integers(-5, 5, size=(40, 6))
    body = (f"    %t = dataflow.thresholding %in0 PE 6 {{thresholds = dense<0> : tensor<1x1xi32>}}"
            f" : {stream((1, 6), 'si4', 6)} -> {stream((1, 6), BIPOLAR, 6)}\n"
            f"    dataflow.yield %t : {stream((1, 6), BIPOLAR, 6)}")
    text = accelerator_module([((1, 6), "si4", 6)], [((1, 6), BIPOLAR, 6)], body)
    (y,) = run(text, x)
    assert np.array_equal(y, np.where(x >= 0, 1, -1))


@pytest.mark.parametrize("labels,k,pe", [(10, 1, 5), (10, 3, 2), (10, 10, 10), (64, 5, 16)])
def test_label_select_ties_go_to_the_lower_index(rng, labels, k, pe):
    # Few distinct scores, so nearly every row has ties (64 labels: beyond numpy's
    # small-array insertion sort, where an unstable sort would reorder ties).
    scores = rng.integers(-2, 3, size=(300, labels))
    scores[0] = 7  # all equal: 0, 1, 2, ...
    s_in, s_out = ((1, labels), "si8", pe), ((1, k), "ui32", 1)
    body = (f"    %l = dataflow.label_select %in0 K {k} PE {pe} : {stream(*s_in)} -> "
            f"{stream(*s_out)}\n    dataflow.yield %l : {stream(*s_out)}")
    (y,) = run(accelerator_module([s_in], [s_out], body), scores)
    assert np.array_equal(y, reference_topk(scores, k))
    assert y[0].tolist() == list(range(k))


# -- a whole accelerator -------------------------------------------------------------


def test_binarized_mlp_end_to_end(rng):
    """xnor MVAU -> xnor MVAU (popcount) -> thresholding -> label select, one batch."""
    mw, hidden, classes, batch = 32, 16, 10, 500
    bits0 = rng.integers(0, 2, size=(mw, hidden))
    t0 = rng.integers(10, 23, size=(hidden, 1))
    bits1 = rng.integers(0, 2, size=(hidden, classes))
    t_out = np.array([[4, 8, 12]])
    s_in, s_h = ((1, mw), BIPOLAR, 8), ((1, hidden), BIPOLAR, 4)
    s_pop, s_act = ((1, classes), "ui5", 5), ((1, classes), "si3", 5)
    s_top = ((1, 2), "ui32", 1)
    body = "\n".join([
        mvau_text("in0", "h", s_in, s_h, bits0, "i1", 8, 4, t0, xnor=True),
        mvau_text("h", "p", s_h, s_pop, bits1, "i1", 4, 5, xnor=True),
        f"    %a = dataflow.thresholding %p PE 5 {{thresholds = {dense(t_out, 'i32')}, "
        f"out_bias = -1}} : {stream(*s_pop)} -> {stream(*s_act)}",
        f"    %l = dataflow.label_select %a K 2 PE 5 : {stream(*s_act)} -> {stream(*s_top)}",
        f"    dataflow.yield %l, %p : {stream(*s_top)}, {stream(*s_pop)}",
    ])
    text = accelerator_module([s_in], [s_top, s_pop], body)
    x = random_bipolar(rng, (batch, mw))
    top, popcount = run(text, x)

    hidden_values = np.where(reference_popcount(x, bits0) >= t0[:, 0], 1, -1)
    expected_popcount = reference_popcount(hidden_values, bits1)
    activations = reference_count(expected_popcount, t_out) - 1
    assert np.array_equal(popcount, expected_popcount)
    assert np.array_equal(top, reference_topk(activations, 2))


def test_accelerator_rejects_a_wrong_input_shape(rng):
    body = (f"    %t = dataflow.thresholding %in0 PE 1 {{thresholds = dense<0> : tensor<1x1xi32>}}"
            f" : {stream((1, 4), 'si4', 1)} -> {stream((1, 4), 'ui1', 1)}\n"
            f"    dataflow.yield %t : {stream((1, 4), 'ui1', 1)}")
    text = accelerator_module([((1, 4), "si4", 1)], [((1, 4), "ui1", 1)], body)
    with pytest.raises(InterpretationError, match=r"input 0 has shape \[2, 5\], expected \[1, 4\]"):
        run(text, np.zeros((2, 5), dtype=np.int64))


# -- the input quantizer, converters and boundaries ------------------------------------


def test_float_thresholding_compares_like_multithreshold(rng):
    """f32 in, si2 out: count of x >= T in float32, NaN reaches nothing, -0.0 == 0.0."""
    thresholds = np.array([[-0.5, 0.0, 0.25]], dtype=np.float32)
    x = rng.normal(size=(50, 8)).astype(np.float32)
    x[0, :5] = [np.nan, -0.0, 0.0, np.float32(0.25), np.nextafter(np.float32(0.25), np.float32(-1))]
    s_in, s_out = ((1, 8), "f32", 2), ((1, 8), "si3", 2)
    body = (f"    %t = dataflow.thresholding %in0 PE 2 {{thresholds = dense<[[-0.5, 0.0, 0.25]]>"
            f" : tensor<1x3xf32>, out_bias = -1}} : {stream(*s_in)} -> {stream(*s_out)}\n"
            f"    dataflow.yield %t : {stream(*s_out)}")
    (y,) = run(accelerator_module([s_in], [s_out], body), x)
    expected = np.array([[sum(1 for t in thresholds[0] if v >= t) - 1 for v in row] for row in x])
    assert y.dtype == np.int64
    assert np.array_equal(y, expected)
    assert y[0, :5].tolist() == [-1, 1, 1, 2, 1]


def test_width_converter_and_boundaries_keep_values(rng):
    """to_stream -> dwc -> dwc -> from_stream is the identity; integer tensors become int64."""
    text = """
func.func @main(%x: tensor<1x12xsi4>) -> tensor<1x12xsi4> {
  %s = dataflow.to_stream %x : tensor<1x12xsi4> -> !dataflow.stream<1x12xsi4, 2>
  %w = dataflow.dwc %s : !dataflow.stream<1x12xsi4, 2> -> !dataflow.stream<1x12xsi4, 6>
  %v = dataflow.dwc %w : !dataflow.stream<1x12xsi4, 6> -> !dataflow.stream<1x12xsi4, 3>
  %y = dataflow.from_stream %v : !dataflow.stream<1x12xsi4, 3> -> tensor<1x12xsi4>
  func.return %y : tensor<1x12xsi4>
}
"""
    x = rng.integers(-8, 8, size=(7, 12)).astype(np.float32)  # integer values, float storage
    (y,) = run(text, x)
    assert y.dtype == np.int64
    assert np.array_equal(y, x)


def test_check_stream_widths_names_the_layer():
    from qnn_mlir.dialects.dataflow import check_stream_widths

    text = """
func.func @main(%in: !dataflow.stream<1x8xsi4, 2>) {
  %o = dataflow.mvau %in MW 8 MH 4 SIMD 4 PE 1 {name = "fc0", weights = dense<1> : tensor<8x4xsi2>}
      : !dataflow.stream<1x8xsi4, 2> -> !dataflow.stream<1x4xsi8, 1>
  func.return
}
"""
    module = Parser(make_context(), text).parse_module()
    module.verify()  # a mismatch is legal IR ...
    with pytest.raises(VerifyException, match=(
            r"'dataflow.mvau' 'fc0' input stream fold \(2\) does not match SIMD \(4\): set SIMD "
            r"to 2 or insert a data width converter \(dataflow.dwc\) before this layer")):
        check_stream_widths(module)  # ... but not hardware
