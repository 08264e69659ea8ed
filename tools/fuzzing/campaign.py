"""A fuzz campaign: prepare the seeds, run the families' cases, tabulate the verdicts."""

from __future__ import annotations

import itertools
import os
import zlib
from collections import Counter
from collections.abc import Callable, Iterator

import numpy as np

from fuzzing.families import FAMILIES, Prepared
from fuzzing.harness import FAILURES, Case, Outcome, run_cases
from fuzzing.seeds import Seed, seeds

SEEDS_WITH_CSIM = ("mlp", "cnn", "binarized")
"""Seeds compiled with their C simulation (the others only to the HLS form: for IR)."""


def tensor_shapes(seed: Seed) -> dict[str, tuple[int, ...]]:
    """Every tensor's shape in the seed, from qonnx's shape inference."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.infer_shapes import InferShapes

    model = ModelWrapper(seed.proto()).transform(InferShapes())
    names = {i for n in model.graph.node for i in n.input} | {o.name for o in model.graph.output}
    shapes = {}
    for name in names:
        shape = model.get_tensor_shape(name)
        if shape is not None:
            shapes[name] = tuple(shape)
    return shapes


def prepare(workdir: str, names: list[str] | None = None) -> list[Prepared]:
    """Compile every seed once into `workdir/seeds/<name>` (through qnn-compile itself)."""
    chosen = [s for s in seeds() if names is None or s.name in names]
    root = os.path.join(os.path.abspath(workdir), "seeds")
    os.makedirs(root, exist_ok=True)
    cases = []
    for seed in chosen:
        model = os.path.join(root, f"{seed.name}.onnx")
        with open(model, "wb") as f:
            f.write(seed.model)
        skip = [] if seed.name in SEEDS_WITH_CSIM else ["--skip-csim"]
        cases.append(Case("prepare", seed.name, "qnn-compile",
                          [model, "-o", os.path.join(root, seed.name), *skip], timeout=600))
    for outcome in run_cases(cases, os.path.join(root, "runs")):
        if outcome.verdict != "ok":
            raise RuntimeError(f"seed {outcome.case.what} does not compile: {outcome.verdict} "
                               f"{outcome.detail}\n{outcome.stderr[-2000:]}")
    return [Prepared(seed, os.path.join(root, seed.name), tensor_shapes(seed)) for seed in chosen]


def pass_names() -> list[str]:
    """Every registered pass, and the default pipeline."""
    from qnn_mlir.passes import get_all_passes

    return [*sorted(get_all_passes()), "lower-conv,streamline-pipeline"]


def generate(prepared: list[Prepared], cases_per_family: dict[str, int],
             seed: int) -> Iterator[Case]:
    """The cases, lazily (a case holds its model), families interleaved so that a partial
    run still covers each."""
    streams = []
    for family, count in sorted(cases_per_family.items()):
        # Seeded by the family's name: a family's cases do not depend on which others run.
        rng = np.random.default_rng([seed, zlib.crc32(family.encode())])
        make = FAMILIES[family]
        args = (prepared, pass_names(), rng) if family == "ir-text" else (prepared, rng)
        streams.append(itertools.islice(make(*args), count))
    interleaved = itertools.chain.from_iterable(itertools.zip_longest(*streams))
    return (case for case in interleaved if case is not None)


def run_campaign(workdir: str, cases_per_family: dict[str, int], seed: int = 0, jobs: int = 2,
                 on_outcome: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    prepared = prepare(workdir)
    cases = generate(prepared, cases_per_family, seed)
    return run_cases(cases, os.path.join(workdir, "cases"), jobs, on_outcome)


COLUMNS = ("cases", "exit 0", "rejected", "checked", "unchecked", *FAILURES)


def table(outcomes: list[Outcome]) -> str:
    """A markdown table: one row per family and a total; failures in their own columns.
    `checked` counts exit-0 cases whose differential check ran and agreed; `unchecked`
    those whose reference could not run the input."""
    rows = {}
    for outcome in outcomes:
        rows.setdefault(outcome.case.family, Counter())[outcome.verdict] += 1
    total = Counter()
    for counter in rows.values():
        total.update(counter)
    lines = ["| family | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for name, counter in [*sorted(rows.items()), ("total", total)]:
        exit0 = sum(counter[v] for v in ("ok", "checked", "unchecked", "silent-accept",
                                         "mismatch", "no-output"))
        cells = [sum(counter.values()), exit0, counter["rejected"], counter["checked"],
                 counter["unchecked"], *(counter[f] for f in FAILURES)]
        lines.append(f"| {name} | " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)
