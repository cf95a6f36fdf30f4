"""gpusim: a discrete-event GPU architecture simulator."""

__version__ = "0.1.0"
