"""PTX text to tokens, each carrying the PTX line it came from.

Comments, NUL padding (nvJitLink's linked PTX ends with one) and the line-oriented debug
directives ``.loc`` / ``.file`` (they end at the newline, not at a ``;``) are dropped here,
so the parser sees only statements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from gpusim.errors import PtxError

TokenKind = Literal["word", "int", "float", "fbits", "string", "punct"]


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str
    line: int


_TOKEN_RE = re.compile(
    r"""
    (?P<newline>\n)
  | (?P<space>[ \t\r\f]+)
  | (?P<comment>//[^\n]*)
  | (?P<block>/\*.*?\*/)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<fbits>0[fF][0-9a-fA-F]{8}(?![\w$])|0[dD][0-9a-fA-F]{16}(?![\w$]))
  | (?P<float>\d+\.\d*(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)
  | (?P<int>0[xX][0-9a-fA-F]+U?|0[bB][01]+U?|\d+U?)
  | (?P<word>[A-Za-z_$%.][\w$.]*(?:::[\w$.]+)*)
  | (?P<punct>[{}()\[\],;:|!@<>+\-=])
    """,
    re.VERBOSE | re.DOTALL,
)

_LINE_DIRECTIVES = (".loc", ".file")


def tokenize(text: str) -> list[Token]:
    """Split PTX source into tokens; an unknown character raises PtxError naming its line."""
    text = text.replace("\x00", "")
    tokens: list[Token] = []
    line = 1
    position = 0
    skip_line: int | None = None
    while position < len(text):
        match = _TOKEN_RE.match(text, position)
        if match is None:
            raise PtxError(f"PTX line {line}: unexpected character {text[position]!r}")
        kind = match.lastgroup
        chunk = match.group()
        position = match.end()
        if kind == "newline":
            line += 1
            skip_line = None
            continue
        if kind == "block":
            line += chunk.count("\n")
            continue
        if kind in ("space", "comment") or skip_line == line:
            continue
        if kind == "word" and chunk in _LINE_DIRECTIVES:
            skip_line = line
            continue
        tokens.append(Token(kind, chunk, line))  # type: ignore[arg-type]
    return tokens
