"""Mutations of textual IR: numbers, element types, dimensions, lines, op names, strings
and symbol names. Most results do not parse or do not verify; the point is that each
tool says so with a located diagnostic, and that what does verify runs cleanly."""

from __future__ import annotations

import re

import numpy as np

from fuzzing.onnx_mutations import HOSTILE_STRINGS

NUMBER = re.compile(r"(?<![\w%@#.])-?\d+(\.\d+)?(e[+-]?\d+)?\b")
ELEMENT_TYPE = re.compile(r"\b(si\d+|ui\d+|i\d+|f16|f32|f64)\b|!quant\.bipolar")
DIMENSION = re.compile(r"(?<=[<x])\d+(?=x)")
OP_NAME = re.compile(r"\b(quant|dataflow|hls|arith|func)\.[a-z_]+\b")
STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
SYMBOL = re.compile(r"@[A-Za-z_][\w$.]*")

NUMBERS = ("0", "-1", "1", "2", "3", "7", "65536", "2147483648", "9223372036854775808",
           "1.0e+400", "-0.0", "0.5", "1e-45")
ELEMENT_TYPES = ("si2", "ui2", "ui8", "si33", "i1", "i64", "f16", "f64", "!quant.bipolar",
                 "index", "si1")


def mlir_string(text: str) -> str:
    """`text` as an MLIR string literal (quotes, backslashes and control bytes escaped)."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20:
            out.append(f"\\{ord(char):02X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _replace_match(text: str, pattern: re.Pattern[str], replacement: str,
                   rng: np.random.Generator) -> tuple[str, str] | None:
    matches = list(pattern.finditer(text))
    if not matches:
        return None
    match = matches[int(rng.integers(len(matches)))]
    line = text.count("\n", 0, match.start()) + 1
    return (text[:match.start()] + replacement + text[match.end():],
            f"line {line}: {match.group(0)[:30]!r} -> {replacement[:30]!r}")


def inject_string(text: str, rng: np.random.Generator,
                  strings: tuple[str, ...] = HOSTILE_STRINGS) -> tuple[str, str]:
    """One of `strings` in place of one string attribute, or as a symbol's name."""
    pick = lambda items: items[int(rng.integers(len(items)))]  # noqa: E731
    symbols = sorted({m.group(0) for m in SYMBOL.finditer(text)})
    if symbols and rng.random() < 0.5:
        old, new = pick(symbols), "@" + mlir_string(pick(strings))
        renamed = re.sub(re.escape(old) + r"(?![\w$.])", lambda _: new, text)
        return renamed, f"symbol {old} renamed {new}"
    result = _replace_match(text, STRING, mlir_string(pick(strings)), rng)
    return result if result is not None else (text, "no string to replace")


def mutate_ir(text: str, rng: np.random.Generator) -> tuple[str, str]:
    """One mutation of `text`: (the new text, what changed)."""
    lines = text.split("\n")
    choice = int(rng.integers(9))
    pick = lambda items: items[int(rng.integers(len(items)))]  # noqa: E731
    result = None
    if choice == 0:
        result = _replace_match(text, NUMBER, pick(NUMBERS), rng)
    elif choice == 1:
        result = _replace_match(text, ELEMENT_TYPE, pick(ELEMENT_TYPES), rng)
    elif choice == 2:
        result = _replace_match(text, DIMENSION, pick(("1", "2", "3", "0", "4096")), rng)
    elif choice == 3:
        names = sorted({m.group(0) for m in OP_NAME.finditer(text)})
        if names:
            result = _replace_match(text, OP_NAME, pick(names), rng)
    elif choice in (4, 5):
        return inject_string(text, rng)
    elif choice in (6, 7, 8) and len(lines) > 3:
        index = int(rng.integers(1, len(lines) - 1))
        if choice == 6:
            removed = lines.pop(index)
            return "\n".join(lines), f"line {index + 1} deleted: {removed.strip()[:40]!r}"
        if choice == 7:
            lines.insert(index, lines[index])
            return "\n".join(lines), f"line {index + 1} duplicated"
        lines[index], lines[index - 1] = lines[index - 1], lines[index]
        return "\n".join(lines), f"lines {index} and {index + 1} swapped"
    if result is None:
        return text + "\n}", "an unbalanced brace appended"
    return result
