"""Benchmarks of lattice-gateway and the synthetic fleet they run on (see README.md)."""
