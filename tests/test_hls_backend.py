"""The HLS back end: the emitted C++, run in C simulation, against the dataflow interpreter.

Every network is folded several ways; for each, a random batch goes through
the reference interpreter (qnn_mlir.interpreter.run_module on the dataflow
form) and through the compiled C simulation of the emitted project, and the
outputs must be equal bit for bit. Many networks are also simulated on the
portable path (-DQNN_PORTABLE_CSIM: the code synthesis sees, without the
C-simulation fast paths, which do not follow the folded schedule), on the
same inputs, at PE = SIMD = 1 and at wide foldings; the fast word helpers are
checked against it directly. The libraries are built once, in parallel, and
cached (qnn_mlir.backends.hls.csim.cache_dir).
Also: params.h holds plain integer arrays (no ap_uint initializers, which
g++ compiles slowly); the emitted files are byte-identical across runs and equal whether
printed from the dataflow form or from the HLS form read back from text;
g++ errors are diagnostics; `qnn-translate --to-hls` writes a project
directory all or nothing; the FINN word packing.
"""

from __future__ import annotations

import os
import re
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
from qnn_mlir.dialects import hls, make_context
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
# (quantizer PE, _), (SIMD, PE) of each of the four MVAUs, (label select PE, _)
TFC_FOLDINGS = {
    "tfc-ones": ((1, 0), (1, 1), (1, 1), (1, 1), (1, 1), (1, 0)),
    # output words of 49, 64 and 128 bits: one limb, a full limb, two limbs
    "tfc-wide": ((49, 0), (49, 16), (64, 32), (32, 64), (64, 10), (10, 0)),
}
UNFOLDED = (*TFC_FOLDINGS, "binary-folded", "binary-parallel", "integer-folded",
            "integer-parallel", "twins")  # the same inputs through fast and portable
PORTABLE = ("binary-mixed", "integer-mixed", "binary-wide-lanes", *UNFOLDED)  # built portable


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


def tfc_like_chain(folding: tuple[tuple[int, int], ...], seed: int = 3) -> Chain:
    """TFC's shape (784-64-64-64-10) with every kind of MVAU: f32 quantizer -> xnor
    (thresholds, bipolar) -> xnor (3 thresholds, ui2) -> ui2 x si2 (thresholds, ui2) ->
    ui2 x si2 (accumulator) -> top-3. Thresholds sit where the accumulators are, so
    every output value occurs; the weights do not depend on the folding."""
    rng = np.random.default_rng(seed)
    (q_pe, _), (simd0, pe0), (simd1, pe1), (simd2, pe2), (simd3, pe3), (l_pe, _) = folding
    chain = Chain((1, 784), "f32", q_pe)
    chain.thresholding(q_pe, rng.integers(-8, 9, size=(784, 1)) / 8, "f32", BIPOLAR)
    chain.mvau(rng.integers(0, 2, size=(784, 64)), "i1", simd0, pe0, BIPOLAR,
               thresholds=rng.integers(384, 401, size=(64, 1)), xnor=True)
    chain.mvau(rng.integers(0, 2, size=(64, 64)), "i1", simd1, pe1, "ui2",
               thresholds=ascending(rng, 64, 3, 26, 38), xnor=True)
    chain.mvau(rng.integers(-2, 2, size=(64, 64)), "si2", simd2, pe2, "ui2",
               thresholds=ascending(rng, 64, 3, -70, -25))
    chain.mvau(rng.integers(-2, 2, size=(64, 10)), "si2", simd3, pe3, "si10")
    chain.label_select(3, l_pe, "ui4")
    return chain


def twins_chain() -> Chain:
    """Two xnor MVAUs with the same template arguments and different ROMs: the C
    simulation's decoded weights and thresholds must be told apart by ROM, not by type."""
    rng = np.random.default_rng(9)
    chain = Chain((1, 32), BIPOLAR, 4)
    for _ in range(2):
        thresholds = rng.integers(12, 21, size=(32, 1))
        thresholds[:2, 0] = 12, 20  # the same range, so the same threshold type
        chain.mvau(rng.integers(0, 2, size=(32, 32)), "i1", 4, 4, BIPOLAR,
                   thresholds=thresholds, xnor=True)
    chain.mvau(rng.integers(0, 2, size=(32, 4)), "i1", 4, 2, "ui6", xnor=True)
    return chain


@pytest.fixture(scope="module")
def compiled() -> dict[str, tuple[Chain, object, CSimModel]]:
    """Every test network: its chain, parsed module and C simulation, built in parallel."""
    chains = {name: build(folding) for name, (build, folding) in FOLDINGS.items()}
    chains["wide"] = wide_chain()
    chains["binary-wide-lanes"] = wide_lanes_chain()
    chains.update({name: tfc_like_chain(folding) for name, folding in TFC_FOLDINGS.items()})
    chains["twins"] = twins_chain()
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


@pytest.mark.parametrize("name", UNFOLDED)
def test_unfolded_fast_path_matches_the_folded_portable_path(compiled, name):
    # The fast path computes each layer without its folded schedule; the portable
    # path runs the schedule synthesis sees. Same inputs, same bits, both equal to
    # the interpreter.
    chain, module, fast = compiled[name]
    portable = compiled[f"{name}-portable"][2]
    x = random_input(chain, 300, np.random.default_rng(12))
    (expected,) = run_module(module, [x])
    assert np.array_equal(fast.predict(x), expected)
    assert np.array_equal(portable.predict(x), expected)


def test_one_network_gives_the_same_bits_at_every_folding(compiled):
    x = random_input(compiled["tfc-ones"][0], 300, np.random.default_rng(13))
    outputs = {name: compiled[name][2].predict(x)
               for name in (*TFC_FOLDINGS, *(f"{name}-portable" for name in TFC_FOLDINGS))}
    (expected,) = run_module(compiled["tfc-ones"][1], [x])
    assert len(np.unique(expected)) > 3  # the labels vary
    for name, output in outputs.items():
        assert np.array_equal(output, expected), name


def test_twin_layers_share_a_template_instance():
    # What test_unfolded_fast_path_matches_the_folded_portable_path[twins] relies on.
    top = emit_project(to_hls_form(parse(twins_chain().module())))["top.cpp"]
    templates = [line[:line.index(">(")] for line in top.splitlines()
                 if line.startswith("  qnn::mvau<")]
    assert len(templates) == 2 and templates[0] == templates[1]


# Every word helper with a C-simulation fast path (and the DWC's), on random words of several
# widths (elements that cross 64-bit limbs, are wider than a limb, or fill it):
# the program prints every result; built fast and portable, it must print the same.
HELPERS_PROGRAM = r"""
#define AP_INT_MAX_W 2048
#include <cstdio>
#include "qnn/dwc.h"
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
template <int W, typename LimbT, int LIMBS> void check_rom_word() {
  LimbT row[LIMBS];  // random bits above W too: rom_word drops them
  for (int k = 0; k < LIMBS; k++) row[k] = static_cast<LimbT>(next());
  print(qnn::rom_word<W>(row));
}
template <int W> void check_bytes() {
  unsigned char bytes[(W + 7) / 8], back[(W + 7) / 8];
  for (int b = 0; b < (W + 7) / 8; b++) bytes[b] = static_cast<unsigned char>(next());
  const ap_uint<W> word = qnn::word_from_bytes<W>(bytes);
  print(word);
  qnn::word_to_bytes(word, back);
  for (int b = 0; b < (W + 7) / 8; b++) std::printf("%02x", back[b]);
  std::printf("\n");
}

template <int IN_FOLD, int OUT_FOLD, int ELEM_BITS, int ELEMENTS, int IN_W, int OUT_W>
void check_dwc() {  // stream words are wider than the fold: the padding is random in, 0 out
  hls::stream<ap_uint<IN_W> > in;
  hls::stream<ap_uint<OUT_W> > out;
  for (int i = 0; i < 2 * ELEMENTS / IN_FOLD; i++) in.write(random_word<IN_W>());
  qnn::dwc<IN_FOLD, OUT_FOLD, ELEM_BITS, ELEMENTS>(in, out);
  qnn::dwc<IN_FOLD, OUT_FOLD, ELEM_BITS, ELEMENTS>(in, out);
  while (!out.empty()) print(out.read());
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
  check_rom_word<1, unsigned char, 1>(); check_rom_word<8, unsigned char, 1>();
  check_rom_word<10, unsigned short, 1>(); check_rom_word<28, unsigned int, 1>();
  check_rom_word<64, unsigned long long, 1>(); check_rom_word<130, unsigned long long, 3>();
  check_rom_word<784, unsigned long long, 13>(); check_rom_word<2048, unsigned long long, 32>();
  check_bytes<1>(); check_bytes<8>(); check_bytes<49>(); check_bytes<64>(); check_bytes<72>();
  check_bytes<1568>();
  check_dwc<3, 9, 7, 27, 24, 64>(); check_dwc<10, 30, 7, 60, 72, 216>();  // widen
  check_dwc<30, 10, 7, 60, 216, 72>(); check_dwc<16, 8, 8, 64, 128, 64>();  // narrow
  check_dwc<4, 4, 5, 12, 24, 20>();
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


def test_params_are_plain_integer_arrays():
    # ap_uint initializers are a dynamic constructor per word: g++ took a minute on TFC.
    declaration = re.compile(r"^static const (unsigned (?:char|short|int|long long)) "
                             r"(\w+)\[(\d+)\]\[(\d+)\] = \{$", flags=re.M)
    for chain in (wide_chain(), wide_lanes_chain(), tfc_like_chain(TFC_FOLDINGS["tfc-ones"]),
                  integer_chain(FOLDINGS["integer-mixed"][1])):
        module = to_hls_form(parse(chain.module()))
        params = emit_project(module)["params.h"]
        assert "ap_uint<" not in params
        roms = {op.sym_name.data: op for op in module.walk() if isinstance(op, hls.RomOp)}
        declared = declaration.findall(params)
        assert sorted(name for _, name, _, _ in declared) == sorted(roms)
        for limb_type, name, depth, limbs in declared:
            width = roms[name].width.value.data
            assert int(depth) == roms[name].depth.value.data
            # the narrowest native type, else 64-bit limbs, as many as the word needs
            limb_bits = next((bits for bits in (8, 16, 32) if width <= bits), 64)
            assert limb_type == {8: "unsigned char", 16: "unsigned short", 32: "unsigned int",
                                 64: "unsigned long long"}[limb_bits]
            assert int(limbs) == -(-width // limb_bits)
    params = emit_project(to_hls_form(parse(wide_chain().module())))["params.h"]
    assert "// @mvau0_weights: 1 word(s) of 4096 bits, as 64 64-bit limbs, low limb first\n" \
           "static const unsigned long long mvau0_weights[1][64] = {\n" in params


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
        STAMP_FILE, "csim/ap_axi_sdata.h", "csim/hls_stream.h", "include/qnn/activation.h",
        "include/qnn/axi.h", "include/qnn/csim_tables.h", "include/qnn/dwc.h",
        "include/qnn/label_select.h", "include/qnn/maxpool.h", "include/qnn/mvau.h",
        "include/qnn/mvau_unfolded.h", "include/qnn/pad.h", "include/qnn/sliding_window.h",
        "include/qnn/thresholding.h", "include/qnn/types.h", "params.h", "run_hls.tcl",
        "testbench.cpp", "top.cpp", "top.h"]


def test_top_function_shape():
    files = emit_project(to_hls_form(parse(binary_chain(FOLDINGS["binary-mixed"][1]).module())))
    top = files["top.cpp"]
    assert "void acc(hls::stream<ap_uint<128>> &in0, hls::stream<ap_uint<8>> &out0) {" in top
    for pragma in ("INTERFACE axis port=in0", "INTERFACE axis port=out0", "DATAFLOW",
                   "STREAM variable=mvau0_out depth=2"):
        assert f"#pragma HLS {pragma}\n" in top
    calls = [line for line in top.splitlines() if line.startswith("  qnn::")
             and not line.startswith(("  qnn::axi_to_words", "  qnn::words_to_axi"))]
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
    assert len(files) == 23  # 20 files in 3 folders
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
