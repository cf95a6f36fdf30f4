"""Tests of gpusim.collectives: algorithms, protocols, results, CLI."""
