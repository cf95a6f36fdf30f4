"""One self-contained HTML page: a title, a table of facts, figures, and data tables.

plotly.js is embedded once, in the first figure, so the page opens offline and stays one
file; the later figures reuse it. Pages are written atomically (a temporary file, then a
rename), so a reader never sees half a report.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go  # type: ignore[import-untyped]

from gpusim.files import write_atomically

_STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:1200px}"
    "table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
    ".note{color:#666}"
)


def html_table(header: Sequence[str] | None, rows: Sequence[Sequence[object]]) -> str:
    """An HTML table of ``rows`` (under ``header``, if any), every cell escaped."""
    head = "" if header is None else "".join(f"<th>{html.escape(name)}</th>" for name in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table>{f'<tr>{head}</tr>' if head else ''}{body}</table>"


def html_page(
    title: str,
    facts: Sequence[tuple[str, str]],
    figures: Sequence[go.Figure],
    *,
    notes: Sequence[str] = (),
    tables: Sequence[tuple[str, str]] = (),
) -> str:
    """The page: ``facts`` as a two-column table, ``notes``, the figures, then ``tables``
    (heading, table HTML from ``html_table``)."""
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        html_table(None, facts),
        *(f"<p class='note'>{html.escape(note)}</p>" for note in notes),
    ]
    for number, figure in enumerate(figures):
        parts.append(figure.to_html(full_html=False, include_plotlyjs=number == 0))
    for heading, table in tables:
        parts.append(f"<h2>{html.escape(heading)}</h2>{table}")
    parts.append("</body></html>\n")
    return "".join(parts)


def write_page(path: str | Path, text: str) -> Path:
    """Write a page at ``path`` atomically; the path written."""
    target = Path(path)
    write_atomically(target, text)
    return target
