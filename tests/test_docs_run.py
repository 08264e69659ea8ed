"""The documentation runs as written: every ```sh block of README.md and docs/tutorial.md,
in order, in a scratch copy of the repository.

The copy holds the files git tracks (modification times kept, so that make sees
an installed environment as current) and a link to this checkout's `.venv`;
its `bin/` comes first on PATH, as after `. .venv/bin/activate`. A block that
must not run here says why in an HTML comment right before it:

    <!-- docs-test: skip: <the reason> -->

A command that fails as written fails this test, with its block and its output.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCUMENTS = ("README.md", os.path.join("docs", "tutorial.md"))
BLOCK = re.compile(r"(?:<!-- docs-test: skip: (?P<reason>[^>]*?) -->\s*)?```sh\n(?P<code>.*?)```",
                   re.DOTALL)
TIMEOUT = 1200
"""Seconds per block: generous, since the blocks run next to the suite's other worker (the
tutorial's 10-epoch training is skipped; tests/test_training_scripts.py runs the scripts)."""


def shell_blocks(document: str) -> list[tuple[str, str | None]]:
    """(code, skip reason or None) of every ```sh block of `document`, in order."""
    with open(os.path.join(REPO, document), encoding="utf-8") as f:
        text = f.read()
    return [(m.group("code"), m.group("reason")) for m in BLOCK.finditer(text)]


def scratch_copy(destination: str) -> None:
    """The tracked files of the checkout, with their modification times, and `.venv`."""
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True)
    assert listing.returncode == 0, f"git ls-files failed: {listing.stderr.decode()}"
    files = listing.stdout.decode().split("\0")
    for relative in filter(None, files):
        source = os.path.join(REPO, relative)
        if os.path.isfile(source):
            target = os.path.join(destination, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(source, target)
    os.symlink(os.path.join(REPO, ".venv"), os.path.join(destination, ".venv"))


def test_every_skipped_block_says_why():
    for document in DOCUMENTS:
        blocks = shell_blocks(document)
        assert blocks, f"{document} has no ```sh blocks"
        for code, reason in blocks:
            assert reason is None or len(reason.strip()) > 10, (document, code)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_shell_blocks_run_as_written(document, tmp_path):
    scratch = str(tmp_path / "repo")
    scratch_copy(scratch)
    environment = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep
                       + os.environ["PATH"])
    environment.pop("MAKEFLAGS", None)
    environment.pop("MAKELEVEL", None)
    for code, reason in shell_blocks(document):
        if reason is not None:
            continue
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=scratch,
                                env=environment, capture_output=True, text=True,
                                timeout=TIMEOUT)
        assert result.returncode == 0, (
            f"{document}: this block fails as written (exit {result.returncode}):\n{code}\n"
            f"--- stdout ---\n{result.stdout[-3000:]}\n--- stderr ---\n{result.stderr[-3000:]}")
