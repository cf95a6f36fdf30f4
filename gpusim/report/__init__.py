"""Reports: Plotly figures of runs and sweeps, and self-contained HTML pages of them
(docs/reports.md).

``write_report(result, path, *, scenario, bound=None)`` writes one run's page and
``write_sweep_report(sweep, path)`` one sweep's; the figure functions are public so a
script or the terminal UI can show any of them alone.
"""

from gpusim.report.collective import link_figure, time_figure
from gpusim.report.kernel import cache_figure, dram_figure, stall_figure, timeline_figure
from gpusim.report.roofline import LevelTraffic, level_traffic, roofline_figure
from gpusim.report.sweep import heatmap_figure, metric_figure, sweep_figures, x_axis
from gpusim.report.writers import write_report, write_sweep_report

__all__ = [
    "LevelTraffic",
    "cache_figure",
    "dram_figure",
    "heatmap_figure",
    "level_traffic",
    "link_figure",
    "metric_figure",
    "roofline_figure",
    "stall_figure",
    "sweep_figures",
    "time_figure",
    "timeline_figure",
    "write_report",
    "write_sweep_report",
    "x_axis",
]
