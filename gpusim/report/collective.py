"""Figures of one simulated collective: how busy each link was, and time against its bound.

(Bus bandwidth and time against size come from a sweep over ``workload.size_bytes``:
``gpusim.report.sweep``.)
"""

from __future__ import annotations

import plotly.graph_objects as go  # type: ignore[import-untyped]

from gpusim.collectives.result import CollectiveResult

US_PER_S = 1e6
MAX_LINKS = 32
"""Links shown, busiest first: a multi-node system has hundreds."""


def link_figure(result: CollectiveResult) -> go.Figure:
    """Utilisation (percent of the collective's time) of the busiest link directions."""
    links = sorted(result.links, key=lambda link: (-link.utilisation, link.name))[:MAX_LINKS]
    figure = go.Figure(
        go.Bar(
            x=tuple(link.name for link in links),
            y=tuple(link.utilisation * 100 for link in links),
            name="links",
        )
    )
    figure.update_yaxes(title_text="busy (% of the collective's time)", range=(0, 100))
    figure.update_layout(title=f"link utilisation (busiest {len(links)} of {len(result.links)})")
    return figure


def time_figure(result: CollectiveResult) -> go.Figure:
    """Simulated time beside the alpha-beta bound (microseconds)."""
    figure = go.Figure(
        go.Bar(
            x=("simulated", "bound"),
            y=(result.time_s * US_PER_S, result.bound.time_s * US_PER_S),
            name="time",
        )
    )
    figure.update_yaxes(title_text="time (us)")
    figure.update_layout(title=f"{result.collective} time against its bound")
    return figure
