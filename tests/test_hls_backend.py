"""The HLS back end: the emitted C++, run in C simulation, against the dataflow interpreter.

Every network is folded several ways; for each, a random batch goes through
the reference interpreter (qnn_mlir.interpreter.run_module on the dataflow
form) and through the compiled C simulation of the emitted project, and the
outputs must be equal bit for bit. Some networks are also simulated on the
portable path (-DQNN_PORTABLE_CSIM: the code synthesis sees, without the
C-simulation fast paths), and the fast word helpers are checked against it
directly. The libraries are built once, in parallel, and cached
(qnn_mlir.backends.hls.csim.cache_dir).
Also: the emitted files are byte-identical across runs and equal whether
printed from the dataflow form or from the HLS form read back from text;
g++ errors are diagnostics; `qnn-translate --to-hls` writes a project
directory all or nothing; the FINN word packing.
"""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from conftest import tool
from hls_modules import BIPOLAR, Chain, ascending, binary_chain, integer_chain, random_input
from xdsl.dialects.builtin import Float32Type, IntegerType, Signedness

from qnn_mlir.backends.hls import to_hls_form
from qnn_mlir.backends.hls.csim import CSimModel, ap_types_dir, build_library
from qnn_mlir.backends.hls.emitter import STAMP_FILE, NameTable, emit_project, sanitize
from qnn_mlir.backends.hls.packing import pack_frames, unpack_frames, word_bytes
from qnn_mlir.diagnostics import QnnError, parse_module_text
from qnn_mlir.dialects import make_context
from qnn_mlir.dialects.datatypes import BipolarType
from qnn_mlir.interpreter import run_module
from qnn_mlir.tools.qnn_translate import module_to_text

# (first layer PE, _), (SIMD, PE) of each MVAU, (label select PE, _)
FOLDINGS = {
    "binary-mixed": (binary_chain, ((4, 0), (8, 3), (6, 4), (2, 0))),
    "binary-folded": (binary_chain, ((1, 0), (1, 1), (1, 1), (1, 0))),
    "binary-parallel": (binary_chain, ((24, 0), (24, 12), (12, 8), (8, 0))),
    "integer-mixed": (integer_chain, ((6, 0), (4, 2), (2, 3), (3, 0))),
    "integer-folded": (integer_chain, ((1, 0), (1, 1), (1, 1), (1, 0))),
    "integer-parallel": (integer_chain, ((12, 0), (12, 8), (8, 6), (6, 0))),
}
PORTABLE = ("binary-mixed", "integer-mixed", "binary-wide-lanes")  # also built portable


def parse(text: str):
    return parse_module_text(make_context(), text, "test.mlir")


def wide_chain() -> Chain:
    """One 2-bit MVAU whose weight words are 64 * 32 * 2 = 4096 bits (AP_INT_MAX_W > 1024)."""
    rng = np.random.default_rng(7)
    chain = Chain((1, 64), "si2", 64)
    chain.mvau(rng.integers(-2, 2, size=(64, 32)), "si2", 64, 32, "ui2",
               thresholds=ascending(rng, 32, 3, -20, 20))
    return chain


def wide_lanes_chain() -> Chain:
    """Xnor MVAUs whose lanes cross 64-bit limbs (SIMD 49 in 343-bit words, as TFC's
    784-bit ones) or are wider than a limb (SIMD 65): the C-simulation fast path's edge cases."""
    rng = np.random.default_rng(5)
    chain = Chain((1, 130), BIPOLAR, 65)
    for mw, mh, simd, pe in ((130, 98, 65, 2), (98, 14, 49, 7)):
        chain.mvau(rng.integers(0, 2, size=(mw, mh)), "i1", simd, pe, BIPOLAR,
                   thresholds=rng.integers(mw // 2 - 3, mw // 2 + 4, size=(mh, 1)), xnor=True)
    chain.mvau(rng.integers(0, 2, size=(14, 4)), "i1", 14, 2, "ui4", xnor=True)
    return chain


@pytest.fixture(scope="module")
def compiled() -> dict[str, tuple[Chain, object, CSimModel]]:
    """Every test network: its chain, parsed module and C simulation, built in parallel."""
    chains = {name: build(folding) for name, (build, folding) in FOLDINGS.items()}
    chains["wide"] = wide_chain()
    chains["binary-wide-lanes"] = wide_lanes_chain()
    chains.update({f"{name}-portable": chains[name] for name in PORTABLE})
    modules = {name: parse(chain.module()) for name, chain in chains.items()}

    def make_model(name: str) -> CSimModel:
        return CSimModel.from_module(modules[name], portable=name.endswith("-portable"))

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        models = dict(zip(modules, pool.map(make_model, modules), strict=True))
    return {name: (chains[name], modules[name], models[name]) for name in chains}


@pytest.mark.parametrize("name", [*FOLDINGS, "wide", "binary-wide-lanes",
                                  *(f"{name}-portable" for name in PORTABLE)])
def test_csim_matches_the_interpreter_bit_for_bit(compiled, name):
    chain, module, model = compiled[name]
    x = random_input(chain, 300, np.random.default_rng(11))
    (expected,) = run_module(module, [x])
    actual = model.predict(x)
    assert actual.dtype == np.int64 and actual.shape == expected.shape
    assert np.array_equal(actual, expected)


# Every word helper with a C-simulation fast path, on random words of several
# widths (elements that cross 64-bit limbs, are wider than a limb, or fill it):
# the program prints every result; built fast and portable, it must print the same.
HELPERS_PROGRAM = r"""
#define AP_INT_MAX_W 2048
#include <cstdio>
#include "qnn/mvau.h"

static unsigned long long state = 0x9E3779B97F4A7C15ULL;
static unsigned long long next() {  // xorshift64
  state ^= state << 13; state ^= state >> 7; state ^= state << 17;
  return state;
}
template <int W> ap_uint<W> random_word() {
  ap_uint<W> word = 0;
  for (int low = 0; low < W; low += 64) word.range(low + 63 < W ? low + 63 : W - 1, low) = next();
  return word;
}
template <int W> void print(const ap_uint<W> &word) {
  std::printf("%s\n", word.to_string(16).c_str());
}

template <int B, int W> void check_elements() {
  const ap_uint<W> word = random_word<W>();
  ap_uint<W> copy = random_word<W>();
  for (int i = 0; i < W / B; i++) {
    print(qnn::element<B>(word, i));
    qnn::set_element<B>(copy, i, random_word<B>());
  }
  print(copy);
  print(qnn::popcount<W>(word));
}
template <int SIMD> void check_xnor() {
  typedef ap_uint<qnn::BitsFor<SIMD>::value> AccT;
  typename qnn::Accumulator<AccT>::type sum = 0;
  for (int i = 0; i < 20; i++) {
    const typename qnn::Accumulator<AccT>::type partial =
        qnn::Xnor::dot<SIMD, typename qnn::Accumulator<AccT>::type>(random_word<SIMD>(),
                                                                     random_word<SIMD>());
    sum = sum + partial;
    print(AccT(partial));
  }
  print(AccT(sum));  // wraps: 20 popcounts overflow AccT
}
template <int W> void check_signed_sum() {
  typename qnn::Accumulator<ap_int<W> >::type sum = 0;
  for (int i = 0; i < 50; i++) sum += ap_int<W>(random_word<W>());
  print(ap_uint<W>(ap_int<W>(sum)));
}

int main() {
#ifdef QNN_FAST_CSIM
  std::printf("fast\n");
#else
  std::printf("portable\n");
#endif
  check_elements<1, 8>(); check_elements<3, 64>(); check_elements<9, 100>();
  check_elements<32, 1568>(); check_elements<49, 784>(); check_elements<64, 200>();
  check_elements<65, 200>(); check_elements<8, 7 * 8>();
  check_xnor<8>(); check_xnor<49>(); check_xnor<64>(); check_xnor<80>();
  check_signed_sum<7>(); check_signed_sum<64>();
  return 0;
}
"""


def test_fast_word_helpers_match_the_portable_path(tmp_path):
    source = tmp_path / "helpers.cpp"
    source.write_text(HELPERS_PROGRAM)
    include = emit_project(to_hls_form(parse(wide_chain().module())))
    for relative, text in include.items():
        if relative.startswith("include/") or relative.startswith("csim/"):
            (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / relative).write_text(text)
    flags = ["-std=c++14", "-O1", "-Iinclude", "-Icsim", "-isystem", ap_types_dir()]
    builds = {name: [os.environ.get("CXX", "g++"), *flags, *extra, "helpers.cpp", "-o", name]
              for name, extra in (("fast", []), ("portable", ["-DQNN_PORTABLE_CSIM"]))}
    processes = [subprocess.Popen(c, cwd=tmp_path) for c in builds.values()]
    assert all(p.wait() == 0 for p in processes)
    outputs = {name: subprocess.run([str(tmp_path / name)], capture_output=True, text=True,
                                    check=True).stdout.splitlines() for name in builds}
    assert outputs["fast"][0] == "fast" and outputs["portable"][0] == "portable"
    assert len(outputs["fast"]) > 200
    assert outputs["fast"][1:] == outputs["portable"][1:]


def test_wide_words_raise_ap_int_max_w():
    files = emit_project(to_hls_form(parse(wide_chain().module())))
    assert "#define AP_INT_MAX_W 4096" in files["top.h"]
    small = emit_project(to_hls_form(parse(integer_chain(FOLDINGS["integer-mixed"][1]).module())))
    assert "AP_INT_MAX_W" not in small["top.h"]


def test_csim_rejects_values_outside_the_input_type(compiled):
    _, _, model = compiled["integer-mixed"]
    with pytest.raises(QnnError, match="do not fit the element type si8"):
        model.predict(np.full((1, 2, 12), 200))


# -- determinism ------------------------------------------------------------------


def test_emitted_files_are_byte_identical_across_runs():
    text = binary_chain(FOLDINGS["binary-mixed"][1]).module()
    first = emit_project(to_hls_form(parse(text)))
    second = emit_project(to_hls_form(parse(text)))
    assert first == second
    # Printing the HLS form and reading it back loses nothing the emitter needs.
    round_trip = parse(module_to_text(to_hls_form(parse(text))))
    assert emit_project(round_trip) == first
    assert sorted(first) == [
        STAMP_FILE, "csim/hls_stream.h", "include/qnn/activation.h", "include/qnn/dwc.h",
        "include/qnn/label_select.h", "include/qnn/layers.h", "include/qnn/mvau.h",
        "include/qnn/thresholding.h", "include/qnn/types.h", "params.h", "run_hls.tcl",
        "testbench.cpp", "top.cpp", "top.h"]


def test_top_function_shape():
    files = emit_project(to_hls_form(parse(binary_chain(FOLDINGS["binary-mixed"][1]).module())))
    top = files["top.cpp"]
    assert "void acc(hls::stream<ap_uint<128>> &in0, hls::stream<ap_uint<8>> &out0) {" in top
    for pragma in ("INTERFACE axis port=in0", "INTERFACE axis port=out0", "DATAFLOW",
                   "STREAM variable=mvau0_out depth=2"):
        assert f"#pragma HLS {pragma}\n" in top
    calls = [line for line in top.splitlines() if line.startswith("  qnn::")]
    comments = [line for line in top.splitlines() if line.startswith("  // layer ")]
    assert len(calls) == len(comments) == 7  # 4 layers + 3 DWCs, one comment each
    assert "set_part xc7z020clg400-1" in files["run_hls.tcl"]
    assert "create_clock -period 10 -name default" in files["run_hls.tcl"]


def test_identifiers_are_sanitized_and_unique():
    names = NameTable()
    assert [names.add(k, n) for k, n in enumerate(["1st.out", "int", "a-b", "a_b", "a_b"])] == [
        "_1st_out", "vint", "a_b", "a_b_1", "a_b_2"]
    assert sanitize("qnn") == "vqnn" and sanitize("__x") == "v__x"


# -- diagnostics ---------------------------------------------------------------------


def test_gxx_errors_become_diagnostics():
    hls_text = module_to_text(to_hls_form(parse(integer_chain(
        FOLDINGS["integer-mixed"][1]).module())))
    broken = parse(hls_text.replace('"qnn::label_select"', '"qnn::label_selekt"'))
    with pytest.raises(QnnError) as error:
        CSimModel.from_module(broken)
    message = str(error.value)
    assert message.startswith("error: g++ failed to compile the C simulation of @acc:")
    assert "top.cpp" in message and "label_selekt" in message
    assert "Traceback" not in message


def test_a_library_that_fails_to_link_is_a_diagnostic():
    # The testbench calls a top function that top.cpp does not define.
    files = {"top.cpp": "void other() {}\n",
             "testbench.cpp": 'void acc();\nextern "C" int run() { acc(); return 0; }\n'}
    with pytest.raises(QnnError) as error:
        build_library(files, "acc")
    assert "g++ failed" in str(error.value) and "undefined reference" in str(error.value)


# -- qnn-translate --to-hls -------------------------------------------------------------


def translate(*args: str, hash_seed: str = "0") -> subprocess.CompletedProcess:
    return subprocess.run([tool("qnn-translate"), "--to-hls", *args], capture_output=True,
                          text=True, check=False, env={**os.environ, "PYTHONHASHSEED": hash_seed})


def test_translate_output_does_not_depend_on_the_process(tmp_path):
    source = tmp_path / "in.mlir"
    source.write_text(integer_chain(FOLDINGS["integer-mixed"][1]).module())
    for seed in ("1", "2"):
        assert translate(str(source), "-o", str(tmp_path / seed), hash_seed=seed).returncode == 0
    files = sorted(p.relative_to(tmp_path / "1") for p in (tmp_path / "1").rglob("*"))
    assert len(files) == 17  # 14 files in 3 folders
    for relative in files:
        first, second = tmp_path / "1" / relative, tmp_path / "2" / relative
        assert first.is_dir() or first.read_bytes() == second.read_bytes(), relative


def test_translate_writes_and_replaces_a_project(tmp_path):
    source = tmp_path / "in.mlir"
    source.write_text(binary_chain(FOLDINGS["binary-mixed"][1]).module())
    out = tmp_path / "prj"
    result = translate(str(source), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert (out / "top.cpp").read_text() == emit_project(to_hls_form(parse(
        source.read_text())))["top.cpp"]
    (out / "acc_prj").mkdir()  # what vitis_hls leaves behind
    assert translate(str(source), "-o", str(out)).returncode == 0
    assert not (out / "acc_prj").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mlir", "prj"]


def test_translate_never_leaves_a_half_written_project(tmp_path):
    source = tmp_path / "in.mlir"
    source.write_text(binary_chain(FOLDINGS["binary-mixed"][1]).module().replace(
        "dataflow.dwc", "dataflow.dwcc", 1))
    result = translate(str(source), "-o", str(tmp_path / "prj"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "in.mlir:" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mlir"]


def test_translate_refuses_a_directory_it_did_not_write(tmp_path):
    source = tmp_path / "in.mlir"
    source.write_text(binary_chain(FOLDINGS["binary-mixed"][1]).module())
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    result = translate(str(source), "-o", str(mine))
    assert result.returncode == 1
    assert "is not an HLS project written by qnn-translate" in result.stderr
    assert (mine / "notes.txt").read_text() == "keep me"


def test_translate_needs_an_output_directory(tmp_path):
    source = tmp_path / "in.mlir"
    source.write_text(binary_chain(FOLDINGS["binary-mixed"][1]).module())
    result = translate(str(source))
    assert result.returncode == 1 and "give it with -o DIR" in result.stderr


# -- packing ---------------------------------------------------------------------------


def test_packing_puts_element_zero_in_the_low_bits():
    bipolar = pack_frames(np.array([[1, -1, -1, 1, 1, 1, 1, 1, -1]]), BipolarType(), 9, 16)
    assert bipolar.tolist() == [[0b11111001, 0b0]]  # +1 is bit 1; padded to two bytes
    signed = pack_frames(np.array([[-1, 2, -4, 3]]), IntegerType(3, Signedness.SIGNED), 2, 8)
    assert signed.tolist() == [[0b010111, 0b011100]]  # two's complement, one word per byte
    floats = pack_frames(np.array([[1.0]], dtype=np.float32), Float32Type(), 1, 32)
    assert floats.tolist() == [[0, 0, 0x80, 0x3F]]  # little-endian IEEE-754


@pytest.mark.parametrize("element_type, low, high", [
    (BipolarType(), -1, 1), (IntegerType(5, Signedness.SIGNED), -16, 15),
    (IntegerType(7, Signedness.UNSIGNED), 0, 127), (IntegerType(32), -2**31, 2**31 - 1),
    (IntegerType(57, Signedness.UNSIGNED), 0, 2**57 - 1),
    (IntegerType(60, Signedness.SIGNED), -2**59, 2**59 - 1)])
def test_packing_round_trips(element_type, low, high):
    rng = np.random.default_rng(3)
    values = rng.integers(low, high + 1, size=(5, 3, 12), dtype=np.int64)
    if isinstance(element_type, BipolarType):
        values = np.where(values >= 0, 1, -1)
    bits = 1 if isinstance(element_type, BipolarType) else element_type.width.data
    width = 4 * bits + 36  # 4 elements per word, then padding bits and bytes
    data = pack_frames(values, element_type, 4, width)
    assert data.shape == (5, 9 * word_bytes(width))
    assert np.array_equal(unpack_frames(data, element_type, 4, width, (1, 3, 12)), values)


def test_packing_rejects_a_zero_bipolar_value():
    with pytest.raises(QnnError, match="must be -1 or \\+1, got 0"):
        pack_frames(np.array([[1, 0, -1]]), BipolarType(), 3, 8)
