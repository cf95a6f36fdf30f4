"""The timing models: the SM/memory engine (``hw.sm``) and the link/network model (``hw.net``).

The two share nothing but the spec and the time unit (``gpusim.units``).
"""
