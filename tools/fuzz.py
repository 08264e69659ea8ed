#!/usr/bin/env python3
"""Fuzz the tools with mutated models, IR, inputs and options; print a table per family.

    python tools/fuzz.py --cases 10000            # spread evenly over the families
    python tools/fuzz.py --cases 500 --family npy-input --seed 7
    python tools/fuzz.py --list

Every case runs one tool (qnn-translate, qnn-opt, qnn-run, qnn-compile) in its own
directory and is judged by the tools' contract (tools/fuzzing/harness.py): no
traceback, no internal error, exit code 0 or 1, no hang, nothing left behind by a
failed run, nothing written outside the output, exit 1 on every input the case
marks invalid, and, on exit 0, the same outputs as an independent reference
(qonnx's execute_onnx for imports; the other execution path for runs).

Failed cases are kept under WORKDIR/cases/<index>-<family>/ with `.fuzz/case.json`
(the command, the mutation and the verdict) next to their inputs. Exit code 1 if
any case failed.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy: the cases are forked
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from fuzzing.campaign import run_campaign, table  # noqa: E402
from fuzzing.families import FAMILIES  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1000, help="cases in all (default 1000)")
    parser.add_argument("--family", action="append", choices=sorted(FAMILIES),
                        help="only these families (repeatable; default: all)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the campaign")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--workdir", help="where cases run (default: a temporary directory, "
                        "kept when a case fails)")
    parser.add_argument("--list", action="store_true", help="list the families and exit")
    args = parser.parse_args()
    if args.list:
        from fuzzing import families

        print(families.__doc__)
        return 0
    chosen = args.family or sorted(FAMILIES)
    per_family = {name: args.cases // len(chosen) + (i < args.cases % len(chosen))
                  for i, name in enumerate(chosen)}
    workdir = args.workdir or tempfile.mkdtemp(prefix="qnn-fuzz-")
    # Mutations cast NaN to integers and complex to real on purpose: not news.
    warnings.simplefilter("ignore", RuntimeWarning)
    warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
    from tqdm import tqdm

    started = time.monotonic()
    with tqdm(total=args.cases, unit="case", file=sys.stderr) as progress:
        failures = []

        def report(outcome) -> None:
            progress.update()
            if outcome.failed:
                failures.append(outcome)
                progress.write(f"FAIL {outcome.verdict}: {outcome.case.family}: "
                               f"{outcome.case.what[:120]} ({outcome.directory})")

        outcomes = run_campaign(workdir, per_family, args.seed, args.jobs, report)
    print(table(outcomes))
    print(f"\n{len(outcomes)} cases in {time.monotonic() - started:.0f} s, seed {args.seed}, "
          f"{args.jobs} jobs; {len(failures)} failed")
    if failures:
        print(f"failed cases are kept under {workdir}/cases")
        return 1
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
