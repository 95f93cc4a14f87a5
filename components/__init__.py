"""Pulumi ComponentResources for VPC Lattice.

The specs (``components.specs``) are plain data and import no Pulumi; the components
themselves are imported from their own modules so that the pure side stays light.
"""
