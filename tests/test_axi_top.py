"""The synthesis top `<kernel>_axi` against the kernel, through the C ABI of testbench.cpp.

`qnn_run_axi` drives the AXI top as PYNQ's AXI DMA does (one call per batch, DMA
buffers: each word padded to whole beats, qnn_mlir/backends/hls/axi.py, TLAST
checked on the output); `qnn_run_batch` calls the kernel once per frame on host
buffers (words padded to bytes). Re-padding the words from one layout to the
other, both must give the same frames, for batches of 1, 3 and 17 frames, on
TFC-w1a1 and on two small kernels whose words take several beats (1120-bit
words, two beats of 1024 bits each way) or a padded beat (56-bit words in
64-bit beats), built with and without -DQNN_PORTABLE_CSIM. The checks of
`qnn_run_axi` itself (TLAST, beat counts, beats left unread) fail on tops
altered to break each rule.
"""

from __future__ import annotations

import ctypes
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pytest
from hls_modules import Chain, ascending

from qnn_mlir.backends.hls import to_hls_form
from qnn_mlir.backends.hls.axi import AxiPort, axi_ports
from qnn_mlir.backends.hls.csim import build_library
from qnn_mlir.backends.hls.emitter import KernelEmitter, Port, emit_project, select_target
from qnn_mlir.compiler import CompileOptions, lower_to_cpp
from qnn_mlir.diagnostics import parse_module_text
from qnn_mlir.dialects import make_context

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCHES = (1, 3, 17)


def wide_input_chain() -> Chain:
    """si8 words of 140 elements (1120 bits: two beats of 1024) -> thresholds to ui4 ->
    words of 14 elements (56 bits, one 64-bit beat with a padding byte)."""
    rng = np.random.default_rng(21)
    chain = Chain((1, 280), "si8", 140)
    chain.thresholding(140, ascending(rng, 280, 15, -100, 100), "i32", "ui4")
    chain.read(14)
    return chain


def wide_output_chain() -> Chain:
    """si8 words of 7 elements (56 bits) -> thresholds to ui4 -> one word of 280 elements
    (1120 bits: two beats of 1024)."""
    rng = np.random.default_rng(22)
    chain = Chain((1, 280), "si8", 7)
    chain.thresholding(7, ascending(rng, 280, 15, -100, 100), "i32", "ui4")
    chain.read(280)
    return chain


def tfc_w1a1():
    """TFC-w1a1 in HLS form, as qnn-compile lowers it."""
    return lower_to_cpp(os.path.join(REPO, "examples", "tfc_w1a1.onnx"),
                        CompileOptions()).stages["04-hls"]


def chain_module(chain: Chain):
    return to_hls_form(parse_module_text(make_context(), chain.module(), "chain.mlir"))


@dataclass
class Library:
    """A compiled project, called through ctypes."""

    path: str
    ports: list[Port]
    axi: list[AxiPort]

    def __post_init__(self) -> None:
        self.lib = ctypes.CDLL(self.path)
        for entry in (self.lib.qnn_run_batch, self.lib.qnn_run_axi):
            entry.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long]
            entry.restype = ctypes.c_int
        for entry in (self.lib.qnn_frame_bytes, self.lib.qnn_axi_frame_bytes):
            entry.argtypes = [ctypes.c_int]
            entry.restype = ctypes.c_long
        self.lib.qnn_last_error.restype = ctypes.c_char_p

    def run(self, entry: str, inputs: list[np.ndarray], frame_bytes: list[int], frames: int
            ) -> tuple[list[np.ndarray], str | None]:
        """`entry` on the input buffers; the output buffers and the error (None if none)."""
        outputs = [np.zeros(frames * size, dtype=np.uint8) for size in frame_bytes]
        in_ptrs = (ctypes.c_void_p * len(inputs))(*(a.ctypes.data for a in inputs))
        out_ptrs = (ctypes.c_void_p * len(outputs))(*(a.ctypes.data for a in outputs))
        code = getattr(self.lib, entry)(in_ptrs, out_ptrs, frames)
        return outputs, (self.lib.qnn_last_error().decode() if code else None)

    def run_batch(self, inputs: list[np.ndarray], frames: int) -> list[np.ndarray]:
        outputs, error = self.run("qnn_run_batch", inputs, [
            p.frame_bytes for p in self.ports if not p.is_input], frames)
        assert error is None, error
        return outputs

    def run_axi(self, inputs: list[np.ndarray], frames: int
                ) -> tuple[list[np.ndarray], str | None]:
        return self.run("qnn_run_axi", inputs, [
            p.frame_bytes for p in self.axi if not p.is_input], frames)


def repad(data: np.ndarray, words: int, from_bytes: int, to_bytes: int) -> np.ndarray:
    """`words` words of `from_bytes` bytes each as words of `to_bytes` (zero-padded or cut)."""
    result = np.zeros((words, to_bytes), dtype=np.uint8)
    keep = min(from_bytes, to_bytes)
    result[:, :keep] = data.reshape(words, from_bytes)[:, :keep]
    return result.reshape(-1)


def host_inputs(ports: list[Port], frames: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Random words for every input port, in host layout, the bits above the width zero."""
    buffers = []
    for port in (p for p in ports if p.is_input):
        words = rng.integers(0, 256, size=(frames * port.frame_words, port.word_bytes),
                             dtype=np.uint8)
        if port.width % 8:
            words[:, -1] &= (1 << (port.width % 8)) - 1
        buffers.append(words.reshape(-1))
    return buffers


def build(module, portable: bool, edit=None) -> Library:
    """The project of the module's kernel, `edit`ed (files -> files) if given, compiled."""
    target, _ = select_target(module)
    ports = KernelEmitter(target.kernel, target.roms).ports()
    files = emit_project(module)
    if edit is not None:
        files = edit(files)
    path = build_library(files, target.kernel.sym_name.data, portable)
    return Library(path, ports, axi_ports(ports))


MODELS = {"tfc-w1a1": tfc_w1a1, "wide-input": lambda: chain_module(wide_input_chain()),
          "wide-output": lambda: chain_module(wide_output_chain())}


@pytest.fixture(scope="module")
def libraries() -> dict[str, Library]:
    """Every model built fast and portable, in parallel (and cached)."""
    modules = {name: make() for name, make in MODELS.items()}
    builds = [(name, portable) for name in MODELS for portable in (False, True)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        built = list(pool.map(lambda b: build(modules[b[0]], b[1]), builds))
    return {f"{name}{'-portable' if portable else ''}": library
            for (name, portable), library in zip(builds, built, strict=True)}


def test_the_models_cover_several_beats_and_padded_beats(libraries):
    beats = {(p.width, p.beat_bits, p.beats_per_word, p.dma_word_bytes)
             for name in MODELS for p in libraries[name].axi}
    assert (1120, 1024, 2, 256) in beats  # a word in two beats
    assert (56, 64, 1, 8) in beats  # a word padded to a 64-bit beat
    assert (32, 32, 1, 4) in beats and (8, 8, 1, 1) in beats  # TFC-w1a1's in0, out0


@pytest.mark.parametrize("portable", [False, True], ids=["fast", "portable"])
@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("frames", BATCHES)
def test_the_axi_top_gives_the_kernels_frames(libraries, name, portable, frames):
    library = libraries[f"{name}{'-portable' if portable else ''}"]
    inputs = host_inputs(library.ports, frames, np.random.default_rng(frames))
    expected = library.run_batch(inputs, frames)
    ins = [p for p in library.axi if p.is_input]
    outs = [p for p in library.axi if not p.is_input]
    kernel_ins = [p for p in library.ports if p.is_input]
    kernel_outs = [p for p in library.ports if not p.is_input]
    dma_inputs = [repad(data, frames * axi.frame_words, port.word_bytes, axi.dma_word_bytes)
                  for data, port, axi in zip(inputs, kernel_ins, ins, strict=True)]
    dma_outputs, error = library.run_axi(dma_inputs, frames)
    assert error is None, error
    for data, expected_data, port, axi in zip(dma_outputs, expected, kernel_outs, outs,
                                              strict=True):
        words = data.reshape(frames * axi.frame_words, axi.dma_word_bytes)
        assert not words[:, port.word_bytes:].any()  # the beats' padding bytes are zero
        assert np.array_equal(repad(data, frames * axi.frame_words, axi.dma_word_bytes,
                                    port.word_bytes), expected_data)
    if name == "tfc-w1a1" and frames > 1:
        assert len(np.unique(expected[0])) > 1  # the frames differ


@pytest.mark.parametrize("name", MODELS)
def test_axi_frame_bytes_are_the_axi_ports(libraries, name):
    library = libraries[name]
    assert [library.lib.qnn_axi_frame_bytes(i) for i in range(len(library.axi))] == [
        p.frame_bytes for p in library.axi]
    assert [library.lib.qnn_frame_bytes(i) for i in range(len(library.ports))] == [
        p.frame_bytes for p in library.ports]
    assert library.lib.qnn_axi_frame_bytes(len(library.axi)) == -1
    assert library.lib.qnn_axi_frame_bytes(-1) == -1


def test_a_batch_size_beyond_the_frames_register_is_an_error(libraries):
    library = libraries["wide-input"]
    empty = [np.zeros(1, dtype=np.uint8)]
    _, error = library.run("qnn_run_axi", empty, [1], 0)
    assert error is None  # an empty batch: nothing to move
    for frames in (-1, 1 << 32):
        _, error = library.run("qnn_run_axi", empty, [0], frames)
        assert error and "does not fit the 32-bit frames register" in error


# -- the checks of qnn_run_axi fail on a top that breaks the DMA's rules ---------------------


def tlast_on_the_first_beat(files: dict[str, str]) -> dict[str, str]:
    header = files["include/qnn/axi.h"]
    assert "flit.last = i == beats - 1;" in header
    return {**files, "include/qnn/axi.h": header.replace("flit.last = i == beats - 1;",
                                                         "flit.last = i == 0;")}


def no_tlast(files: dict[str, str]) -> dict[str, str]:
    header = files["include/qnn/axi.h"]
    return {**files, "include/qnn/axi.h": header.replace("flit.last = i == beats - 1;",
                                                         "flit.last = 0;")}


def half_the_batch(files: dict[str, str]) -> dict[str, str]:
    """Every process of the AXI top runs half the frames: input beats are left."""
    top, count = re.subn(r", frames\);", ", frames / 2);", files["top.cpp"])
    assert count == 3
    return {**files, "top.cpp": top}


def half_the_output(files: dict[str, str]) -> dict[str, str]:
    """The output adapter writes half the frames: too few beats."""
    top, count = re.subn(r"(  qnn::words_to_axi<.*), frames\);", r"\1, frames / 2);",
                         files["top.cpp"])
    assert count == 1
    return {**files, "top.cpp": top}


BROKEN = {
    "tlast-early": (tlast_on_the_first_beat, "output port 'out0' sets TLAST on beat 0 of 60: "
                                             "the DMA would end the transfer there"),
    "tlast-missing": (no_tlast, "output port 'out0' does not set TLAST on its last beat"),
    "beats-left": (half_the_batch, "input port 'in0' has 8 beat(s) left after the batch"),
    "beats-missing": (half_the_output, "output port 'out0' produced 20 beat(s) for the batch, "
                                       "expected 60"),
}


@pytest.mark.parametrize("edit, message", BROKEN.values(), ids=BROKEN.keys())
def test_qnn_run_axi_rejects_what_the_dma_would(edit, message):
    # wide-input: 2 words of 2 beats in, 20 words of 1 beat out per frame; 3 frames.
    library = build(chain_module(wide_input_chain()), False, edit)
    inputs = host_inputs(library.ports, 3, np.random.default_rng(0))
    (axi_in,), (port,) = [p for p in library.axi if p.is_input], library.ports[:1]
    dma = [repad(inputs[0], 3 * axi_in.frame_words, port.word_bytes, axi_in.dma_word_bytes)]
    _, error = library.run_axi(dma, 3)
    assert error is not None and message in error, error
