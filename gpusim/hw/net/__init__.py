"""The link/network model: SimPy processes over link calendars, routes and topologies."""
