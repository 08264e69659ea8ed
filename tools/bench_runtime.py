"""Throughput of the host runtime (qnn_runtime) on one core: packing, and the driver.

    .venv/bin/python tools/bench_runtime.py [--repeats 7] [--size-mb 32] [--json out.json]
                                           [--models tfc_w1a1,tfc_w2a2,cnv_w1a1_fmnist]

Packing section: for each port datatype (and a fold giving a typical word),
`qnn_runtime.packing.pack` and `unpack` are timed on a batch whose packed
stream is about `--size-mb` MB, with the values in the narrowest numpy dtype
(int8 for int2, as `unpack` returns them). Rates are in MB/s of the packed
stream (what the DMA moves) and in elements/s, medians of `--repeats` runs
after one warm-up. Targets: >= 1000 MB/s for byte-aligned types, >= 200 MB/s
for 2-bit ones; other rows are informative, as are the int64-input rows (the
interpreter's representation, which costs a cast).

Driver section: each model of `--models` (from examples/) is compiled with
`qnn-compile`'s defaults into a temporary directory, and its deployment
package runs what `driver.py --device sim --throughput` runs (random images,
the whole model: host code, packing, the C simulation of the synthesis top,
unpacking), medians of `--repeats` batches, with the time of each phase. The
peer is qonnx's `execute_onnx` on the same ONNX file (one image at a time, as
the tests use it), timed on a few images; the ratio is driver / qonnx.

The process is pinned to one core with one BLAS/OpenMP thread (g++ builds
inherit the pin). A benchmark, not a test: it checks each round trip once, and
asserts nothing about speed.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"  # before numpy loads its BLAS

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402

import numpy as np  # noqa: E402
from bench_frontend import median_seconds  # noqa: E402
from qnn_runtime.datatypes import DataType  # noqa: E402
from qnn_runtime.packing import pack, unpack  # noqa: E402

BYTE_ALIGNED_TARGET_MB_S = 1000.0
TWO_BIT_TARGET_MB_S = 200.0


@dataclass(frozen=True)
class PackingCase:
    """One row: a datatype, the elements per word, and the dtype the values come in."""

    label: str
    datatype: str
    fold: int
    input_dtype: str | None = None  # None: the datatype's narrowest numpy dtype

    @property
    def target_mb_s(self) -> float | None:
        """The throughput this row must reach, or None if it has no target."""
        if self.input_dtype == "int64":
            return None
        bits = DataType.parse(self.datatype).bits
        if bits in (8, 16, 32, 64):
            return BYTE_ALIGNED_TARGET_MB_S
        return TWO_BIT_TARGET_MB_S if bits == 2 else None


PACKING_CASES = (
    PackingCase("bipolar", "bipolar", 64),
    PackingCase("bipolar, 49-bit words", "bipolar", 49),
    PackingCase("binary (uint1)", "binary", 64),
    PackingCase("int2", "int2", 32),
    PackingCase("uint2", "uint2", 32),
    PackingCase("int3", "int3", 8),
    PackingCase("int4", "int4", 16),
    PackingCase("uint4", "uint4", 16),
    PackingCase("int8", "int8", 8),
    PackingCase("uint8", "uint8", 8),
    PackingCase("int16", "int16", 4),
    PackingCase("int32", "int32", 2),
    PackingCase("float32", "float32", 2),
    PackingCase("int7 x 8 (56-bit words)", "int7", 8),
    PackingCase("int9 x 8 (72-bit words)", "int9", 8),
    PackingCase("uint5 x 20 (100-bit words)", "uint5", 20),
    PackingCase("int2 from int64 values", "int2", 32, "int64"),
    PackingCase("int8 from int64 values", "int8", 8, "int64"),
)


@dataclass
class Row:
    """The medians of one case."""

    case: str
    word_bits: int
    pack_mb_s: float
    unpack_mb_s: float
    pack_elements_s: float
    unpack_elements_s: float
    target_mb_s: float | None

    @property
    def verdict(self) -> str:
        if self.target_mb_s is None:
            return "-"
        return "PASS" if min(self.pack_mb_s, self.unpack_mb_s) >= self.target_mb_s else "below"


def pin_to_one_core() -> int:
    """Run on the first allowed CPU only; returns its number."""
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def warm_median_seconds(function, repeats: int) -> float:
    """One warm-up call (allocations, caches), then the median of `repeats` timed calls."""
    function()
    return median_seconds(function, repeats)


def random_values(datatype: DataType, count: int, dtype: np.dtype,
                  rng: np.random.Generator) -> np.ndarray:
    """`count` valid values of `datatype`, as `dtype`."""
    if datatype.is_float:
        return rng.standard_normal(count, dtype=np.float32).astype(dtype)
    if datatype.kind == "bipolar":
        return (rng.integers(0, 2, count, dtype=np.int8) * 2 - 1).astype(dtype)
    return rng.integers(datatype.min, datatype.max, count, endpoint=True).astype(dtype)


def measure_packing(case: PackingCase, size_mb: float, repeats: int,
                    rng: np.random.Generator) -> Row:
    """Time pack and unpack of a batch of about `size_mb` MB of packed stream."""
    datatype = DataType.parse(case.datatype)
    word_bits = case.fold * datatype.bits
    words = max(1, int(size_mb * 1e6) // -(-word_bits // 8))
    dtype = np.dtype(case.input_dtype or datatype.numpy_dtype)
    values = random_values(datatype, words * case.fold, dtype, rng).reshape(words, case.fold)
    packed = pack(values, datatype, case.fold)
    if not np.array_equal(unpack(packed, datatype, case.fold, (case.fold,)), values):
        raise SystemExit(f"{case.label}: unpack(pack(x)) != x")
    pack_seconds = warm_median_seconds(lambda: pack(values, datatype, case.fold), repeats)
    unpack_seconds = warm_median_seconds(
        lambda: unpack(packed, datatype, case.fold, (case.fold,)), repeats)
    return Row(case.label, word_bits, packed.nbytes / pack_seconds / 1e6,
               packed.nbytes / unpack_seconds / 1e6, values.size / pack_seconds,
               values.size / unpack_seconds, case.target_mb_s)


def packing_section(args: argparse.Namespace) -> list[Row]:
    """One row per packing case."""
    rng = np.random.default_rng(0)
    return [measure_packing(case, args.size_mb, args.repeats, rng) for case in PACKING_CASES]


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DRIVER_BATCH = {"cnv": 100}
"""Images per batch by model family (CNV's C simulation is 1000x slower than TFC's)."""
QONNX_IMAGES = 10


def qonnx_images_per_second(model: str, images: np.ndarray) -> float:
    """qonnx's execute_onnx on the ONNX file, one image at a time (its usual use)."""
    import warnings

    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.transformation.infer_shapes import InferShapes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wrapper = ModelWrapper(model).transform(InferShapes())
        name = wrapper.graph.input[0].name
        execute_onnx(wrapper, {name: images[:1]})  # warm-up
        start = time.perf_counter()
        for image in images:
            execute_onnx(wrapper, {name: image[None]})
    return len(images) / (time.perf_counter() - start)


def driver_section(args: argparse.Namespace) -> list[dict]:
    """One row per model: the driver's images/s with its breakdown, and qonnx's."""
    import tempfile

    from qnn_runtime.driver import measure_throughput
    from qnn_runtime.package import DeploymentPackage

    from qnn_mlir.compiler import CompileOptions, compile_model

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.models.split(","):
            model = os.path.join(REPO, "examples", f"{name}.onnx")
            build = os.path.join(scratch, name)
            compile_model(model, build, CompileOptions(check_images=20))
            package = DeploymentPackage(os.path.join(build, "deploy"))
            batch = DRIVER_BATCH.get(name[:3], 1000)
            result = measure_throughput(package, package.accelerator("sim"), batch,
                                        args.repeats)
            images = package.random_inputs(QONNX_IMAGES)[0]
            peer = qonnx_images_per_second(model, images)
            rows.append({"model": name, **result, "qonnx_images_per_second": peer,
                         "ratio": result["images_per_second"] / peer})
    return rows


def print_driver_table(title: str, rows: list[dict]) -> None:
    """images/s and us per image in each phase, and the ratio to qonnx."""
    header = ("model", "batch", "images/s", "host us", "pack us", "transfer us", "unpack us",
              "qonnx images/s", "driver/qonnx")
    lines = [(row["model"], str(row["batch"]), f"{row['images_per_second']:,.0f}",
              *(f"{row[phase] / row['batch'] * 1e6:.2f}"
                for phase in ("host", "pack", "transfer", "unpack")),
              f"{row['qonnx_images_per_second']:,.1f}", f"{row['ratio']:,.0f}x")
             for row in rows]
    print_lines(title, header, lines)


def print_lines(title: str, header: tuple, lines: list[tuple]) -> None:
    """A title, then the header and lines as columns (the first left-aligned)."""
    widths = [max(len(line[i]) for line in (header, *lines)) for i in range(len(header))]
    print(title)
    for line in (header, *lines):
        cells = [line[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)]
        print("  ".join(cells).rstrip())


def print_table(title: str, rows: list[Row]) -> None:
    """The rows as plain aligned text."""
    header = ("case", "word bits", "pack MB/s", "unpack MB/s", "pack Melem/s",
              "unpack Melem/s", "target MB/s", "")
    lines = [(row.case, str(row.word_bits), f"{row.pack_mb_s:.0f}", f"{row.unpack_mb_s:.0f}",
              f"{row.pack_elements_s / 1e6:.0f}", f"{row.unpack_elements_s / 1e6:.0f}",
              "-" if row.target_mb_s is None else f"{row.target_mb_s:.0f}", row.verdict)
             for row in rows]
    print_lines(title, header, lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per measurement")
    parser.add_argument("--size-mb", type=float, default=32.0,
                        help="packed stream size per measurement, in MB")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON here")
    parser.add_argument("--models", default="tfc_w1a1,tfc_w2a2,cnv_w1a1_fmnist",
                        help="examples/ models for the driver section ('' to skip it)")
    args = parser.parse_args()
    cpu = pin_to_one_core()
    rows = packing_section(args)
    print_table(f"stream packing on CPU {cpu}, numpy {np.__version__}, "
                f"{args.size_mb:g} MB packed, median of {args.repeats}", rows)
    driver_rows = driver_section(args) if args.models else []
    if driver_rows:
        print()
        print_driver_table(f"driver.py --device sim --throughput on CPU {cpu} (qnn-compile "
                           f"defaults), median of {args.repeats}; us per image", driver_rows)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"packing": [dict(asdict(row), verdict=row.verdict) for row in rows],
                       "driver": driver_rows}, out, indent=2)


if __name__ == "__main__":
    main()
