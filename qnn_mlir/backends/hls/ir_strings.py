"""Every IR string that reaches the HLS project, and how it is made safe where it lands.

IR strings are the user's: symbol names (`@acc`, `@"a b"`), SSA names, `hls.call`
comments, template argument and pragma text, header names. Printed raw, a newline
in one becomes a live line of top.cpp or run_hls.tcl. Each is either printed
through one of these functions, chosen by where it lands:

    cxx_identifier       a C++ name: runs of invalid characters become '_', and a
                         keyword, a reserved spelling or a name the generated code or
                         its headers already use gets a 'v' prefix
    include_guard        the macro prefix of a header guard, from such a name
    cxx_comment          text after `//`, and `tcl_comment` after `#`: as written when
                         it is plain printable ASCII, else as an MLIR string literal
    cxx_comment_symbol   `@name` in a comment, as the IR prints it (`tcl_comment_symbol`)
    include_path         the path of `#include "..."`: a safe charset or an error

or, when printing cannot make it safe because it is C++ itself, checked by the
hls verifier (qnn_mlir/dialects/hls.py) with the rules of the last section:
callee names, template argument text, pragma text and `headers`.
`checked_template_value` is the emitter's Jinja `finalize`: a template prints a
value without one of the filters here only when it is a number or an inert word,
so a template cannot print an IR string raw.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import jinja2

from qnn_mlir.diagnostics import QnnError

CXX_KEYWORDS = frozenset("""
alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t
char32_t class co_await co_return co_yield compl concept const consteval constexpr constinit
const_cast continue decltype default delete do double dynamic_cast else enum explicit export
extern false float for friend goto if inline int long mutable namespace new noexcept not not_eq
nullptr operator or or_eq private protected public register reinterpret_cast requires return
short signed sizeof static static_assert static_cast struct switch template this thread_local
throw true try typedef typeid typename typeof union unsigned using virtual void volatile wchar_t
while xor xor_eq
""".split())
"""C++20 keywords and alternative tokens (and GNU `typeof`): Vitis may parse as a newer C++."""

GENERATED_NAMES = frozenset("""
main std hls qnn ap_int ap_uint ap_fixed ap_ufixed qnn_testbench last_error write_frame
read_frame check_consumed qnn_run_batch qnn_last_error qnn_frame_bytes
ap_axiu ap_axis write_beats read_beats check_beats_consumed qnn_run_axi qnn_axi_frame_bytes
""".split())
"""Names the generated files and the layer library declare or refer to unqualified."""

HEADER_MACROS = frozenset("""
alloca ap_bigint ap_biguint assert assert_perror errno issubnormal math_errhandling offsetof
stderr stdin stdout strdupa strndupa sched_priority linux unix i386
""".split())
"""Lower-case macros of the headers the generated code includes (`g++ -dM -E` with
ap_int.h, hls_stream.h and include/qnn/), and GNU-mode ones: a port named `errno` would
expand. Upper-case macros (NULL, EOF) are left: such a clash is a g++ error, not a live
line, and renaming every upper-case IR name would be worse."""

CXX_RESERVED = CXX_KEYWORDS | GENERATED_NAMES | HEADER_MACROS

_RESERVED_SPELLING = re.compile(r"_(_|[A-Z]|$)")
"""`__x`, `_X` are reserved for the implementation anywhere (`_LP64` is a macro); `_`
alone is reserved at namespace scope."""

_BARE_SYMBOL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_$.]*")
"""A symbol name the IR prints without quotes (xDSL's bare identifier)."""

_INCLUDE_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*(/[A-Za-z0-9_][A-Za-z0-9_.\-]*)*")

_INERT_TEXT = re.compile(r"[A-Za-z0-9_ .,\-]*")
"""What a template may print without a filter: numbers, identifiers, part names, padding.
None of these characters starts a line, comment, string, command or substitution in
C++ or Tcl."""


class Escaped(str):
    """Text made safe for the place a template prints it: by a function of this module,
    or C++ the emitter assembled from such parts."""


# ---------------------------------------------------------------------------
# C++ names
# ---------------------------------------------------------------------------


def cxx_identifier(name: str) -> str:
    """A C++ identifier from an IR name: each run of invalid characters (any non-ASCII one
    too) becomes '_', as does a run of underscores after the first character (a double
    underscore is reserved); a leading digit gets '_', and a reserved name or spelling
    gets a 'v' prefix."""
    ident = re.sub(r"\W+", "_", name, flags=re.ASCII) or "_"
    ident = ident[0] + re.sub(r"__+", "_", ident[1:])
    if ident[0].isdigit():
        ident = "_" + ident
    if ident in CXX_RESERVED or _RESERVED_SPELLING.match(ident):
        ident = "v" + ident
    return ident


def include_guard(identifier: str) -> str:
    """The macro prefix of a header guard for a C++ identifier: upper case, without the
    double or leading underscores that reserved macro names have."""
    guard = re.sub(r"_+", "_", identifier.upper())
    return guard if guard[0].isalpha() else "QNN" + guard


# ---------------------------------------------------------------------------
# Comments
# ---------------------------------------------------------------------------

_COMMENT_MARKS = frozenset({(ord("*"), ord("/")), (ord("/"), ord("*")), (ord("?"), ord("?"))})
"""`*/` ends a block comment and `/*` in a comment is a -Wcomment warning; `??/` is a
trigraph backslash in -std=c++14, and a backslash at the end of a line continues a `//`
comment onto the next one."""


def _escaped(text: str, also: bytes = b"",
             marks: frozenset[tuple[int, int]] = _COMMENT_MARKS) -> str:
    """`text` as the body of an MLIR string literal, as xDSL prints one (`\\\\`, and `\\XX`
    for a byte outside printable ASCII or a quote), with the bytes of `also` and the second
    byte of each pair of `marks` (`*/`, `/*`, `??`) hex-escaped too: the result decodes to
    `text`, is one line, and holds no comment mark."""
    pieces = []
    previous = 0
    for byte in text.encode("utf-8", errors="surrogatepass"):
        if byte == ord("\\"):
            pieces.append("\\\\")
        elif (not 0x20 <= byte <= 0x7E or byte == ord('"') or byte in also
              or (previous, byte) in marks):
            pieces.append(f"\\{byte:02X}")
        else:
            pieces.append(chr(byte))
        previous = byte
    return "".join(pieces)


def mlir_literal(text: str) -> str:
    """`text` as a quoted MLIR string literal: how diagnostics show an IR string."""
    return f'"{_escaped(text, marks=frozenset())}"'


def diagnostic_quote(text: str) -> str:
    """How a diagnostic shows an IR string: `'text'` when plain, else its MLIR literal."""
    return f"'{text}'" if _escaped(text, b"'", frozenset()) == text else mlir_literal(text)


def mlir_symbol(name: str) -> str:
    """`@name` as the IR prints it (quoted unless a bare identifier): for diagnostics."""
    return "@" + (name if _BARE_SYMBOL.fullmatch(name) else mlir_literal(name))


_TCL_COMMENT_ESCAPES = b"{}"
"""A Tcl comment inside a braced body still counts braces; the header comments are at the
top level, where only a newline or a backslash-newline matters, but may move."""


def _comment(text: str, also: bytes) -> Escaped:
    body = _escaped(text, also)
    # Plain text is printed as written; else the quotes keep a trailing backslash
    # (escaped as `\\`) off the end of the line.
    return Escaped(text if body == text else f'"{body}"')


def _comment_symbol(name: str, also: bytes) -> Escaped:
    if _BARE_SYMBOL.fullmatch(name):
        return Escaped("@" + name)
    return Escaped(f'@"{_escaped(name, also)}"')


def cxx_comment(text: str) -> Escaped:
    """Text for a `//` comment: as written when it is plain, else an MLIR string literal."""
    return _comment(text, b"")


def cxx_comment_symbol(name: str) -> Escaped:
    """`@name` for a `//` comment, bare or quoted as the IR prints the symbol."""
    return _comment_symbol(name, b"")


def tcl_comment(text: str) -> Escaped:
    """Text for a Tcl `#` comment: as written when it is plain, else a string literal."""
    return _comment(text, _TCL_COMMENT_ESCAPES)


def tcl_comment_symbol(name: str) -> Escaped:
    """`@name` for a Tcl `#` comment, bare or quoted as the IR prints the symbol."""
    return _comment_symbol(name, _TCL_COMMENT_ESCAPES)


# ---------------------------------------------------------------------------
# Include paths and the templates' safety net
# ---------------------------------------------------------------------------


def include_path(header: str) -> Escaped:
    """The path of `#include "..."`: relative, without `..`, in a safe charset. The hls
    verifier accepts only the known headers, so this fails only on unverified IR."""
    if not _INCLUDE_PATH.fullmatch(header) or ".." in header.split("/"):
        raise QnnError(f"error: header {mlir_literal(header)} is not a relative path of "
                       "letters, digits and _ . - /: the hls verifier rejects it")
    return Escaped(header)


def checked_template_value(value: object) -> object:
    """The Jinja `finalize` of the emitter: let a value through if it is `Escaped`, a
    number or inert text, else fail (a template printing an IR string raw is a bug)."""
    # Undefined: `{{ x if c }}` when not c, printed as nothing (or a StrictUndefined error).
    if isinstance(value, Escaped | int | float | jinja2.Undefined):
        return value
    if isinstance(value, str) and _INERT_TEXT.fullmatch(value):
        return value
    raise TypeError(f"a template prints {value!r} without an escaping filter "
                    "(qnn_mlir/backends/hls/ir_strings.py)")


TEMPLATE_FILTERS = {
    "cxx_comment": cxx_comment,
    "cxx_comment_symbol": cxx_comment_symbol,
    "tcl_comment": tcl_comment,
    "tcl_comment_symbol": tcl_comment_symbol,
    "include_path": include_path,
}
"""The filters the templates print IR strings with."""


# ---------------------------------------------------------------------------
# Rules of the hls verifier for the strings that are C++ themselves
# ---------------------------------------------------------------------------

HEADERS_ATTR = "headers"
"""The hls.kernel attribute listing the headers its calls need (include paths)."""

_TEMPLATE_TEXT = re.compile(r"[A-Za-z0-9_:<>(), +\-*]+")
"""What a template argument's C++ text may hold: a type or constant expression such as
`qnn::Multiply<qnn::SInt<2>, qnn::Bipolar>`; nothing that ends the argument list, a
statement or a line (`;`, quotes, `/`, `#`, braces, a newline)."""

_PRAGMA_TEXT = re.compile(r"[A-Za-z0-9_$ =,.:()+\-]+")
"""What pragma text may hold: `INTERFACE axis port=in0`, `STREAM variable=s depth=2`."""


_CXX_NAME = re.compile(r"[A-Za-z_]\w*(::[A-Za-z_]\w*)*", re.ASCII)


def callee_problem(callee: str) -> str | None:
    """What `callee` lacks to be a (qualified) C++ name (for the diagnostic), or None."""
    if not _CXX_NAME.fullmatch(callee):
        return ("letters, digits, '_', '::'; no template arguments: put those in the <...> "
                "list")
    keyword = next((part for part in callee.split("::") if part in CXX_KEYWORDS), None)
    return f"'{keyword}' is a keyword" if keyword else None


def template_argument_problem(text: str) -> str | None:
    """What `text` lacks to be one template argument (for the diagnostic), or None."""
    if not _TEMPLATE_TEXT.fullmatch(text):
        return "letters, digits, spaces and _ : < > ( ) , + - * only"
    if not text.strip():
        return "not blank: an empty argument is a syntax error"
    closing = {">": "<", ")": "("}
    open_brackets: list[str] = []
    for char in text:
        if char in "<(":
            open_brackets.append(char)
        elif char in closing and (not open_brackets or open_brackets.pop() != closing[char]):
            return "with balanced <> and ()"
        elif char == "," and not open_brackets:
            return "a ',' outside brackets makes two"
    return "with balanced <> and ()" if open_brackets else None


def pragma_text_problem(text: str) -> str | None:
    """What pragma text lacks to be printed after `#pragma HLS` (for the diagnostic)."""
    if _PRAGMA_TEXT.fullmatch(text):
        return None
    return "letters, digits, spaces and _ $ = , . : ( ) + - only"


@cache
def _library_headers() -> frozenset[str]:
    root = resources.files("qnn_mlir.backends.hls") / "include" / "qnn"
    return frozenset(f"qnn/{entry.name}" for entry in root.iterdir()
                     if entry.name.endswith(".h"))


def known_headers() -> frozenset[str]:
    """The headers an hls.kernel may include: those of the project's layer library
    (include/qnn/ here) and the `HLS_HEADER` of every layer op defined so far (a layer
    outside the library ships its own)."""
    from qnn_mlir.dialects.dataflow import layer_classes

    return _library_headers() | {cls.HLS_HEADER for cls in layer_classes() if cls.HLS_HEADER}
