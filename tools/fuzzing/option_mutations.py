"""Mutated `qnn-compile` command lines: --target-fps, --budget, --check-images, --board,
--folding configs (bytes, JSON shapes, PE/SIMD values), and output directories that
already hold a user's files."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

TARGET_FPS = (("1000", None), ("1e6", None), ("25000000", None), ("1", None), ("1e30", None),
              ("0", "a target of 0 frames/s"), ("-5", "a negative target"),
              ("nan", "a NaN target"), ("inf", "an infinite target"), ("abc", "not a number"),
              ("1e400", "an infinite target"))
BUDGETS = (("0.5", None), ("lut=0.7,bram=0.8,dsp=0.8", None), ("1", None), ("lut=0.3", None),
           ("0", "a zero budget"), ("-1", "a negative budget"), ("2", "a budget above 1"),
           ("lut=abc", "not a number"), ("foo=0.5", "an unknown resource"),
           ('lut=0.5"}', "a malformed budget"), ("nan", "a NaN budget"),
           ("lut=0.5,,", "a malformed budget"), ("", "an empty budget"))
CHECK_IMAGES = (("5", None), ("100", None), ("0", "zero check images"),
                ("-3", "a negative count"), ("abc", "not a number"), ("2.5", "not an integer"))
BOARDS = (("pynq-z1", None), ("pynq-z2", None), ("nosuchboard", "an unknown board"),
          ("", "an empty board name"))


@dataclass
class Options:
    """One mutated command line and the files it needs."""

    argv: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    invalid: str | None = None
    output: str = "build"
    prepare: Callable[[str], None] | None = None

    @property
    def what(self) -> str:
        return "; ".join(self.notes) or "default options"

    def add(self, flag: str, value: str, invalid: str | None) -> None:
        """Add `flag value` once: argparse keeps the last of repeated flags, which would
        hide an invalid value behind a valid one."""
        if flag in self.argv:
            return
        self.argv += [flag, value]
        self.notes.append(f"{flag} {value!r}")
        self.invalid = self.invalid or invalid


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def folding_config(folding: dict, rng: np.random.Generator) -> tuple[bytes, str, str | None]:
    """A folding file derived from the seed's own (`folding.json` of its build)."""
    pick = lambda items: items[int(rng.integers(len(items)))]  # noqa: E731
    layers = [name for name, value in folding.items() if isinstance(value, dict)]
    choice = int(rng.integers(12))
    if choice == 0:
        return json.dumps(folding).encode(), "its own folding", None
    if choice == 1:
        return b"\xff\xfe{not utf-8", "bytes that are not UTF-8", "a config that is not UTF-8"
    if choice == 2:
        return b"{\"a\": ", "truncated JSON", "a config that is not JSON"
    if choice == 3:
        return b"[1, 2]", "a JSON list", "a config that is not an object"
    if choice == 4 or not layers:
        return json.dumps({"no_such_layer": {"PE": 1}}).encode(), "an unknown layer", \
            "a config naming an unknown layer"
    layer = pick(layers)
    changed = json.loads(json.dumps(folding))
    key = pick([k for k in changed[layer] if k in ("PE", "SIMD")] or ["PE"])
    value = pick([0, -1, 10 ** 20, 1.5, True, "4", None, [1], 1])
    if choice == 5:
        changed[layer] = "fast"
        return json.dumps(changed).encode(), f"{layer}: a string", "a layer that is not an object"
    if choice == 6:
        changed[layer]["XYZ"] = 1
        return json.dumps(changed).encode(), f"{layer}: an unknown key", "an unknown key"
    if choice in (7, 8):
        value = pick(_divisors(max(2, int(changed[layer].get(key, 1)) * 4)))
        changed[layer][key] = value
        return json.dumps(changed).encode(), f"{layer}.{key} = {value}", None
    changed[layer][key] = value
    ok = value == 1 and not isinstance(value, bool)
    return json.dumps(changed).encode(), f"{layer}.{key} = {value!r}", \
        None if ok else f"{key} {value!r} is not a positive integer"


def _user_directory(directory: str) -> None:
    os.makedirs(os.path.join(directory, "build"))
    with open(os.path.join(directory, "build", "precious.txt"), "w") as f:
        f.write("a user's file\n")


def compile_options(folding: dict, rng: np.random.Generator) -> Options:
    """One to three options, a csim check on a third of the cases (the rest skip it)."""
    options = Options()
    pick = lambda items: items[int(rng.integers(len(items)))]  # noqa: E731
    for _ in range(int(rng.integers(1, 4))):
        kind = int(rng.integers(6))
        if kind == 0 and "--folding" not in options.argv:
            options.add("--target-fps", *pick(TARGET_FPS))
        elif kind == 1:
            options.add("--budget", *pick(BUDGETS))
        elif kind == 2:
            options.add("--check-images", *pick(CHECK_IMAGES))
        elif kind == 3:
            options.add("--board", *pick(BOARDS))
        elif kind == 4 and "--target-fps" not in options.argv and "--folding" not in options.argv:
            data, note, invalid = folding_config(folding, rng)
            options.files["folding.json"] = data
            options.add("--folding", "folding.json", invalid)
            options.notes[-1] = f"--folding: {note}"
        elif kind == 5 and options.output == "build" and options.prepare is None:
            if rng.random() < 0.5:
                options.prepare = _user_directory
                options.notes.append("-o a directory holding a user's file")
                options.invalid = options.invalid or "an output directory that is not a build"
            else:
                options.output = "new/nested/build"
                options.notes.append("-o a nested new directory")
    if rng.random() < 2 / 3:
        options.argv.append("--skip-csim")
    return options
