"""The parser's view of the token list: look ahead, take, and expect with a PTX-line error.

Every ``expect_*`` fails with a PtxError naming the PTX line and what was found, so the
parsers above it never build an error message for a wrong token themselves.
"""

from __future__ import annotations

from gpusim.cuda.ptx.lexer import Token
from gpusim.cuda.ptx.types import PtxType, ptx_type
from gpusim.errors import PtxError


def parse_int_literal(text: str) -> int:
    """A PTX integer literal: hex ``0x``, binary ``0b``, octal (leading 0), decimal; ``U`` ok."""
    digits = text.rstrip("U")
    lowered = digits.lower()
    if lowered.startswith("0x"):
        return int(digits[2:], 16)
    if lowered.startswith("0b"):
        return int(digits[2:], 2)
    if len(digits) > 1 and digits.startswith("0"):
        return int(digits[1:], 8)
    return int(digits)


class TokenCursor:
    """A position in a token list."""

    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = tokens
        self._pos = 0

    def peek(self, ahead: int = 0) -> Token | None:
        """The token ``ahead`` places on, without taking it (``None`` past the end)."""
        index = self._pos + ahead
        return self._tokens[index] if index < len(self._tokens) else None

    def next(self) -> Token:
        """Take the next token."""
        token = self.peek()
        if token is None:
            line = self._tokens[-1].line if self._tokens else 1
            raise PtxError(f"PTX line {line}: unexpected end of PTX")
        self._pos += 1
        return token

    def back(self) -> None:
        """Give the last token taken back."""
        self._pos -= 1

    def accept(self, text: str) -> bool:
        """Take the next token if it is ``text``."""
        token = self.peek()
        if token is not None and token.text == text:
            self._pos += 1
            return True
        return False

    def expect(self, text: str) -> Token:
        token = self.next()
        if token.text != text:
            raise PtxError(f"PTX line {token.line}: expected {text!r}, found {token.text!r}")
        return token

    def expect_int(self) -> int:
        token = self.next()
        if token.kind != "int":
            raise PtxError(f"PTX line {token.line}: expected an integer, found {token.text!r}")
        return parse_int_literal(token.text)

    def expect_name(self) -> Token:
        token = self.next()
        if token.kind != "word" or token.text.startswith("."):
            raise PtxError(f"PTX line {token.line}: expected a name, found {token.text!r}")
        return token

    def expect_type(self) -> PtxType:
        token = self.next()
        if not token.text.startswith("."):
            raise PtxError(f"PTX line {token.line}: expected a type, found {token.text!r}")
        return ptx_type(token.text[1:], token.line)
