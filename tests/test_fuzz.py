"""A bounded run of the fuzz campaign (tools/fuzz.py runs the long one).

Every family runs CASES_PER_FAMILY cases on fixed seeds, each one tool
invocation judged by the tools' contract (tools/fuzzing/harness.py): no
traceback, no internal error, exit code 0 or 1, no hang, nothing left behind
by a failed run, nothing written outside the output, exit 1 on input the
case marks invalid, and on exit 0 the same outputs as the independent
reference (qonnx's execute_onnx for imports, the other execution path for
runs). A failure prints each failed case's command, mutation and stderr; the
case's directory, with its inputs, is kept for reproduction.
"""

from __future__ import annotations

import pytest
from fuzzing.campaign import run_campaign, table
from fuzzing.families import FAMILIES

CASES_PER_FAMILY = 40
DIFFERENTIAL = ("quant-params", "npy-input")
"""Families in which some exit-0 cases must have been checked against the reference."""


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("fuzz")
    return run_campaign(str(workdir), dict.fromkeys(FAMILIES, CASES_PER_FAMILY), seed=2026,
                        jobs=1)


def _describe(outcome) -> str:
    case = outcome.case
    return (f"[{outcome.verdict}] {case.family}: {case.what}\n  $ {case.tool} "
            f"{' '.join(case.argv)}\n  {outcome.detail}\n  stderr: {outcome.stderr[-600:]}\n"
            f"  kept in {outcome.directory}")


def test_no_case_breaks_the_contract(outcomes):
    failures = [o for o in outcomes if o.failed]
    assert not failures, table(outcomes) + "\n\n" + "\n".join(map(_describe, failures))


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_exercises_both_sides(outcomes, family):
    """A family whose cases were all accepted, or all rejected, tests half the contract."""
    verdicts = [o.verdict for o in outcomes if o.case.family == family]
    assert len(verdicts) == CASES_PER_FAMILY
    assert "rejected" in verdicts, f"{family}: no case was rejected"
    accepted = {"ok", "checked", "unchecked"} & set(verdicts)
    assert accepted, f"{family}: no case was accepted"
    if family in DIFFERENTIAL:
        assert "checked" in verdicts, f"{family}: no accepted case was checked"
