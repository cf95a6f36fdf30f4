"""A kernel's register declarations: nested scopes, dense numbering, unique names.

Inline-asm ``{ ... }`` scopes may declare registers that shadow outer ones; each register
gets the next dense number, and one declared inside a nested scope (or shadowing) is named
``%name@<scope serial>`` so every register of the kernel has a distinct name.
"""

from __future__ import annotations

from gpusim.cuda.ptx.ir import Register
from gpusim.cuda.ptx.lexer import Token
from gpusim.cuda.ptx.types import PtxType
from gpusim.errors import PtxError


class RegisterScopes:
    """The registers of the kernel being parsed and the scopes that name them."""

    def __init__(self) -> None:
        self.registers: list[Register] = []
        self._scopes: list[dict[str, Register]] = []
        self._serial = 0
        """Counts nested scopes over the whole module, so unique names never repeat."""

    def start_kernel(self) -> None:
        """Forget the previous kernel's registers and open the kernel body's scope."""
        self.registers = []
        self._scopes = [{}]

    @property
    def is_open(self) -> bool:
        """Whether the kernel body is still open."""
        return bool(self._scopes)

    def open(self) -> None:
        """Enter a nested ``{`` scope."""
        self._scopes.append({})
        self._serial += 1

    def close(self) -> None:
        """Leave the innermost scope (``}``)."""
        self._scopes.pop()

    def declare(self, name: str, ptype: PtxType) -> None:
        shadowed = any(name in scope for scope in self._scopes)
        unique = f"{name}@{self._serial}" if shadowed or len(self._scopes) > 1 else name
        register = Register(len(self.registers), unique, ptype)
        self.registers.append(register)
        self._scopes[-1][name] = register

    def lookup(self, name: str) -> Register | None:
        """The register ``name`` refers to here, innermost scope first."""
        for scope in reversed(self._scopes):
            if name in scope:
                return scope[name]
        return None

    def require(self, token: Token) -> Register:
        """The register ``token`` names; PtxError if it was never declared."""
        register = self.lookup(token.text)
        if register is None:
            raise PtxError(f"PTX line {token.line}: undeclared register {token.text}")
        return register
