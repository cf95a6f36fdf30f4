"""The explorer's widgets, one job each."""
