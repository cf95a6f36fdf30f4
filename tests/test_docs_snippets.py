"""The Python snippets of the docs import names that exist (a renamed function breaks them)."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
FROM_IMPORT = re.compile(r"^\s*from ([\w.]+) import \(?([\w\s,]+)\)?\s*$", re.M)


def snippet_imports(document: Path) -> list[tuple[str, str]]:
    """(module, name) of every ``from module import name`` in the document's Python blocks."""
    imports: list[tuple[str, str]] = []
    for block in re.findall(r"```python\n(.*?)```", document.read_text(), re.S):
        for module, names in FROM_IMPORT.findall(block):
            imports.extend((module, name.strip()) for name in names.split(",") if name.strip())
    return imports


CASES = [
    (document.name, module, name)
    for document in DOCUMENTS
    for module, name in snippet_imports(document)
    if module.startswith("gpusim")
]


def test_the_docs_have_snippets_to_check() -> None:
    assert len({document for document, _, _ in CASES}) >= 3


@pytest.mark.parametrize(("document", "module", "name"), CASES)
def test_a_snippet_imports_a_name_that_exists(document: str, module: str, name: str) -> None:
    imported = importlib.import_module(module)
    assert hasattr(imported, name) or importlib.util.find_spec(f"{module}.{name}"), (
        f"{document}: {module} has no {name}"
    )
