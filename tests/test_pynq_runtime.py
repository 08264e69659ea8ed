"""The runtime's pynq path on a board double (tests/pynq_double.py): pynq's own buffers,
MMIO and DMA channels over simulated registers and memory, the fake DMA handing the
buffers to the package's C simulation. Also the checks every input gets before
anything is sent, and the driver's command-line errors.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO
from pynq_double import DMA_BASE, IP_BASE, MM2S, S2MM, BoardDouble, board_overlay
from qnn_runtime.accelerator import Accelerator
from qnn_runtime.package import DeploymentPackage
from qnn_runtime.pynq_device import DeviceError, PynqDmaDevice
from qnn_runtime.simulation import SimulationDevice


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> DeploymentPackage:
    """The deployment package of the trained TFC-w1a1, from qnn-compile's default path."""
    from qnn_mlir.compiler import CompileOptions, compile_model

    build = str(tmp_path_factory.mktemp("tfc") / "build")
    compile_model(os.path.join(REPO, "examples", "tfc_w1a1.onnx"), build,
                  CompileOptions(check_images=20))
    return DeploymentPackage(os.path.join(build, "deploy"))


def simulation(package: DeploymentPackage) -> SimulationDevice:
    return SimulationDevice(package.manifest.path_of("simulation_library", package.directory),
                            package.manifest)


def on_board(package: DeploymentPackage, stall: bool = False, timeout: float = 5.0,
             manifest=None):
    """An Accelerator on a fresh board double, and the double."""
    manifest = manifest or package.manifest
    board = BoardDouble(simulation(package), (manifest.inputs[0].frame_bytes,
                                              manifest.outputs[0].frame_bytes),
                        manifest.registers, stall=stall)
    device = PynqDmaDevice(board_overlay(board, manifest), manifest, board, timeout)
    return Accelerator(manifest, device), board


def bipolar_batch(package: DeploymentPackage, batch: int, seed: int = 0) -> np.ndarray:
    shape = (batch, *package.manifest.inputs[0].shape[1:])
    return np.random.default_rng(seed).choice(np.array([-1, 1]), size=shape)


@pytest.mark.parametrize("batch", [1, 7, 300])
def test_board_path_equals_the_simulation(package, batch):
    accelerator, _ = on_board(package)
    x = bipolar_batch(package, batch)
    expected = Accelerator(package.manifest, simulation(package)).execute(x)
    (result,) = accelerator.execute(x)
    assert result.dtype == np.int64 and np.array_equal(result, expected[0])


def test_buffers_have_the_size_of_the_batch(package):
    accelerator, board = on_board(package)
    accelerator.execute(bipolar_batch(package, 13))
    sizes = [event[2] for event in board.events if event[0] == "allocate"]
    frames_in, frames_out = (p.frame_bytes for p in (*package.manifest.inputs,
                                                     *package.manifest.outputs))
    assert sizes == [13 * frames_in, 13 * frames_out]
    accelerator.execute(bipolar_batch(package, 13, seed=1))  # same batch: buffers reused
    assert len([e for e in board.events if e[0] == "allocate"]) == 2


def event_index(events, predicate) -> int:
    return next(i for i, event in enumerate(events) if predicate(event))


def test_flush_send_start_wait_invalidate_order(package):
    accelerator, board = on_board(package)
    accelerator.execute(bipolar_batch(package, 5))
    events = board.events
    source, destination = [e[1] for e in events if e[0] == "allocate"]
    flush = event_index(events, lambda e: e[:2] == ("flush", source))
    recv_armed = event_index(events, lambda e: e[:2] == ("write", DMA_BASE + S2MM + 0x28))
    send_armed = event_index(events, lambda e: e[:2] == ("write", DMA_BASE + MM2S + 0x28))
    frames = event_index(events, lambda e: e[:2] == ("write", IP_BASE + 0x10))
    start = event_index(events, lambda e: e[:2] == ("write", IP_BASE) and e[2] & 1)
    invalidate = event_index(events, lambda e: e[:2] == ("invalidate", destination))
    assert flush < send_armed, "the input must reach memory before the DMA reads it"
    assert recv_armed < send_armed, "the receive channel is armed before anything is sent"
    assert events[frames][2] == 5 and frames < start
    assert start < invalidate, "the output is invalidated after the transfer completes"
    assert not any(e[0] == "invalidate" and e[1] == source for e in events)


def test_a_stalled_transfer_times_out_with_advice(package):
    accelerator, _ = on_board(package, stall=True, timeout=0.05)
    with pytest.raises(DeviceError, match=r"did not finish within 0.05 s.*reload the overlay"):
        accelerator.execute(bipolar_batch(package, 2))


def test_a_dma_error_is_reported(package):
    manifest = package.manifest
    accelerator, board = on_board(package)
    board.out_frame_bytes += 1  # the fabric produces more than the buffer holds
    with pytest.raises(DeviceError, match="reports an error"):
        accelerator.execute(bipolar_batch(package, 2))
    assert manifest is package.manifest


@pytest.mark.parametrize("which", ["dma", "ip"])
def test_an_overlay_without_the_named_blocks_is_a_clear_error(package, which):
    manifest = package.manifest
    board = BoardDouble(simulation(package), (1, 1), manifest.registers)
    names = {"dma_name": "axi_dma_1"} if which == "dma" else {"ip_name": "other_ip_0"}
    overlay = board_overlay(board, manifest, **names)
    expected = manifest.dma_name if which == "dma" else manifest.ip_name
    with pytest.raises(DeviceError, match=f"no .* named '{expected}'.*block_design.tcl"):
        PynqDmaDevice(overlay, manifest, board)


def test_batches_beyond_one_transfer_go_in_pieces(package):
    frame = max(p.frame_bytes for p in (*package.manifest.inputs, *package.manifest.outputs))
    small = dataclasses.replace(package.manifest, max_transfer_bytes=10 * frame)
    accelerator, board = on_board(package, manifest=small)
    x = bipolar_batch(package, 35)
    (result,) = accelerator.execute(x)
    assert np.array_equal(result, Accelerator(package.manifest, simulation(package)).execute(x)[0])
    starts = [e for e in board.events if e[:2] == ("write", IP_BASE) and e[2] & 1]
    assert len(starts) == 4  # 10 + 10 + 10 + 5 frames


@pytest.mark.parametrize("values, message", [
    (np.ones((2, 783)), r"takes a batch of shape \[N, 784\], got \[2, 783\]"),
    (np.full((2, 784), 2), r"accelerator port in0"),
    (np.zeros((2, 784)), r"bipolar"),
    (np.full((2, 784), "a"), r"dtype"),
    (np.ones((0, 784)), r"empty"),
])
def test_bad_accelerator_input_fails_before_anything_is_sent(package, values, message):
    accelerator, board = on_board(package)
    loaded = list(board.events)  # the overlay's load started the DMA channels
    with pytest.raises(ValueError, match=message):
        accelerator.execute(values)
    assert board.events == loaded, "nothing may reach the device"


def run_driver(package: DeploymentPackage, *args: str, cwd: str):
    return subprocess.run([sys.executable, os.path.join(package.directory, "driver.py"), *args],
                          capture_output=True, text=True, cwd=cwd, check=False)


@pytest.mark.parametrize("array, message", [
    (np.zeros((3, 1, 28, 27), np.float32), r"takes a batch of shape \[N, 1, 28, 28\]"),
    (np.zeros((3, 784), np.float32), r"takes a batch of shape \[N, 1, 28, 28\]"),
    (np.full((3, 1, 28, 28), np.nan, np.float32), r"NaN or infinite"),
    (np.zeros((3, 1, 28, 28), np.complex64), r"dtype complex64"),
])
def test_driver_rejects_bad_input_files(package, tmp_path, array, message):
    np.save(tmp_path / "x.npy", array)
    result = run_driver(package, "--device", "sim", "--input", "x.npy", "--output", "y.npy",
                        cwd=str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert re.search(message, result.stderr), result.stderr
    assert not os.path.exists(tmp_path / "y.npy"), "no output from a failed run"


@pytest.mark.parametrize("args, message", [
    (["--device", "sim"], "give --input X.npy and --output Y.npy"),
    (["--device", "sim", "--input", "missing.npy", "--output", "y.npy"], "missing.npy"),
    (["--device", "fpga", "--throughput"], "invalid choice"),
    (["--device", "sim", "--throughput", "--batch", "0"], "at least 1"),
    (["--throughput", "--bitfile", "nowhere.bit"], "no bitstream at nowhere.bit"),
])
def test_driver_usage_errors(package, tmp_path, args, message):
    result = run_driver(package, *args, cwd=str(tmp_path))
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_throughput_test_reports_each_phase(package):
    report = Accelerator(package.manifest, simulation(package)).throughput_test(64, repeats=3)
    phases = (report.pack_seconds, report.transfer_seconds, report.unpack_seconds)
    assert report.batch == 64 and all(0 < phase <= report.seconds for phase in phases)
    data = report.as_dict()
    assert data["images_per_second"] == pytest.approx(64 / report.seconds)
    frame_in = package.manifest.inputs[0].frame_bytes
    assert data["input_mb_per_second"] == pytest.approx(64 * frame_in / report.transfer_seconds
                                                        / 1e6)
