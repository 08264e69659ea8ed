"""The pass list in docs/passes.md is generated from the registry and must be current."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_pass_docs_are_current():
    result = subprocess.run([sys.executable, "tools/gen_pass_docs.py", "--check"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_registered_pass_has_a_lit_test_and_a_docstring():
    import os

    from qnn_mlir.passes import get_all_passes

    for name, factory in get_all_passes().items():
        cls = factory()
        assert cls.name == name
        assert (cls.__doc__ or "").strip(), f"pass {name} has no docstring"
        if name.endswith("-pipeline"):
            continue
        assert os.path.exists(os.path.join(REPO, "tests", "lit", "passes", f"{name}.mlir")), name
